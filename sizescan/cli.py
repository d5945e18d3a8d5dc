"""The ``sizescan`` command: builds a scan, calls the library, translates the result.

Everything a person sees is decided here; the library only returns values.
"""

from __future__ import annotations

import json
import os
import signal
import sys

import click

from ._version import __version__
from .engine import scan
from .errors import CannotAccess, EngineFailure, InvalidOption
from .format import SizeFormat, issue_message, report
from .result import ScanIssue

EXIT_OK, EXIT_PARTIAL, EXIT_FAILURE = 0, 1, 2


class _ProgressBar:
    """A tqdm line on stderr fed from sampled counters; cleared when done."""

    def __init__(self, size: SizeFormat):
        from tqdm import tqdm  # only paid for when a terminal will show it

        self._size = size
        self._bar = tqdm(
            file=sys.stderr,
            unit=" files",
            unit_scale=True,
            leave=False,
            dynamic_ncols=True,
            bar_format="{n_fmt} files, {postfix} [{elapsed}, {rate_fmt}]",
            postfix="0 B",
        )

    def __call__(self, p):
        self._bar.set_postfix_str(f"{self._size(p.disk_usage)}, {p.dirs:,} dirs", refresh=False)
        self._bar.update(p.files - self._bar.n)

    def close(self):
        self._bar.close()


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the scan tears its processes down."""


def _raise_terminated(signum, frame):
    raise _Terminated


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes. Default: one per CPU (at most 16) on local disks; "
                   "4 per CPU (8 to 32) on network and FUSE filesystems, where a scan waits "
                   "on round trips rather than on the CPU.")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many of the largest files and directories to list (0: none).")
@click.option("-d", "--max-depth", type=click.IntRange(min=0), default=None,
              help="List only directories at most N levels below a PATH (like du -d N); "
                   "everything is still counted.")
@click.option("--apparent-size", "apparent", is_flag=True,
              help="Show and sort by apparent size (st_size) instead of disk usage "
                   "(allocated blocks, the default, as du).")
@click.option("-x", "--one-file-system", is_flag=True, help="Skip directories on other filesystems.")
@click.option("-L", "--dereference", is_flag=True,
              help="Follow symbolic links; a directory reached twice (or a loop) is counted once.")
@click.option("--exclude", "exclude", multiple=True, metavar="PATTERN",
              help="Skip entries matching the shell PATTERN, with du's rules (repeatable).")
@click.option("--exclude-kernfs", is_flag=True,
              help="Skip pseudo filesystems (proc, sysfs, cgroup, debugfs...) below each PATH.")
@click.option("-l", "--count-links", is_flag=True, help="Count every hard link of a file, not just one.")
@click.option("--si", is_flag=True, help="Decimal units (kB, MB: powers of 1000) instead of KiB, MiB.")
@click.option("-b", "--bytes", "exact", is_flag=True, help="Show sizes as exact byte counts.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (schema in README).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress bar and no per-path error lines (the exit status still tells).")
@click.option("--start-method", type=click.Choice(["fork", "forkserver", "spawn"]), default=None,
              help="multiprocessing start method (default: the platform's).")
@click.version_option(__version__, prog_name="sizescan")
def main(paths, workers, top, max_depth, apparent, one_file_system, dereference, exclude,
         exclude_kernfs, count_links, si, exact, as_json, no_progress, quiet, start_method):
    """Show where the space under each PATH (default: .) went.

    Totals equal GNU du's: apparent size as `du -sb`, disk usage as `du -sB1`.
    Exit status: 0 when every path was read, 1 when some could not be
    (they are listed on stderr), 2 for bad usage or a failed scan.
    """
    if si and exact:
        raise click.UsageError("--si and -b/--bytes contradict each other: units or exact bytes?")
    paths = list(paths) or ["."]
    size = SizeFormat(si=si, exact=exact)
    bar = None
    if not (as_json or quiet or no_progress) and sys.stderr.isatty():
        bar = _ProgressBar(size)
    # SIGTERM stops a scan the way Ctrl-C does: pool and collector torn down.
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        result = scan(
            paths, workers=workers, top=top, max_depth=max_depth, apparent=apparent,
            one_file_system=one_file_system, dereference=dereference, exclude=exclude,
            exclude_kernfs=exclude_kernfs, count_links=count_links, progress=bar, start_method=start_method,
        )
    except CannotAccess as exc:
        _close(bar)
        click.echo(f"sizescan: {issue_message(ScanIssue(exc.path, 'access', exc.message))}", err=True)
        sys.exit(EXIT_PARTIAL)
    except InvalidOption as exc:
        _close(bar)
        raise click.UsageError(str(exc)) from None
    except EngineFailure as exc:
        _close(bar)
        click.echo(f"sizescan: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except KeyboardInterrupt as exc:
        _close(bar)
        # The shell's convention: 128 + the signal's number.
        sys.exit(128 + (signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT))
    _close(bar)

    if not quiet:
        for issue in result.errors:
            click.echo(f"sizescan: {issue_message(issue)}", err=True)
    if as_json:
        text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
    else:
        text = report(result, size)
    _write_stdout(text + "\n")
    sys.exit(EXIT_PARTIAL if result.errors else EXIT_OK)


def _close(bar):
    if bar is not None:
        bar.close()


def _write_stdout(text: str) -> None:
    # UTF-8 whatever the locale: --json must stay valid UTF-8 under LANG=C,
    # and display_path() has already made people output safe.
    try:
        sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
        sys.stdout.flush()
    except BrokenPipeError:
        # `sizescan | head -1`: the reader is gone; leave quietly, and keep
        # Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_OK)
