"""A snapshot as the history lists it, and one directory's place in a trend."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

from ..model.names import path_fields


@dataclass(frozen=True)
class Snapshot:
    """One saved scan of one PATH.

    ``path`` is the PATH resolved, ``given`` as it was given; ``taken_at``
    when the scan started (Unix time; an export's own timestamp);
    ``duration`` how long it took (None for an export).  ``rules`` are the
    settings that changed its numbers (:meth:`ScanOptions.rules`), None
    when unknown (an export).  Totals as :class:`RootTotal`; ``errors``
    counts the paths that could not be read.
    """

    id: int
    path: str
    given: str
    host: str
    taken_at: float
    duration: float | None
    source: str
    version: str
    rules: dict | None
    size: int
    disk_usage: int
    files: int
    dirs: int
    errors: int

    def to_dict(self) -> dict:
        return dict(
            id=self.id,
            **path_fields(self.path),
            given=path_fields(self.given)["path"],
            host=self.host,
            taken_at=self.taken_at,
            duration_s=self.duration,
            source=self.source,
            version=self.version,
            rules=self.rules,
            size=self.size,
            disk_usage=self.disk_usage,
            files=self.files,
            dirs=self.dirs,
            errors=self.errors,
        )


@dataclass(frozen=True)
class TrendPoint:
    """One directory's totals in one snapshot (see :meth:`History.trend`)."""

    snapshot: Snapshot
    size: int
    disk_usage: int
    files: int
    dirs: int
    unreadable: bool


SELECT_SNAPSHOT = (
    "SELECT s.id, t.path, s.given, t.host, s.taken_at, s.duration, s.source, s.version, "
    "s.rules, s.size, s.disk_usage, s.files, s.dirs, s.errors "
    "FROM snapshot s JOIN tree t ON t.id = s.tree"
)


def snapshot_of(row) -> Snapshot:
    sid, path, given, host, at, duration, source, version, rules, *totals = row
    return Snapshot(
        sid,
        os.fsdecode(path),
        os.fsdecode(given),
        host,
        at,
        duration,
        source,
        version,
        None if rules is None else json.loads(rules),
        *totals,
    )


def within(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` ("" for itself), or None outside it."""
    if path == root:
        return ""
    prefix = root if root.endswith("/") else root + "/"
    return path[len(prefix) :] if path.startswith(prefix) else None


def local_time(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))
