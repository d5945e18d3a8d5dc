"""What changed between two snapshots of one PATH, and where it happened.

Only the rows whose range starts or ends between the two snapshots are
read (see ``store``): the cost follows what changed, not the tree's size.
A change shows in every ancestor's totals; a person wants the place it
happened ("logs/app grew 40 GB"), so :meth:`Growth.places` lists the
top of each new or gone subtree, and any other directory only where no
one subdirectory holds more than half of its change, in the same
direction.  ``changes`` still has every changed
directory, with its own change and its subtree's, old and new.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import HistoryError
from ..model.diff import GONE, GREW, NEW, SHRANK, DirChange, status_of
from ..model.measure import Measure
from ..model.names import path_fields
from .snapshots import Snapshot
from .versions import TOTALS, tree_of


@dataclass(frozen=True)
class DirGrowth(DirChange):
    """One directory whose totals changed, as :class:`sizescan.DirChange`
    (``path`` relative to the PATH, ``status``, the totals of everything at
    and below it old and new) with its ``depth`` below the PATH and its
    ``own`` sizes, old and new: the directory itself and the files directly
    in it.  ``place`` is true where the change happened (see
    :meth:`Growth.places`)."""

    depth: int = 0
    old_own_size: int = 0
    new_own_size: int = 0
    old_own_disk_usage: int = 0
    new_own_disk_usage: int = 0
    place: bool = False

    def own_change(self, apparent: bool = False) -> int:
        """NEW minus OLD of the directory itself and the files directly in it."""
        pick = Measure.of(apparent).pick
        return pick(self.new_own_size, self.new_own_disk_usage) - pick(
            self.old_own_size, self.old_own_disk_usage
        )


@dataclass(frozen=True)
class FileChange:
    """A file among either snapshot's largest: ``new`` (not among OLD's
    largest: new, or grown into the list), ``gone`` (not among NEW's), or
    ``grew`` / ``shrank``.  Sizes are None on the side it is not listed."""

    path: str
    status: str
    old_size: int | None
    new_size: int | None
    old_disk_usage: int | None
    new_disk_usage: int | None


@dataclass(frozen=True)
class TotalChange:
    """The totals of one kind of file or one owner, old and new."""

    name: str
    old_count: int
    new_count: int
    old_size: int
    new_size: int
    old_disk_usage: int
    new_disk_usage: int


@dataclass
class Growth:
    """What :meth:`History.growth` returns.

    ``changes`` holds every directory whose totals changed, largest change
    first; ``files`` the changes among the largest files; ``kinds`` and
    ``owners`` the totals by type and by owner (None unless both snapshots
    have them).  ``rules`` names each setting that differs between the two
    (``{name: [old, new]}``): then part of the change is the rules', not
    the disk's; ``rules_unknown`` is true when a snapshot came from an
    export, whose rules are not known.
    """

    old: Snapshot
    new: Snapshot
    apparent: bool
    changes: list[DirGrowth]
    files: list[FileChange]
    kinds: list[TotalChange] | None
    owners: list[TotalChange] | None
    rules: dict
    rules_unknown: bool

    @property
    def total_change(self) -> int:
        pick = Measure.of(self.apparent).pick
        return pick(self.new.size, self.new.disk_usage) - pick(self.old.size, self.old.disk_usage)

    def places(self, top: int | None = None) -> list[DirGrowth]:
        """Where the change happened, largest first: the top of each new or
        gone subtree, and the directories no one of whose subdirectories
        holds more than half of their change (in the same direction)."""
        found = [c for c in self.changes if c.place]
        return found if top is None else found[:top]

    def to_dict(self, top: int | None = None) -> dict:
        """The ``growth --json`` document: every changed directory, marked
        ``place`` where the change happened; ``top`` bounds the files and
        the places listed first (every directory is still in ``changes``)."""
        measure = Measure.of(self.apparent)

        def sides(c):
            return {f: getattr(c, f) for f in c.__dataclass_fields__ if f not in ("path", "name")}

        return {
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "sorted_by": measure.json_name,
            "total_change": self.total_change,
            "rules_differ": self.rules,
            "rules_unknown": self.rules_unknown,
            "places": [path_fields(c.path)["path"] for c in self.places(top)],
            "changes": [
                dict(
                    path_fields(c.path),
                    change=c.change(self.apparent),
                    own_change=c.own_change(self.apparent),
                    **sides(c),
                )
                for c in self.changes
            ],
            "files": [dict(path_fields(f.path), **sides(f)) for f in self.files[:top]],
            "by_type": None
            if self.kinds is None
            else [dict(type=k.name, **sides(k)) for k in self.kinds],
            "by_owner": None
            if self.owners is None
            else [dict(owner=o.name, **sides(o)) for o in self.owners],
        }


def compare(con, old: Snapshot, new: Snapshot, apparent: bool) -> Growth:
    """See History.growth."""
    tree = tree_of(con, old.id)
    if tree_of(con, new.id) != tree:
        raise HistoryError(
            f"snapshots {old.id} and {new.id} are of different PATHs; "
            "compare them with sizescan diff @ID @ID"
        )
    lo, hi = sorted((old.id, new.id))
    at_lo, at_hi = {}, {}
    # The rows that begin after lo and are still held at hi, and those
    # held at lo that end by hi: a directory unchanged between the two has
    # one row for both, and is never read.
    for dir_id, *totals in con.execute(
        f"SELECT dir, {TOTALS} FROM version "
        "WHERE tree = ?1 AND first > ?2 AND first <= ?3 AND (until IS NULL OR until > ?3)",
        (tree, lo, hi),
    ):
        at_hi[dir_id] = totals
    for dir_id, *totals in con.execute(
        f"SELECT dir, {TOTALS} FROM version "
        "WHERE tree = ?1 AND until > ?2 AND until <= ?3 AND first <= ?2",
        (tree, lo, hi),
    ):
        at_lo[dir_id] = totals
    before, after = (at_lo, at_hi) if old.id == lo else (at_hi, at_lo)
    names = _names(con, set(before) | set(after))
    pick = Measure.of(apparent).pick
    zero = (0,) * 8
    found = {}
    for dir_id in set(before) | set(after):
        a, b = before.get(dir_id), after.get(dir_id)
        o, n = a or zero, b or zero
        change = pick(n[0], n[1]) - pick(o[0], o[1])
        status = status_of(a is not None, b is not None, change)
        if status is None:  # the same size, other totals (or the same again)
            if o[:7] == n[:7]:
                continue  # the same totals again (a snapshot between them was dropped)
            status = GREW if (n[2], n[0]) > (o[2], o[0]) else SHRANK
        found[dir_id] = (status, o, n, change)
    changes = _ranked(found, names, apparent)
    return Growth(
        old,
        new,
        apparent,
        changes,
        _files(con, old.id, new.id, pick),
        _totals(con, "kind_total", "kind", old.id, new.id, pick),
        _totals(con, "owner_total", "kind || ' ' || name", old.id, new.id, pick),
        *_rules(old, new),
    )


def _names(con, ids: set) -> dict:
    """dir id -> (parent id, name) of ``ids`` and all their ancestors."""
    names: dict = {}
    wanted = set(ids)
    while wanted:
        batch = list(wanted)[:500]
        wanted -= set(batch)
        marks = ",".join("?" * len(batch))
        for dir_id, parent, name in con.execute(
            f"SELECT id, parent, name FROM dir WHERE id IN ({marks})", batch
        ):
            names[dir_id] = (parent, os.fsdecode(name))
            if parent is not None and parent not in names:
                wanted.add(parent)
    return names


def where_changed(changed: dict, parent_of) -> set:
    """The directories of ``changed`` ({directory: (status, change)}, every
    directory whose totals changed) where the change happened: the top of
    each new or gone subtree, and any other directory no one subdirectory of
    which holds more than half of its change in the same direction.
    ``parent_of(directory)`` is its parent (None for the PATH)."""
    grew: dict = {}  # directory -> its subdirectories' largest growth
    shrank: dict = {}  # and largest shrinking
    for here, (_, change) in changed.items():
        parent = parent_of(here)
        if parent is not None:
            if change > grew.get(parent, 0):
                grew[parent] = change
            elif change < shrank.get(parent, 0):
                shrank[parent] = change
    placed = set()
    for here, (status, change) in changed.items():
        if not change:
            continue
        above = changed.get(parent_of(here))
        if status in (NEW, GONE):
            if above is None or above[0] != status:  # the top of its subtree
                placed.add(here)
        elif 2 * abs(grew.get(here, 0) if change > 0 else shrank.get(here, 0)) <= abs(change):
            placed.add(here)
    return placed


def _ranked(found: dict, names: dict, apparent: bool) -> list[DirGrowth]:
    paths: dict = {}

    def path_of(dir_id):
        parts = []
        while dir_id is not None and dir_id not in paths:
            parent, name = names[dir_id]
            if parent is None:
                paths[dir_id] = ("", 0)
                break
            parts.append(dir_id)
            dir_id = parent
        for d in reversed(parts):
            above, depth = paths[names[d][0]]
            paths[d] = (f"{above}/{names[d][1]}" if above else names[d][1], depth + 1)
        return paths[parts[0]] if parts else paths[dir_id]

    placed = where_changed(
        {dir_id: (status, change) for dir_id, (status, _, _, change) in found.items()},
        lambda dir_id: names[dir_id][0],
    )
    out = []
    for dir_id, (status, o, n, _) in found.items():
        path, depth = path_of(dir_id)
        out.append(
            DirGrowth(
                path or ".",
                status,
                o[0],
                n[0],
                o[1],
                n[1],
                o[2],
                n[2],
                depth,
                o[4],
                n[4],
                o[5],
                n[5],
                dir_id in placed,
            )  # fmt: skip
        )
    out.sort(key=lambda c: (-abs(c.change(apparent)), c.path))
    return out


def _files(con, old: int, new: int, pick) -> list[FileChange]:
    def listed(sid):
        return {
            os.fsdecode(path): (size, disk)
            for path, size, disk in con.execute(
                "SELECT path, size, disk_usage FROM large_file WHERE snapshot = ?", (sid,)
            )
        }

    before, after = listed(old), listed(new)
    out = []
    for path in before.keys() | after.keys():
        a, b = before.get(path), after.get(path)
        if a == b:
            continue
        status = (
            NEW if a is None else GONE if b is None else GREW if pick(*b) > pick(*a) else SHRANK
        )
        a, b = a or (None, None), b or (None, None)
        out.append(FileChange(path, status, a[0], b[0], a[1], b[1]))

    def change(f):
        return pick(f.new_size or 0, f.new_disk_usage or 0) - pick(
            f.old_size or 0, f.old_disk_usage or 0
        )

    out.sort(key=lambda f: (-abs(change(f)), f.path))
    return out


def _totals(con, table, name, old, new, pick) -> list[TotalChange] | None:
    def of(sid):
        return {
            row[0]: row[1:]
            for row in con.execute(
                f"SELECT {name}, count, size, disk_usage FROM {table} WHERE snapshot = ?", (sid,)
            )
        }

    before, after = of(old), of(new)
    if not before or not after:
        return None
    out = []
    for key in before.keys() | after.keys():
        a, b = before.get(key, (0, 0, 0)), after.get(key, (0, 0, 0))
        if a != b:
            out.append(TotalChange(key, a[0], b[0], a[1], b[1], a[2], b[2]))
    out.sort(
        key=lambda t: (
            -abs(pick(t.new_size, t.new_disk_usage) - pick(t.old_size, t.old_disk_usage)),
            t.name,
        )
    )
    return out


def _rules(old: Snapshot, new: Snapshot) -> tuple:
    if old.rules is None or new.rules is None:
        return {}, old.rules != new.rules or old.rules is None
    names = sorted(old.rules.keys() | new.rules.keys())
    differ = {
        n: [old.rules.get(n), new.rules.get(n)]
        for n in names
        if old.rules.get(n) != new.rules.get(n)
    }
    return differ, False
