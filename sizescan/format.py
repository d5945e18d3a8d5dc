"""The one formatter: sizes, names and reports for people."""

from __future__ import annotations

import re

import humanize

from .result import ScanIssue, ScanResult

# Control characters (C0, DEL, C1) and the lone surrogates that stand for
# bytes that are not UTF-8: none of them may reach a terminal as they are,
# or a name could split a line or send an escape sequence.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\udc80-\udcff]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape_char(match) -> str:
    c = match.group()
    if c in _NAMED:
        return _NAMED[c]
    code = ord(c)
    return f"\\x{code - 0xDC00 if code >= 0xDC80 else code:02x}"


def display_path(path: str) -> str:
    """A path safe to print on one terminal line: unsafe characters as ``\\xNN``."""
    return _UNSAFE.sub(_escape_char, path)


def quote(path: str) -> str:
    """A path as du quotes it in messages: in single quotes, escaped."""
    shown = display_path(path)
    if "'" in shown:
        return '"' + shown + '"'
    return "'" + shown + "'"


def issue_message(issue: ScanIssue) -> str:
    """du's wording for a per-path problem, without the program name."""
    what = "cannot read directory" if issue.operation == "read" else "cannot access"
    return f"{what} {quote(issue.path)}: {issue.message}"


class SizeFormat:
    """How sizes are written: humanize's binary units, decimal (``si``), or exact bytes."""

    def __init__(self, *, si: bool = False, exact: bool = False):
        self.si = si
        self.exact = exact

    def __call__(self, n: int) -> str:
        if self.exact:
            return str(n)
        return humanize.naturalsize(n, binary=not self.si, format="%.1f")


def _table(rows, header):
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header) - 1)]
    lines = ["  " + "  ".join(h.rjust(w) for h, w in zip(header, widths)) + "  " + header[-1]]
    for row in rows:
        lines.append("  " + "  ".join(c.rjust(w) for c, w in zip(row, widths)) + "  " + row[-1])
    return lines


def report(result: ScanResult, size: SizeFormat) -> str:
    """The people output: a summary, then the largest files and directories."""
    by = "apparent size" if result.apparent else "disk usage"
    lines = []
    for root in result.roots:
        lines.append(_summary(display_path(root.path), root.size, root.disk_usage, root.files, root.dirs, size))
    if len(result.roots) > 1:
        lines.append(_summary("total", result.total_size, result.disk_usage, result.files, result.dirs, size))
    elapsed = max(result.elapsed_s, 1e-6)
    lines.append(
        f"{len(result.errors)} error{'' if len(result.errors) == 1 else 's'}, "
        f"{result.elapsed_s:.{3 if result.elapsed_s < 1 else 2}f} s, {humanize.intcomma(int(result.files / elapsed))} files/s, "
        f"{result.workers} worker{'' if result.workers == 1 else 's'}"
    )
    if result.top_files:
        lines += ["", f"Largest files (by {by})"]
        lines += _table(
            [(size(result.size_of(f)), display_path(f.path)) for f in result.top_files],
            ("SIZE", "PATH"),
        )
    if result.top_dirs:
        depth = f", depth <= {result.max_depth}" if result.max_depth is not None else ""
        lines += ["", f"Largest directories (by {by}{depth})"]
        lines += _table(
            [(size(result.size_of(d)), humanize.intcomma(d.files), display_path(d.path))
             for d in result.top_dirs],
            ("SIZE", "FILES", "PATH"),
        )
    return "\n".join(lines)


def _summary(name, apparent, disk, files, dirs, size):
    return (f"{name}: {size(disk)} disk usage, {size(apparent)} apparent size, "
            f"{humanize.intcomma(files)} file{'' if files == 1 else 's'}, "
            f"{humanize.intcomma(dirs)} dir{'' if dirs == 1 else 's'}")
