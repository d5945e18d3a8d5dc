"""Compare two scans, directory by directory.

Each side is a :class:`ScanResult` with views: a live scan or an export
read back.  Directories are matched by their path relative to each side's
PATH, so a tree can be compared with a copy of itself elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from .measure import Measure
from .result import ScanResult, _path_fields

GREW, SHRANK, NEW, GONE = "grew", "shrank", "new", "gone"


@dataclass(frozen=True)
class DirChange:
    """One directory whose totals differ between the two scans.

    ``path`` is relative to the PATH scanned ("." for the PATH itself).
    ``old_*`` and ``new_*`` are the totals of everything at and below it
    (0 on the side where it does not exist); ``status`` is ``new`` (only in
    NEW), ``gone`` (only in OLD), else ``grew`` or ``shrank`` by the size
    the diff sorts on (disk usage, or apparent size).  A directory whose
    size on that measure did not change is not listed.
    """

    path: str
    status: str
    old_size: int
    new_size: int
    old_disk_usage: int
    new_disk_usage: int
    old_files: int
    new_files: int

    def change(self, apparent: bool) -> int:
        """NEW minus OLD, by apparent size or by disk usage."""
        measure = Measure.of(apparent)
        return (measure.pick(self.new_size, self.new_disk_usage)
                - measure.pick(self.old_size, self.old_disk_usage))


@dataclass
class ScanDiff:
    """What :func:`diff` returns: ``changes`` largest first (by absolute change)."""

    old: ScanResult
    new: ScanResult
    changes: list[DirChange]
    apparent: bool = False
    max_depth: int | None = None

    @property
    def measure(self) -> Measure:
        return Measure.of(self.apparent)

    @property
    def total_change(self) -> int:
        pick = self.measure.pick
        return pick(self.new.total_size, self.new.disk_usage) - pick(self.old.total_size,
                                                                     self.old.disk_usage)

    def to_dict(self) -> dict:
        """The ``diff --json`` document."""
        return {
            "old": _path_fields(self.old.paths[0])["path"],
            "new": _path_fields(self.new.paths[0])["path"],
            "sorted_by": self.measure.json_name,
            "max_depth": self.max_depth,
            "old_total": {"size": self.old.total_size, "disk_usage": self.old.disk_usage,
                          "files": self.old.files},
            "new_total": {"size": self.new.total_size, "disk_usage": self.new.disk_usage,
                          "files": self.new.files},
            "changes": [
                dict(_path_fields(c.path), status=c.status, change=c.change(self.apparent),
                     old_size=c.old_size, new_size=c.new_size, old_disk_usage=c.old_disk_usage,
                     new_disk_usage=c.new_disk_usage, old_files=c.old_files, new_files=c.new_files)
                for c in self.changes
            ],
        }


def _relative(result: ScanResult, max_depth):
    root = result.paths[0]
    cut = len(root) + (0 if root.endswith("/") else 1)
    table = {}
    for path, total in result.directories().items():
        if max_depth is not None and total.depth > max_depth:
            continue
        table["." if path == root else path[cut:]] = total
    return table


def diff(old: ScanResult, new: ScanResult, *, top: int | None = None,
         max_depth: int | None = None) -> ScanDiff:
    """Directories that changed from ``old`` to ``new``, largest change first.

    Both must have views (``scan(..., views=True)`` or an export read with
    :func:`sizescan.ncdu.read_export`), of one PATH each.  ``top`` keeps the
    largest changes only; ``max_depth`` only directories at most that many
    levels below the PATH.  Sizes are compared as ``new`` sorts them.
    """
    for side in (old, new):
        if len(side.paths) != 1:
            raise ValueError("diff compares scans of one PATH each")
    apparent, measure = new.apparent, new.measure
    before, after = _relative(old, max_depth), _relative(new, max_depth)
    changes = []
    for path in before.keys() | after.keys():
        a, b = before.get(path), after.get(path)
        old_size, old_disk, old_files = (a.size, a.disk_usage, a.files) if a else (0, 0, 0)
        new_size, new_disk, new_files = (b.size, b.disk_usage, b.files) if b else (0, 0, 0)
        change = measure.pick(new_size, new_disk) - measure.pick(old_size, old_disk)
        if a is None:
            status = NEW
        elif b is None:
            status = GONE
        elif change:
            status = GREW if change > 0 else SHRANK
        else:
            continue
        changes.append(DirChange(path, status, old_size, new_size, old_disk, new_disk,
                                 old_files, new_files))
    changes.sort(key=lambda c: (-abs(c.change(apparent)), c.path))
    if top is not None:
        del changes[top:]
    return ScanDiff(old, new, changes, apparent, max_depth)
