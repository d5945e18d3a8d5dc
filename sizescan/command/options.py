"""The command's options, in groups (decorators, as sqlite-utils declares them).

The scan's own settings are not written here: ``settings_of_scan`` makes
one option of each ``ScanOptions`` field that names its flags (see
model.options), so a new setting is a field and the code that uses it.
The groups below are what only the command has: views to print, files to
write, units, a cluster to reach.
"""

from __future__ import annotations

import os
import sys

import click

from ..files.html import DEFAULT_BOXES
from ..model.options import settings


def colour(choice: str) -> bool:
    """--color: auto means on a terminal, NO_COLOR unset or empty."""
    if choice != "auto":
        return choice == "always"
    # https://no-color.org: set and not empty means no colour.
    return sys.stdout is not None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def size_format(si, exact):
    """The SizeFormat of --si and -b, which contradict each other."""
    from .people import SizeFormat

    if si and exact:
        raise click.UsageError("--si and -b/--bytes contradict each other: units or exact bytes?")
    return SizeFormat(si=si, exact=exact)


def _option_of(setting):
    """The click option of one ScanOptions field."""
    meta = setting.metadata
    extra = {"help": meta["help"], "show_default": meta["show_default"]}
    if meta["metavar"]:
        extra["metavar"] = meta["metavar"]
    if setting.type == "bool":
        extra["is_flag"] = True
    elif setting.type.startswith("tuple"):
        extra["multiple"] = True
    elif meta["choices"]:
        extra["type"] = click.Choice(list(meta["choices"]))
        extra["default"] = setting.default
    else:
        extra["type"] = click.IntRange(min=meta["low"], max=meta["high"])
        extra["default"] = setting.default
    return click.option(*meta["flags"], setting.name, **extra)


def settings_of_scan(command):
    """An option for each setting of the scan the command offers, in the
    order ScanOptions declares them."""
    for setting in reversed(settings()):
        if setting.metadata["flags"]:
            command = _option_of(setting)(command)
    return command


def _group(*options):
    def apply(command):
        for option in reversed(options):
            command = option(command)
        return command

    return apply


views = _group(
    click.option(
        "--tree",
        is_flag=True,
        help="Show each PATH as a tree, largest first, with each entry's share of its "
        "directory; smaller entries folded into one row.",
    ),
    click.option("--by-type", is_flag=True, help="Totals by file extension or kind of entry."),
    click.option(
        "--by-age", is_flag=True, help="Totals of files by time since their last modification."
    ),
)

exclude_from = click.option(
    "--exclude-from",
    "exclude_from",
    multiple=True,
    metavar="FILE",
    type=click.File("rb"),
    help="Skip entries matching the patterns in FILE, in .gitignore syntax, relative to each "
    "PATH (repeatable).",
)

sizes = _group(
    click.option(
        "--apparent-size",
        "apparent",
        is_flag=True,
        help="Show and sort by apparent size (st_size) instead of disk usage "
        "(allocated blocks, the default, as du).",
    ),
    click.option(
        "--si", is_flag=True, help="Decimal units (kB, MB: powers of 1000) instead of KiB, MiB."
    ),
    click.option("-b", "--bytes", "exact", is_flag=True, help="Show sizes as exact byte counts."),
    click.option(
        "--color",
        "--colour",
        "color",
        default="auto",
        show_default=True,
        type=click.Choice(["auto", "always", "never"]),
        help="Colour the views: auto means on a terminal and NO_COLOR unset.",
    ),
)

outputs = _group(
    click.option(
        "-o",
        "--export",
        "export",
        metavar="FILE",
        help="Also write the whole tree to FILE ('-': stdout, then nothing else is "
        "printed there) in ncdu's JSON export format, read by ncdu -f and gdu -f.",
    ),
    click.option(
        "--html",
        "html_to",
        metavar="FILE",
        help="Also write a report to FILE: one HTML page, readable offline, with a "
        "zoomable treemap and the largest files, types, ages and owners (the "
        "scan counts by owner for it).",
    ),
    click.option(
        "--html-boxes",
        type=click.IntRange(min=1),
        default=DEFAULT_BOXES,
        show_default=True,
        metavar="N",
        help="Boxes the report's treemap holds at most; each directory's smaller "
        "entries are folded into one.",
    ),
    click.option(
        "-f",
        "--import",
        "import_from",
        metavar="FILE",
        help="Read a scan from an ncdu-format FILE (sizescan, ncdu or gdu export; "
        "'-': stdin) instead of the disk.",
    ),
    click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print one JSON document (its fields: docs/json.md).",
    ),
    click.option("--no-progress", is_flag=True, help="No progress bar."),
    click.option(
        "-q",
        "--quiet",
        is_flag=True,
        help="No progress bar and no per-path error lines (the exit status still tells).",
    ),
)


def _tls_option(flag, dest, what):
    return click.option(
        flag,
        dest,
        metavar="FILE",
        default=None,
        type=click.Path(exists=True, dir_okay=False),
        help=f"For a tls:// --scheduler: the {what} (PEM; default: Dask's "
        f"distributed.comm.tls configuration).",
    )


tls = _group(
    _tls_option("--tls-ca-file", "tls_ca_file", "CA certificates"),
    _tls_option("--tls-cert", "tls_cert", "certificate"),
    _tls_option("--tls-key", "tls_key", "private key"),
)


def scheduler(help):
    return click.option(
        "--scheduler", envvar="SIZESCAN_SCHEDULER", metavar="ADDRESS", default=None, help=help
    )


cluster = _group(
    scheduler(
        "Scan on a Dask cluster: its scheduler's address (tcp://HOST:8786; also "
        "SIZESCAN_SCHEDULER). Every worker must see PATH at the same path and have "
        "sizescan installed ('sizescan[dask]')."
    ),
    tls,
)


def tls_of(ca_file, cert, key):
    """scan()'s ``tls`` from the three options (None: Dask's configuration)."""
    given = {"ca_file": ca_file, "cert": cert, "key": key}
    return {name: path for name, path in given.items() if path} or None


database = click.option(
    "--db",
    "db",
    metavar="FILE",
    default=None,
    help="The history database (default: $SIZESCAN_DB, else "
    "$XDG_DATA_HOME/sizescan/history.db, ~/.local/share/... when unset).",
)

saving = _group(
    click.option(
        "--save",
        is_flag=True,
        help="Also keep a snapshot of each PATH (every directory's totals, the largest "
        "files, and the totals by type and owner when shown) in the history database; "
        "see sizescan history, growth and trend.",
    ),
    database,
    click.option(
        "--at",
        metavar="WHEN",
        help="With -f FILE --save: date the snapshot (a date, date-time or age) instead "
        "of by the export's own timestamp.",
    ),
    click.option(
        "--since",
        metavar="WHEN",
        help="With --html: colour the treemap by each directory's growth since that "
        "snapshot (an id, -N, a date or an age: see sizescan growth) and list where it grew.",
    ),
)
