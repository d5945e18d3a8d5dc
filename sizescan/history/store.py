"""``History``: save scans as snapshots, list them, read them back.

What is written per directory, and when, is ``versions``'; this is the
door: one connection, one transaction per save or removal, and every
database failure said as one :class:`HistoryError` line naming the file.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3

from .._version import __version__
from ..errors import HistoryError, NotInHistory
from ..model.keys import root_key
from ..model.names import display_path
from ..model.result import USER, RootTotal, ScanResult, owner_name
from . import schema
from .growth import Growth, compare
from .location import default_path
from .snapshots import SELECT_SNAPSHOT, Snapshot, TrendPoint, local_time, snapshot_of, within
from .versions import as_result, forget_rows, save_dirs, tree_of
from .when import Moment, parse_when

#: The largest files a snapshot keeps at least (the command saves its --top, or this).
FILES_KEPT = 100


class History:
    """A history database: ``History(path)`` opens it (made on the first save).

    ``path`` defaults to :func:`default_path` ($SIZESCAN_DB, else
    $XDG_DATA_HOME/sizescan/history.db).  Every method raises
    :class:`sizescan.errors.HistoryError` with one line naming the file
    when the database cannot be used; a failed save changes nothing.  Use
    it as a context manager, or call :meth:`close`.
    """

    def __init__(self, path: str | None = None):
        self.path = default_path() if path is None else os.fspath(path)
        self._con: sqlite3.Connection | None = None
        self._writes = False

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def _db(self, write: bool = False) -> sqlite3.Connection:
        if self._con is not None and write and not self._writes:
            self.close()  # opened to read: opened again to write
        if self._con is None:
            self._con = schema.connect(self.path, write=write)
            self._writes = write
        return self._con

    def _failed(self, exc) -> HistoryError:
        return schema.failure(self.path, exc)

    # -- saving ---------------------------------------------------------

    def save(
        self, result: ScanResult, *, at: float | None = None, host: str | None = None
    ) -> list[Snapshot]:
        """Store one snapshot per PATH of ``result`` (one transaction: all or none).

        ``result`` needs every directory's totals: ``scan(..., sums=True)``
        (or ``views=True``), or an export read with :func:`read_export`.
        Its largest files are kept as the result lists them (scan with
        ``top=100`` to keep 100); totals by type and by owner when the
        result has them and one PATH.  ``at`` dates the snapshots (default:
        when the scan started); ``host`` is this machine's name by default.
        A PATH counted inside an earlier one is not saved.
        """
        if result.model is None:
            raise ValueError("History.save() needs a scan made with sums=True or views=True")
        taken = at if at is not None else result.started_at
        if taken is None:
            raise ValueError("the result has no time (an export without a timestamp): give at=")
        host = socket.gethostname() if host is None else host
        con = self._db(write=True)
        try:
            with schema.transaction(con):
                return [
                    self._save_root(con, result, idx, root, taken, host)
                    for idx, root in enumerate(result.roots)
                    if not root.skipped
                ]
        except sqlite3.Error as exc:
            raise self._failed(exc) from None

    def _save_root(self, con, result, idx, root: RootTotal, taken, host) -> Snapshot:
        resolved = os.fsencode(os.path.realpath(root.path))
        row = con.execute("SELECT id FROM tree WHERE host = ? AND path = ?", (host, resolved))
        found = row.fetchone()
        tree = (
            found[0]
            if found
            else con.execute(
                "INSERT INTO tree (host, path) VALUES (?, ?)", (host, resolved)
            ).lastrowid
        )
        rules = None if result.rules is None else json.dumps(result.rules, sort_keys=True)
        errors = sum(1 for e in result.errors if within(e.path, root.path) is not None)
        sid = con.execute(
            "INSERT INTO snapshot (tree, taken_at, duration, given, source, version, rules, "
            "size, disk_usage, files, dirs, errors) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                tree,
                taken,
                None if result.imported else result.elapsed_s,
                os.fsencode(root.path),
                "export" if result.imported else "scan",
                result.version or __version__,
                rules,
                root.size,
                root.disk_usage,
                root.files,
                root.dirs,
                errors,
            ),
        ).lastrowid
        save_dirs(con, tree, sid, result.model, root_key(idx))
        self._save_tables(con, sid, result, root)
        return self._one(con, sid)

    def _save_tables(self, con, sid, result, root) -> None:
        files = []
        for f in result.top_files:
            rel = within(f.path, root.path)
            if rel:
                files.append((sid, os.fsencode(rel), f.size, f.disk_usage))
        con.executemany("INSERT INTO large_file VALUES (?, ?, ?, ?)", files)
        if sum(not r.skipped for r in result.roots) != 1:
            return  # a scan of several PATHs has one table of kinds and owners for all
        model = result.model
        if model is not None and model.views:
            con.executemany(
                "INSERT INTO kind_total VALUES (?, ?, ?, ?, ?)",
                [(sid, kind, *values) for kind, values in model.kinds.items()],
            )
        if result.owners:
            con.executemany(
                "INSERT INTO owner_total VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        sid,
                        "user" if kind == USER else "group",
                        ident,
                        owner_name(kind, ident),
                        *values,
                    )
                    for (kind, ident), values in result.owners.items()
                ],
            )

    # -- asking ---------------------------------------------------------

    def _one(self, con, sid: int) -> Snapshot:
        row = con.execute(SELECT_SNAPSHOT + " WHERE s.id = ?", (sid,)).fetchone()
        if row is None:
            raise HistoryError(f"no snapshot {sid} in {display_path(self.path)}")
        return snapshot_of(row)

    def snapshots(self, path: str | None = None) -> list[Snapshot]:
        """Every snapshot, newest first; of ``path`` (resolved) only, if given."""
        con = self._db()
        try:
            if path is None:
                rows = con.execute(SELECT_SNAPSHOT + " ORDER BY s.taken_at DESC, s.id DESC")
            else:
                rows = con.execute(
                    SELECT_SNAPSHOT + " WHERE t.path = ? ORDER BY s.taken_at DESC, s.id DESC",
                    (os.fsencode(os.path.realpath(path)),),
                )
            return [snapshot_of(r) for r in rows]
        except sqlite3.Error as exc:
            raise self._failed(exc) from None

    def snapshot(self, ref, path: str | None = None) -> Snapshot:
        """The snapshot ``ref`` names: an id, ``latest``, ``-N`` (the N-th
        newest), a date or date-time, or an age (``7d``), a Moment, or a
        Snapshot; for all but an id, among the snapshots of ``path`` (or of
        the only PATH the history has)."""
        if isinstance(ref, Snapshot):
            return ref
        when = ref if isinstance(ref, Moment) else parse_when(str(ref))
        if when.id is not None:
            try:
                return self._one(self._db(), when.id)
            except sqlite3.Error as exc:
                raise self._failed(exc) from None
        found = self.snapshots(path) if path is not None else self._only_tree()
        where = f"of {display_path(path)} " if path is not None else ""
        if not found:
            raise NotInHistory(f"no snapshot {where}in {display_path(self.path)}")
        if when.back is not None:
            if when.back > len(found):
                raise HistoryError(
                    f"only {len(found)} snapshot{'s' if len(found) > 1 else ''} {where}"
                    f"in {display_path(self.path)}"
                )
            return found[when.back - 1]
        for snap in found:  # newest first
            if snap.taken_at <= when.at:
                return snap
        oldest = found[-1]
        raise HistoryError(
            f"no snapshot {where}at or before {when.text} "
            f"(the oldest is {oldest.id}, of {local_time(oldest.taken_at)})"
        )

    def _only_tree(self) -> list[Snapshot]:
        found = self.snapshots()
        paths = {(s.host, s.path) for s in found}
        if len(paths) > 1:
            raise HistoryError(
                f"{display_path(self.path)} holds {len(paths)} PATHs: name one, "
                "or a snapshot by its id"
            )
        return found

    def trend(self, path: str) -> list[TrendPoint]:
        """The directory at ``path`` in every snapshot that holds it, oldest first
        (``path`` is resolved; it may be a PATH saved or any directory below one)."""
        con = self._db()
        try:
            tree, dir_id = self._find_dir(con, os.path.realpath(path))
            snaps = {
                s.id: s
                for s in map(
                    snapshot_of, con.execute(SELECT_SNAPSHOT + " WHERE s.tree = ?", (tree,))
                )
            }
            points = []
            for first, until, size, disk, files, dirs, unreadable in con.execute(
                "SELECT first, until, size, disk_usage, files, dirs, unreadable FROM version "
                "WHERE tree = ? AND dir = ?",
                (tree, dir_id),
            ):
                for sid, snap in snaps.items():
                    if first <= sid and (until is None or sid < until):
                        points.append(TrendPoint(snap, size, disk, files, dirs, bool(unreadable)))
        except sqlite3.Error as exc:
            raise self._failed(exc) from None
        points.sort(key=lambda p: (p.snapshot.taken_at, p.snapshot.id))
        return points

    def _find_dir(self, con, path: str) -> tuple:
        """(tree, dir id) of the directory at ``path``, in the tree of the
        deepest saved PATH that holds it."""
        trees = [(os.fsdecode(p), t) for t, p in con.execute("SELECT id, path FROM tree")]
        trees.sort(key=lambda item: -len(item[0]))
        for root, tree in trees:
            rel = within(path, root)
            if rel is None:
                continue
            found = con.execute(
                "SELECT id FROM dir WHERE tree = ? AND parent IS NULL", (tree,)
            ).fetchone()
            for name in rel.split("/") if rel else ():
                if found is None:
                    break
                found = con.execute(
                    "SELECT id FROM dir WHERE tree = ? AND parent = ? AND name = ?",
                    (tree, found[0], os.fsencode(name)),
                ).fetchone()
            if found is not None:
                return tree, found[0]
        raise NotInHistory(f"no snapshot in {display_path(self.path)} holds {display_path(path)}")

    def load(self, ref, path: str | None = None) -> ScanResult:
        """The snapshot ``ref`` (see :meth:`snapshot`) as a ScanResult with
        every directory's totals, for :func:`sizescan.diff` and the report."""
        snap = self.snapshot(ref, path)
        con = self._db()
        try:
            return as_result(con, snap)
        except sqlite3.Error as exc:
            raise self._failed(exc) from None

    def growth(self, old, new, path: str | None = None, *, apparent: bool = False) -> Growth:
        """What changed from snapshot ``old`` to ``new`` (see :meth:`snapshot`
        and :class:`sizescan.history.growth.Growth`)."""
        a, b = self.snapshot(old, path), self.snapshot(new, path)
        con = self._db()
        try:
            return compare(con, a, b, apparent)
        except sqlite3.Error as exc:
            raise self._failed(exc) from None

    # -- forgetting -----------------------------------------------------

    def drop(self, ids) -> int:
        """Remove the snapshots ``ids`` (one transaction) and every row only
        they held; then give the space back to the filesystem.  Returns how
        many were removed."""
        ids = sorted(set(ids))
        con = self._db(write=True)
        try:
            with schema.transaction(con):
                trees = set()
                for sid in ids:
                    self._one(con, sid)  # an unknown id: nothing is removed
                for sid in ids:
                    trees.add(tree_of(con, sid))
                    for table in ("large_file", "kind_total", "owner_total", "snapshot"):
                        column = "id" if table == "snapshot" else "snapshot"
                        con.execute(f"DELETE FROM {table} WHERE {column} = ?", (sid,))
                for tree in trees:
                    forget_rows(con, tree)
            con.execute("VACUUM")
        except sqlite3.Error as exc:
            raise self._failed(exc) from None
        return len(ids)
