"""What the command reads and writes besides the scan: stdout, the report's
file, an import, pattern files; and the rule that no file is both written
and read (or written twice) by one run.  Every failure here is one line
and its exit status.
"""

from __future__ import annotations

import os
import socket
import sys

import click

from ..errors import BadExport, ExportFailed
from ..files.atomic import OutputFile
from ..files.html import write as write_html
from ..model.names import quote

EXIT_OK, EXIT_PARTIAL, EXIT_FAILURE = 0, 1, 2


def fail(message: str, status: int = EXIT_FAILURE):
    click.echo(f"sizescan: {message}", err=True)
    sys.exit(status)


def gitignore_lines(data: bytes) -> list:
    """A gitignore file's lines as git splits them: at "\\n" only (a "\\r"
    before it is the matcher's to drop), after a byte order mark; names
    that are not UTF-8 kept as surrogates."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", "surrogateescape").split("\n")


def same_file(a: str, b: str) -> bool:
    """Whether names ``a`` and ``b`` are one file, through links or not (a name
    that does not exist yet is compared as its resolved path)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return os.path.realpath(a) == os.path.realpath(b)


def one_file_each(export, html_to, import_from, exclude_from, paths):
    """Refuse, before anything is read or written, a file written twice or
    written over while it is read: the second write would replace an export
    or a report at the end, and a report would replace the export, the
    patterns or the file it was made from.  Either way a file of the user's
    is lost."""
    writes = [
        (name, flag) for name, flag in ((export, "-o"), (html_to, "--html")) if name and name != "-"
    ]
    reads = [(name, "the export -f reads") for name in (import_from,) if name and name != "-"]
    reads += [
        (f.name, "the patterns --exclude-from reads")
        for f in exclude_from
        if isinstance(f.name, str) and f.name != "<stdin>"
    ]  # click's name for "-"
    reads += [(path, "a PATH it scans") for path in paths if not os.path.isdir(path)]
    for i, (name, flag) in enumerate(writes):
        for other, other_flag in writes[i + 1 :]:
            if same_file(name, other):
                raise click.UsageError(
                    f"{flag} and {other_flag} name the same file, "
                    f"{quote(name)}: one would replace the other"
                )
        for other, what in reads:
            if same_file(name, other):
                raise click.UsageError(f"{flag} names {what}, {quote(other)}: it would be replaced")


def cannot_write(exc: ExportFailed, where=None):
    """An export or a report not written, in one line."""
    fail(f"cannot write the {exc.what} to {where or quote(str(exc.target))}: {exc.strerror}")


def open_report(name):
    # Opened before the scan: a scan of hours must not end in "cannot write".
    try:
        return OutputFile(name, "report")
    except ExportFailed as exc:
        cannot_write(exc)


def write_report(result, target, boxes, import_from, history=None):
    try:
        write_html(
            result,
            target,
            boxes=boxes,
            host=None if import_from else socket.gethostname(),
            source=None if import_from in (None, "-") else import_from,
            history=history,
        )
    except ExportFailed as exc:
        cannot_write(exc)


def read_import(source, **options):
    from ..files.ncdu_read import read_export

    try:
        if source == "-":
            if sys.stdin is None:
                fail("cannot read an export from stdin: it is closed")
            return read_export(sys.stdin.buffer, **options)
        return read_export(source, **options)
    except BadExport as exc:
        fail(str(exc))


def write_stdout(text: str) -> None:
    # UTF-8 whatever the locale: --json must stay valid UTF-8 under LANG=C,
    # and display_path() has already made people output safe.
    if sys.stdout is None:  # sizescan >&-
        fail("cannot write to stdout: it is closed")
    try:
        sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
        sys.stdout.flush()
    except BrokenPipeError:
        # `sizescan | head -1`: the reader is gone; leave quietly.
        quiet_stdout()
        sys.exit(EXIT_OK)
    except OSError as exc:  # > /dev/full, a full disk
        quiet_stdout()
        fail(f"cannot write to stdout: {exc.strerror}")


def quiet_stdout():
    # Keep Python from failing again when it flushes stdout at exit.
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
