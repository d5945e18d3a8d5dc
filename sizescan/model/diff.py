"""Compare two scans, directory by directory.

Each side is a :class:`ScanResult` with views: a live scan or an export
read back.  Directories are matched by their path relative to each side's
PATH, so a tree can be compared with a copy of itself elsewhere: by their
keys, which are relative to the PATH (model.keys.dir_key), so a path is built
only for a change that is listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .measure import Measure
from .names import path_fields
from .result import ScanResult, largest
from .tree import APPARENT, DEPTH, DIRS, PARENT

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

    def change(self, apparent: bool = False) -> int:
        """NEW minus OLD, by disk usage or (``apparent``) by apparent size."""
        measure = Measure.of(apparent)
        return measure.pick(self.new_size, self.new_disk_usage) - measure.pick(
            self.old_size, self.old_disk_usage
        )


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
        return pick(self.new.total_size, self.new.disk_usage) - pick(
            self.old.total_size, self.old.disk_usage
        )

    def to_dict(self) -> dict:
        """The ``diff --json`` document."""
        return {
            "old": path_fields(self.old.paths[0])["path"],
            "new": path_fields(self.new.paths[0])["path"],
            "sorted_by": self.measure.json_name,
            "max_depth": self.max_depth,
            "old_total": {
                "size": self.old.total_size,
                "disk_usage": self.old.disk_usage,
                "files": self.old.files,
            },
            "new_total": {
                "size": self.new.total_size,
                "disk_usage": self.new.disk_usage,
                "files": self.new.files,
            },
            "changes": [
                dict(
                    path_fields(c.path),
                    status=c.status,
                    change=c.change(self.apparent),
                    old_size=c.old_size,
                    new_size=c.new_size,
                    old_disk_usage=c.old_disk_usage,
                    new_disk_usage=c.new_disk_usage,
                    old_files=c.old_files,
                    new_files=c.new_files,
                )
                for c in self.changes
            ],
        }


def _directories(result: ScanResult, max_depth):
    if result.model is None:
        raise ValueError("diff() needs scans made with views=True")
    return {
        key: slot
        for key, slot in result.model.dirs.items()
        if slot[DIRS] and (max_depth is None or slot[DEPTH] <= max_depth)
    }


def _relative(result: ScanResult, key) -> str:
    assert result.model is not None  # diff() compares results with views
    path = result.model.path(key)
    root = result.paths[0]
    return "." if path == root else path[len(root) + (0 if root.endswith("/") else 1) :]


def status_of(was: bool, is_: bool, change: int) -> str | None:
    """What became of a directory: new, gone, grew or shrank by ``change``;
    None when it is on both sides and its size did not change."""
    if not was:
        return NEW
    if not is_:
        return GONE
    if change:
        return GREW if change > 0 else SHRANK
    return None


def diff(
    old: ScanResult, new: ScanResult, *, top: int | None = None, max_depth: int | None = None
) -> ScanDiff:
    """Directories that changed from ``old`` to ``new``, largest change first.

    Both must have views (``scan(..., views=True)`` or an export read with
    :func:`sizescan.read_export`), of one PATH each.  ``top`` keeps the
    largest changes only; ``max_depth`` only directories at most that many
    levels below the PATH.  Sizes are compared as ``new`` sorts them.
    """
    for side in (old, new):
        if len(side.paths) != 1:
            raise ValueError("diff compares scans of one PATH each")
    apparent, measure = new.apparent, new.measure
    before, after = _directories(old, max_depth), _directories(new, max_depth)
    changed = []
    for key in before.keys() | after.keys():
        a, b = before.get(key), after.get(key)
        old_sizes = a[APPARENT:DIRS] if a else (0, 0, 0)
        new_sizes = b[APPARENT:DIRS] if b else (0, 0, 0)
        change = measure.pick(*new_sizes[:2]) - measure.pick(*old_sizes[:2])
        status = status_of(a is not None, b is not None, change)
        if status is None:
            continue
        changed.append((abs(change), key, status, old_sizes, new_sizes))

    def path(item):
        return _relative(old if item[2] == GONE else new, item[1])

    def up(key):
        # Not the PATH: it is listed as ".", which a name like "-x" sorts before.
        slot = new.model.dirs.get(key) or old.model.dirs[key]
        return slot[PARENT] if slot[DEPTH] > 1 else None

    changes = [
        DirChange(rel, status, o[0], n[0], o[1], n[1], o[2], n[2])
        for rel, (_, _, status, o, n) in largest(changed, top, path, up)
    ]
    return ScanDiff(old, new, changes, apparent, max_depth)
