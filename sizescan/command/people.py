"""The one formatter: sizes, names and reports for people."""

from __future__ import annotations

import re

import humanize

from ..model.measure import Measure
from ..model.names import display_path, quote
from ..model.result import ScanIssue, ScanResult


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


_STYLE = re.compile("\x1b\\[[0-9;]*m")


def _width(text: str) -> int:
    return len(_STYLE.sub("", text))


def _table(rows, header):
    """Right-aligned columns, the last one (a name) left as it is; colour-aware."""
    widths = [
        max([_width(header[i]), *(_width(r[i]) for r in rows)]) for i in range(len(header) - 1)
    ]

    def line(cells):
        return (
            "  "
            + "  ".join(" " * (w - _width(c)) + c for c, w in zip(cells, widths))
            + "  "
            + cells[-1]
        )

    return [line(header).rstrip(), *(line(row) for row in rows)]


def report(result: ScanResult, size: SizeFormat) -> str:
    """The people output: a summary, then the largest files and directories."""
    by = result.measure.label
    lines = []
    for root in result.roots:
        lines.append(
            _summary(
                display_path(root.path), root.size, root.disk_usage, root.files, root.dirs, size
            )
        )
    if len(result.roots) > 1:
        lines.append(
            _summary("total", result.total_size, result.disk_usage, result.files, result.dirs, size)
        )
    elapsed = max(result.elapsed_s, 1e-6)
    errors = f"{len(result.errors)} error{'' if len(result.errors) == 1 else 's'}"
    if result.imported:
        lines.append(f"{errors}, read from an export")
    else:
        lines.append(
            f"{errors}, {result.elapsed_s:.{3 if result.elapsed_s < 1 else 2}f} s, "
            f"{humanize.intcomma(int(result.files / elapsed))} files/s, " + _who(result)
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
            [
                (size(result.size_of(d)), humanize.intcomma(d.files), display_path(d.path))
                for d in result.top_dirs
            ],
            ("SIZE", "FILES", "PATH"),
        )
    return "\n".join(lines)


def _who(result) -> str:
    """Who did the reading: "8 workers x 64 requests in flight", or the cluster's share."""
    depth = f" x {result.io_depth} requests in flight" if result.io_depth > 1 else ""
    use = result.cluster
    if use is None:
        return f"{result.workers} worker{'' if result.workers == 1 else 's'}{depth}"
    return (
        f"{use.workers} Dask worker{'' if use.workers == 1 else 's'} "
        f"({use.threads} thread{'' if use.threads == 1 else 's'}){depth}, "
        f"{humanize.intcomma(use.tasks)} task{'' if use.tasks == 1 else 's'} "
        f"via {use.scheduler}"
    )


def _summary(name, apparent, disk, files, dirs, size):
    return (
        f"{name}: {size(disk)} disk usage, {size(apparent)} apparent size, "
        f"{humanize.intcomma(files)} file{'' if files == 1 else 's'}, "
        f"{humanize.intcomma(dirs)} dir{'' if dirs == 1 else 's'}"
    )


class Palette:
    """Colour for people at a terminal; plain text everywhere else.

    The CLI decides (a terminal, and ``NO_COLOR`` unset or empty: see
    https://no-color.org); the formatter only asks for a role.
    """

    _ROLES: dict[str, dict] = {
        "dir": {"fg": "blue", "bold": True},
        "bar": {"fg": "cyan"},
        "dim": {"dim": True},
        "warn": {"fg": "red", "bold": True},
        "grew": {"fg": "red"},
        "shrank": {"fg": "green"},
    }

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str, role: str) -> str:
        if not self.enabled or not text:
            return text
        import click

        return click.style(text, **self._ROLES[role])


_EIGHTHS = " ▏▎▍▌▋▊▉"
BAR_WIDTH = 20


def bar(share: float, width: int = BAR_WIDTH) -> str:
    """A proportional bar: ``share`` (0..1) of ``width`` cells, in eighths."""
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part else "")
    return text.ljust(width)


def _share(part: int, whole: int) -> float:
    return part / whole if whole > 0 else 0.0


def _percent(share: float) -> str:
    return f"{share * 100:5.1f}%"


def tree_report(result: ScanResult, trees, size: SizeFormat, paint: Palette) -> str:
    """``--tree``: each PATH, then its largest entries, indented, largest first."""
    by = result.measure.label
    rows = []  # (size, share, bar, name) with name already indented and painted
    unreadable = False

    def visit(node, parent_total, lead, last, top):
        nonlocal unreadable
        value = result.size_of(node)
        share = _share(value, parent_total) if not top else 1.0
        name = display_path(node.name)
        if node.folded:
            name = paint(name, "dim")
        elif node.is_dir:
            name = paint(name if top else name + "/", "dir")
        if node.unreadable:
            unreadable = True
            name = paint("!", "warn") + " " + name
        branch = "" if top else lead + ("└─ " if last else "├─ ")
        rows.append((size(value), _percent(share), paint(bar(share), "bar"), branch + name))
        child_lead = "" if top else lead + ("   " if last else "│  ")
        for i, child in enumerate(node.children):
            visit(child, value, child_lead, i == len(node.children) - 1, False)

    for tree in trees:
        visit(tree, 0, "", True, True)
    lines = [f"Tree (by {by}; share of the parent directory)"]
    lines += _table(rows, ("SIZE", "SHARE", "", "NAME"))
    if unreadable:
        lines.append("! a directory below could not be read: its size is a lower bound")
    return "\n".join(lines)


def _breakdown(title, rows, total, size, paint, label):
    table = [
        (
            size(v),
            _percent(_share(v, total)),
            paint(bar(_share(v, total)), "bar"),
            humanize.intcomma(count),
            name,
        )
        for name, count, v in rows
    ]
    return "\n".join([title, *_table(table, ("SIZE", "SHARE", "", "COUNT", label))])


def type_report(result: ScanResult, kinds, size: SizeFormat, paint: Palette, top: int) -> str:
    """``--by-type``: totals by kind, largest first; the rest folded in one row."""
    by = result.measure.label
    rows = [(display_path(k.kind), k.count, result.size_of(k)) for k in kinds]
    if len(rows) > top:  # --top N: the N largest, the rest in one row (0: all in one)
        rest = rows[top:]
        label = f"({len(rest)} {'other ' if top else ''}type{'' if len(rest) == 1 else 's'})"
        rows = rows[:top] + [
            (paint(label, "dim"), sum(r[1] for r in rest), sum(r[2] for r in rest))
        ]
    total = result.measure.pick(result.total_size, result.disk_usage)
    return _breakdown(f"By type (by {by})", rows, total, size, paint, "TYPE")


def age_report(result: ScanResult, ages, size: SizeFormat, paint: Palette) -> str:
    """``--by-age``: non-directories by time since their last modification."""
    by = result.measure.label
    rows = [(a.label, a.count, result.size_of(a)) for a in ages]
    total = sum(r[2] for r in rows)
    return _breakdown(
        f"By age of last modification (files, by {by})", rows, total, size, paint, "MODIFIED"
    )


def owner_report(result: ScanResult, owners, size: SizeFormat, paint: Palette) -> str:
    """``--by-owner``: totals by user, then by group; each adds up to the total."""
    by = result.measure.label
    total = result.measure.pick(result.total_size, result.disk_usage)
    parts = []
    for kind, label in (("user", "USER"), ("group", "GROUP")):
        rows = [
            (display_path(o.name), o.count, result.size_of(o)) for o in owners if o.kind == kind
        ]
        parts.append(
            _breakdown(f"By {kind} (entries they own, by {by})", rows, total, size, paint, label)
        )
    return "\n\n".join(parts)


def _signed(n: int, size: SizeFormat) -> str:
    return ("+" if n > 0 else "-" if n < 0 else "±") + size(abs(n))


def diff_report(d, size: SizeFormat, paint: Palette) -> str:
    """``sizescan diff``: totals, then the directories that changed most."""
    by = d.measure.label

    def signed(n):
        return _signed(n, size)

    old_total, new_total = (
        d.measure.pick(d.old.total_size, d.old.disk_usage),
        d.measure.pick(d.new.total_size, d.new.disk_usage),
    )
    lines = [
        f"old: {display_path(d.old.paths[0])}: {size(old_total)}, "
        f"{humanize.intcomma(d.old.files)} files",
        f"new: {display_path(d.new.paths[0])}: {size(new_total)}, "
        f"{humanize.intcomma(d.new.files)} files",
        f"change: {signed(new_total - old_total)} {by}, "
        f"{'+' if d.new.files >= d.old.files else '-'}{humanize.intcomma(abs(d.new.files - d.old.files))} files",
    ]
    if d.changes:
        depth = f", depth <= {d.max_depth}" if d.max_depth is not None else ""
        lines += ["", f"Changed directories (by {by}{depth}; largest change first)"]
        rows = []
        for c in d.changes:
            change = c.change(d.apparent)
            old = d.measure.pick(c.old_size, c.old_disk_usage)
            new = d.measure.pick(c.new_size, c.new_disk_usage)
            role = "grew" if change > 0 else "shrank"
            rows.append(
                (
                    paint(signed(change), role),
                    size(old) if c.status != "new" else "-",
                    size(new) if c.status != "gone" else "-",
                    c.status,
                    display_path(c.path),
                )
            )
        lines += _table(rows, ("CHANGE", "OLD", "NEW", "STATUS", "PATH"))
    else:
        lines += ["", "No directory changed."]
    return "\n".join(lines)


def when(at: float) -> str:
    """A snapshot's time, for people: local, to the minute."""
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))


def history_report(snapshots, size: SizeFormat) -> str:
    """``sizescan history``: one line a snapshot, newest first."""
    if not snapshots:
        return "No snapshot saved."
    rows = [
        (
            str(s.id),
            when(s.taken_at),
            size(s.disk_usage),
            humanize.intcomma(s.files),
            f"{s.errors}" if s.errors else "",
            display_path(s.path),
        )
        for s in snapshots
    ]
    return "\n".join(_table(rows, ("ID", "TAKEN", "DISK USAGE", "FILES", "ERRORS", "PATH")))


def _snapshot_line(label, s) -> str:
    return f"{label}: snapshot {s.id} of {when(s.taken_at)}"


def growth_report(g, size: SizeFormat, paint: Palette, top: int, as_tree: bool) -> str:
    """``sizescan growth``: the total change, where it happened, files, types, owners."""
    measure = Measure.of(g.apparent)
    by = measure.label
    lines = [
        f"{display_path(g.new.path)}: {_signed(g.total_change, size)} {by}",
        _snapshot_line("from", g.old) + f", {size(measure.pick(g.old.size, g.old.disk_usage))}",
        _snapshot_line("to", g.new) + f", {size(measure.pick(g.new.size, g.new.disk_usage))}",
    ]
    if g.rules:
        changed = ", ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in g.rules.items())
        lines.append(
            paint(
                f"note: taken under different rules ({changed}): part of the change is theirs",
                "shrank",
            )
        )
    elif g.rules_unknown:
        lines.append(paint("note: a snapshot read from an export: its rules are not known", "dim"))
    places = g.places(top or None)

    def row(c, name):
        change = c.change(g.apparent)
        return (
            paint(_signed(change, size), "grew" if change > 0 else "shrank"),
            _signed(c.own_change(g.apparent), size),
            size(measure.pick(c.new_size, c.new_disk_usage)) if c.status != "gone" else "-",
            c.status,
            name,
        )

    header = ("CHANGE", "HERE", "NOW", "STATUS", "PATH")
    lines.append("")
    if not g.changes:
        lines.append("No directory changed.")
    elif as_tree:
        lines.append(f"Where it changed, with the directories above (by {by})")
        lines += _table(_growth_tree(g, places, row), header)
    else:
        lines.append(f"Where it changed (by {by}; HERE: in the directory itself)")
        lines += _table([row(c, display_path(c.path)) for c in places], header)
    files = g.files[: top or None]
    if files:
        lines += ["", f"Largest files that changed (by {by})"]
        lines += _table(
            [
                (
                    _signed(
                        measure.pick(f.new_size or 0, f.new_disk_usage or 0)
                        - measure.pick(f.old_size or 0, f.old_disk_usage or 0),
                        size,
                    ),
                    f.status,
                    display_path(f.path),
                )  # fmt: skip
                for f in files
            ],
            ("CHANGE", "STATUS", "PATH"),
        )
    for title, totals in (("By type", g.kinds), ("By owner", g.owners)):
        if totals:
            lines += ["", f"{title} (by {by})"]
            lines += _table(
                [
                    (
                        _signed(
                            measure.pick(t.new_size, t.new_disk_usage)
                            - measure.pick(t.old_size, t.old_disk_usage),
                            size,
                        ),
                        f"{t.new_count - t.old_count:+,}",
                        display_path(t.name),
                    )  # fmt: skip
                    for t in totals[: top or None]
                ],
                ("CHANGE", "COUNT", "NAME"),
            )
    return "\n".join(lines)


def _growth_tree(g, places, row):
    """The places and every directory above them, as an indented tree."""
    by_path = {c.path: c for c in g.changes}

    def parent(path):
        return path.rsplit("/", 1)[0] if "/" in path else "."

    shown = {"."}
    for c in places:
        path = c.path
        while path != ".":
            shown.add(path)
            path = parent(path)
    below: dict = {}
    for path in shown - {"."}:
        below.setdefault(parent(path), []).append(path)
    rows = []
    stack = [(".", 0)]  # a stack, not recursion: a tree may be 20,000 levels deep
    while stack:
        path, depth = stack.pop()
        c = by_path.get(path)
        label = "  " * depth + display_path(path.rsplit("/", 1)[-1])
        rows.append(row(c, label) if c else ("", "", "", "unchanged", label))
        under = below.get(path, [])
        under.sort(key=lambda p: (-abs(by_path[p].change(g.apparent)) if p in by_path else 0, p))
        stack.extend((p, depth + 1) for p in reversed(under))
    return rows


def trend_report(path: str, points, size: SizeFormat, apparent: bool) -> str:
    """``sizescan trend``: a directory's totals in every snapshot, and a sparkline."""
    measure = Measure.of(apparent)
    values = [measure.pick(p.size, p.disk_usage) for p in points]
    rows, previous = [], None
    for p, value in zip(points, values):
        rows.append(
            (
                str(p.snapshot.id),
                when(p.snapshot.taken_at),
                size(value),
                "" if previous is None else _signed(value - previous, size),
                humanize.intcomma(p.files),
                "unreadable below" if p.unreadable else "",
            )
        )
        previous = value
    lines = [f"{display_path(path)} (by {measure.label})  {sparkline(values)}"]
    lines += _table(rows, ("ID", "TAKEN", measure.label.upper(), "CHANGE", "FILES", ""))
    return "\n".join(line.rstrip() for line in lines)


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values) -> str:
    """One block per value, from the lowest to the highest of them."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = high - low
    return "".join(_BARS[(v - low) * (len(_BARS) - 1) // span if span else 0] for v in values)
