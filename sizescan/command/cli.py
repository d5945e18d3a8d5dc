"""The ``sizescan`` command: builds a scan, calls the library, translates the result.

Everything a person sees is decided here; the library only returns values.
"""

from __future__ import annotations

import errno
import gc
import json
import os
import sys
from dataclasses import replace

import click

from .._version import __version__
from ..api import scan

# The export reader (.ncdu) and diff (.compare) are imported where they are used: a
# scan without them starts 5-7 ms sooner (95 ms against 100, `import sizescan.cli`).
from ..errors import CannotAccess, ExportFailed, InvalidOption, ScanError
from ..model.names import display_message
from ..model.options import MAX_WORKERS
from ..model.result import ScanIssue
from ..signals import held_signals
from . import history, options, streams
from .people import (
    Palette,
    age_report,
    diff_report,
    issue_message,
    owner_report,
    report,
    tree_report,
    type_report,
)
from .progress import progress_bar
from .streams import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL


def _refuse_contradictions(paths, export, html_to, import_from, prints, extended):
    """One line and exit 2 for options that contradict each other, before
    anything is read or written (``prints``: something besides the export
    goes to stdout)."""
    if export == "-" and prints:
        raise click.UsageError(
            "-o - writes the export to stdout: --json and the views would have nowhere to go"
        )
    if export == "-" and sys.stdout is None:
        streams.fail("cannot write the export to stdout: it is closed")
    if html_to == "-" or html_to == "":
        raise click.UsageError("--html needs a file name: the report is a page to open")
    if import_from is not None and (paths or export or extended):
        raise click.UsageError("-f/--import reads a scan from a file: no PATH, no --export")
    if extended and not export:
        raise click.UsageError("--extended only adds fields to an --export")


# The commands besides the scan, which is the default.
COMMANDS = ("diff", "history", "growth", "trend")


class _Main(click.Group):
    """``sizescan [OPTIONS] [PATH]...`` scans; ``sizescan diff OLD NEW``
    compares; ``history``, ``growth`` and ``trend`` read the history.

    Scanning is the default command, so a first argument that is not one
    of COMMANDS is a PATH or an option of the scan (a directory named
    ``diff`` or ``history`` is scanned as ``./diff``, ``./history``).
    """

    def parse_args(self, ctx, args):
        if not args or args[0] not in COMMANDS:
            args = ["scan", *args]
        return super().parse_args(ctx, args)


class _ScanCommand(click.Command):
    def make_context(self, info_name, args, parent=None, **extra):
        # Its own top-level context: messages say "sizescan", not "sizescan scan".
        return super().make_context("sizescan", args, parent=None, **extra)

    def format_usage(self, ctx, formatter):
        # Scanning is reached without its name: show the usage people type.
        formatter.write_usage("sizescan", "[OPTIONS] [PATH]...")
        formatter.write_usage("sizescan", "diff [OPTIONS] OLD NEW", prefix="       ")
        formatter.write_usage(
            "sizescan", "history | growth | trend [OPTIONS] ...", prefix="       "
        )


main = _Main(name="sizescan", context_settings={"help_option_names": ["-h", "--help"]})


@main.command("scan", cls=_ScanCommand, context_settings={"help_option_names": ["-h", "--help"]})
# Not readable=True: an unreadable PATH is counted and reported as du does, not refused.
@click.argument("paths", nargs=-1, type=click.Path(path_type=str, readable=False))
@options.settings_of_scan
@options.views
@options.exclude_from
@options.sizes
@options.outputs
@options.saving
@options.cluster
@click.version_option(__version__, prog_name="sizescan")
def scan_command(
    paths,
    tree,
    by_type,
    by_age,
    exclude_from,
    apparent,
    si,
    exact,
    color,
    export,
    html_to,
    html_boxes,
    import_from,
    as_json,
    no_progress,
    quiet,
    save,
    db,
    at,
    since,
    scheduler,
    tls_ca_file,
    tls_cert,
    tls_key,
    **settings,
):
    """Show where the space under each PATH (default: .) went.

    Totals equal GNU du's: apparent size as `du -sb`, disk usage as `du -sB1`.
    `sizescan diff OLD NEW` compares two scans (see `sizescan diff --help`);
    with --save, `sizescan growth` says what grew since (`sizescan growth --help`).
    Exit status: 0 when every path was read, 1 when some could not be
    (they are listed on stderr), 2 for bad usage or a failed scan.
    """
    top, max_depth, by_owner = settings["top"], settings["max_depth"], settings["by_owner"]
    extended = settings["extended"]
    size = options.size_format(si, exact)
    if not scheduler:
        # A result with views is millions of objects and no cycles: the cyclic
        # GC would walk them over and over while they arrive and are formatted
        # (--html at 1M files, medians of 3: 4.59 s with it, 4.30 s without),
        # and the command runs once and exits.  Not with Dask, whose client
        # makes cyclic garbage as long as it runs.
        gc.disable()
    views = tree or by_type or by_age
    _refuse_contradictions(
        paths, export, html_to, import_from, as_json or views or by_owner, extended
    )
    if since is not None and not html_to:
        raise click.UsageError("--since colours the --html report: give --html FILE")
    if at is not None and not (save and import_from is not None):
        raise click.UsageError("--at dates a snapshot saved from an export: -f FILE --save")
    when = history.moment_of(at)
    streams.one_file_each(export, html_to, import_from, exclude_from, paths)
    if save:  # the snapshot keeps at least its 100 largest files; --top still says what is shown
        settings = dict(settings, top=history.files_kept(top))
    report_file = None
    try:
        if html_to:
            with held_signals():  # made and remembered, or neither
                report_file = streams.open_report(html_to)
        result = _obtain(
            paths,
            import_from,
            exclude_from,
            settings,
            apparent=apparent,
            views=views or bool(html_to),
            # The report's owners panel costs 2% more (benchmarks/README.md).
            by_owner=by_owner or bool(html_to),
            sums=save,
            export=export,
            scheduler=scheduler,
            tls=options.tls_of(tls_ca_file, tls_cert, tls_key),
            size=size,
            progress=not (as_json or quiet or no_progress or export == "-"),
        )
        saved, result = result, _shown(result, top) if save else result
        if not quiet:
            for issue in result.errors:
                click.echo(f"sizescan: {issue_message(issue)}", err=True)
        if report_file is not None:
            shown = history.for_report(result, db, since) if html_to else None
            streams.write_report(result, report_file, html_boxes, import_from, shown)
    except BaseException:
        if report_file is not None:
            # A failed or interrupted run leaves an old report as it was,
            # and no temporary file (once written, this does nothing).
            report_file.abandon()
        raise
    if export == "-":
        _save(saved if save else None, db, when, import_from)
        sys.exit(EXIT_PARTIAL if result.errors else EXIT_OK)
    tree_depth = (3 if max_depth is None else max_depth) if tree else None
    shown = dict(
        tree_depth=tree_depth, width=top, by_type=by_type, by_age=by_age, by_owner=by_owner
    )
    try:
        text = _document(result, **shown) if as_json else _people(result, size, color, **shown)
    except ValueError as exc:  # an export without mtimes, asked for --by-age
        streams.fail(f"{import_from}: {exc}" if import_from else str(exc))
    streams.write_stdout(text + "\n")
    _save(saved if save else None, db, when, import_from)
    sys.exit(EXIT_PARTIAL if result.errors else EXIT_OK)


def _shown(result, top):
    """The result as --top shows it (a saved scan keeps more of the largest files)."""
    return replace(result, top_files=result.top_files[:top], top_dirs=result.top_dirs[:top])


def _save(result, db, at, import_from) -> None:
    """--save, once the scan's own outputs are written: they stay as they
    would be without it, whatever becomes of the save."""
    if result is not None:
        history.save(result, db, at, import_from)


def _obtain(
    paths,
    import_from,
    exclude_from,
    settings,
    *,
    apparent,
    views,
    by_owner,
    sums,
    export,
    scheduler,
    tls,
    size,
    progress,
):
    """The result: read from an export (-f), or scanned."""
    if import_from is not None:
        return streams.read_import(
            import_from, top=settings["top"], apparent=apparent, max_depth=settings["max_depth"]
        )
    gitignore = [line for f in exclude_from for line in streams.gitignore_lines(f.read())]
    return _scan(
        list(paths) or ["."],
        dict(
            settings,
            apparent=apparent,
            views=views,
            sums=sums,
            gitignore=gitignore,
            by_owner=by_owner,
            export=sys.stdout.buffer if export == "-" else export,
            scheduler=scheduler or None,
            tls=tls,
        ),
        size,
        progress=progress,
        export_name=export,
    )


def _document(result, *, tree_depth, width, by_type, by_age, by_owner) -> str:
    """--json: the result as one JSON document."""
    doc = result.to_dict(
        tree_depth=tree_depth, tree_width=width, by_type=by_type, by_age=by_age, by_owner=by_owner
    )
    return json.dumps(doc, ensure_ascii=False, indent=2)


def _people(result, size, color, *, tree_depth, width, by_type, by_age, by_owner) -> str:
    """The report and the views asked for, for a terminal."""
    paint = Palette(options.colour(color))
    parts = [report(result, size)]
    if tree_depth is not None:
        parts.append(tree_report(result, result.tree(tree_depth, width), size, paint))
    if by_type:
        parts.append(type_report(result, result.by_type(), size, paint, width))
    if by_age:
        parts.append(age_report(result, result.by_age(), size, paint))
    if by_owner:
        parts.append(owner_report(result, result.by_owner(), size, paint))
    return "\n\n".join(parts)


def _quiet_dask():
    """Dask logs a lost connection to stderr as it happens (its config sets
    the levels when it is imported); the scan's failure says it in one line.
    Tornado's too: its config has tornado.application at "error", which
    prints a traceback of the reset connection when the scheduler is
    killed (tests/test_cluster.py::test_scheduler_killed_mid_scan_fails_within_10s)."""
    import logging

    try:
        import distributed  # noqa: F401 - imported for its logging set-up, then quietened
    except ImportError:
        return  # the scan says what to install
    known = [n for n in logging.root.manager.loggerDict if n.startswith(("distributed", "tornado"))]
    for name in {*known, "distributed", "tornado", "tornado.application"}:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _scan(paths, options, size, progress, export_name=None):
    """Run a scan; every way it can fail becomes one line and its exit status."""
    if options.get("scheduler"):
        _quiet_dask()
    bar = progress_bar(size, progress)
    try:
        return scan(paths, progress=bar, **options)
    except CannotAccess as exc:
        bar.close()
        streams.fail(issue_message(ScanIssue(exc.path, "access", exc.message)), EXIT_PARTIAL)
    except InvalidOption as exc:
        bar.close()
        raise click.UsageError(str(exc)) from None
    except ExportFailed as exc:
        bar.close()
        if export_name == "-" and exc.errno == errno.EPIPE:
            streams.quiet_stdout()  # `sizescan -o - | head`: the reader had enough
            sys.exit(EXIT_OK)
        streams.cannot_write(exc, "stdout" if export_name == "-" else None)
    except ScanError as exc:  # the engine failed, and says how
        bar.close()
        streams.fail(display_message(str(exc)))
    except MemoryError:
        bar.close()
        raise  # said in one line by _launch, wherever it happens
    except Exception as exc:  # a bug: said as itself, never taken for something else
        bar.close()
        streams.fail(display_message(f"unexpected error: {type(exc).__name__}: {exc}"))
    finally:
        bar.close()


@main.command("diff", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("old", type=click.Path(path_type=str, readable=False))
@click.argument("new", type=click.Path(path_type=str, readable=False))
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How many changed directories to list (0: all).",
)
@click.option(
    "-d",
    "--max-depth",
    type=click.IntRange(min=0),
    default=None,
    help="Compare only directories at most N levels below each PATH.",
)
@options.sizes
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=MAX_WORKERS),
    default=None,
    help="Worker processes for a side that is a live PATH.",
)
@options.scheduler("Scan a live PATH on a Dask cluster (see sizescan --help).")
@options.tls
@options.database
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def diff_command(
    old,
    new,
    top,
    max_depth,
    apparent,
    si,
    exact,
    color,
    workers,
    scheduler,
    tls_ca_file,
    tls_cert,
    tls_key,
    db,
    as_json,
    no_progress,
):
    """Show which directories grew, shrank, appeared or disappeared from OLD to NEW.

    OLD and NEW are each a directory (scanned now), an export file
    (written by sizescan -o, ncdu -o or gdu -o), or a snapshot of the
    history: @ID, @latest, @-1 (the newest), @-2, @DATE (the newest at or
    before it), of the PATH the other side names (`sizescan diff @-1 /data`:
    last snapshot against now).  Directories are matched
    by their path below each side's PATH.  CHANGE is NEW minus OLD of
    everything at and below the directory; STATUS is new (only in NEW),
    gone (only in OLD), grew or shrank.  Largest change first.
    """
    size = options.size_format(si, exact)
    sides = []
    for side, other in ((old, new), (new, old)):
        if side.startswith("@"):
            sides.append(history.load(side, db, None if other.startswith("@") else other))
        elif os.path.isdir(side):
            sides.append(
                _scan(
                    [side],
                    dict(
                        workers=workers,
                        apparent=apparent,
                        sums=True,
                        top=0,
                        scheduler=scheduler or None,
                        tls=options.tls_of(tls_ca_file, tls_cert, tls_key),
                    ),
                    size,
                    progress=not (as_json or no_progress),
                )
            )
        else:
            sides.append(streams.read_import(side, top=0, apparent=apparent))
    from ..model.diff import diff

    changes = diff(*sides, top=top or None, max_depth=max_depth)
    # A side with unreadable parts has partial totals: say so, as a scan does.
    errors = [issue for side in sides for issue in side.errors]
    for issue in errors:
        click.echo(f"sizescan: {issue_message(issue)}", err=True)
    if as_json:
        text = json.dumps(changes.to_dict(), ensure_ascii=False, indent=2)
    else:
        text = diff_report(changes, size, Palette(options.colour(color)))
    streams.write_stdout(text + "\n")
    sys.exit(EXIT_PARTIAL if errors else EXIT_OK)


for _command in (history.history_command, history.growth_command, history.trend_command):
    main.add_command(_command)


def run(argv) -> int:
    """The command, with every outcome turned into an exit status (see _launch)."""
    try:
        return _run(argv)
    finally:
        # The command is over.  What it built is left to the OS: a scan with
        # views or an import is millions of objects, never collected with the
        # GC off (see scan_command), and Python's exit would walk them all
        # once more (0.7 s after importing 1M files, 0.014 s frozen).
        gc.freeze()


def _run(argv) -> int:
    try:
        main.main(args=list(argv), prog_name="sizescan", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:  # end of input inside click itself
        return EXIT_FAILURE
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_FAILURE
    except OSError as exc:  # click's own output (--help > /dev/full)
        if isinstance(exc, BrokenPipeError):
            streams.quiet_stdout()
            return EXIT_OK
        streams.quiet_stdout()
        click.echo(f"sizescan: cannot write to stdout: {exc.strerror}", err=True)
        return EXIT_FAILURE
    return EXIT_OK
