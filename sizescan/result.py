"""What a scan returns: plain, typed, documented values."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

#: Version of the ``--json`` / :meth:`ScanResult.to_dict` document layout.
#: Bumped on any change that can break a reader.
SCHEMA = 1


@dataclass(frozen=True)
class FileTotal:
    """One file among the largest: its path, apparent size and disk usage in bytes."""

    path: str
    size: int
    disk_usage: int


@dataclass(frozen=True)
class DirTotal:
    """One directory's totals, everything below it included (like ``du``)."""

    path: str
    size: int
    disk_usage: int
    files: int
    depth: int


@dataclass(frozen=True)
class RootTotal:
    """The totals of one PATH argument: what ``du -sb PATH`` / ``du -sB1 PATH`` print."""

    path: str
    size: int
    disk_usage: int
    files: int
    dirs: int


@dataclass(frozen=True)
class ScanIssue:
    """A problem with one path; the scan went on without it.

    ``operation`` is ``"read"`` when a directory could not be listed (its own
    size is still counted, as du does) and ``"access"`` when an entry could
    not be stat'ed (it is not counted).
    """

    path: str
    operation: str
    message: str


@dataclass
class ScanResult:
    """The outcome of :func:`sizescan.scan`.

    ``total_size`` is the apparent size (``du -sb``), ``disk_usage`` the
    allocated bytes (``du -sB1``), summed over every PATH with hard links
    counted once.  ``files`` counts non-directories, ``dirs`` directories
    (the PATHs included).  ``top_files`` and ``top_dirs`` are sorted by disk
    usage, or by apparent size when the scan was asked for ``apparent``;
    ``top_dirs`` never lists a PATH itself (see ``roots``) and, with
    ``max_depth``, only directories at most that deep.  ``errors`` holds
    every per-path problem; the totals leave out what they name.
    """

    paths: list[str]
    roots: list[RootTotal]
    total_size: int
    disk_usage: int
    files: int
    dirs: int
    top_files: list[FileTotal]
    top_dirs: list[DirTotal]
    errors: list[ScanIssue]
    apparent: bool = False
    max_depth: int | None = None
    workers: int = 1
    elapsed_s: float = 0.0
    version: str = field(default="")

    def size_of(self, item) -> int:
        """The size this result is sorted by, of a total or of the result itself."""
        return item.size if self.apparent else item.disk_usage

    def to_dict(self) -> dict:
        """The ``--json`` document: only JSON types, valid UTF-8 once encoded.

        A path that is not valid UTF-8 is given twice: ``path`` with each
        bad byte replaced by U+FFFD, for people, and ``path_b64``, the exact
        bytes in base64, for programs.
        """
        doc = {
            "schema": SCHEMA,
            "version": self.version,
        }
        if len(self.paths) == 1:
            doc.update(_path_fields(self.paths[0]))
        doc["paths"] = [_path_fields(p)["path"] for p in self.paths]
        doc.update(
            total_size=self.total_size,
            disk_usage=self.disk_usage,
            files=self.files,
            dirs=self.dirs,
            sorted_by="size" if self.apparent else "disk_usage",
            max_depth=self.max_depth,
            roots=[dict(_path_fields(r.path), size=r.size, disk_usage=r.disk_usage,
                        files=r.files, dirs=r.dirs) for r in self.roots],
            top_files=[dict(_path_fields(f.path), size=f.size, disk_usage=f.disk_usage)
                       for f in self.top_files],
            top_dirs=[dict(_path_fields(d.path), size=d.size, disk_usage=d.disk_usage,
                           files=d.files, depth=d.depth) for d in self.top_dirs],
            errors=[dict(_path_fields(e.path), operation=e.operation, error=e.message)
                    for e in self.errors],
            workers=self.workers,
            elapsed_s=round(self.elapsed_s, 3),
        )
        return doc


def _path_fields(path: str) -> dict:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raw = path.encode("utf-8", "surrogateescape")
        return {"path": raw.decode("utf-8", "replace"),
                "path_b64": base64.b64encode(raw).decode("ascii")}
    return {"path": path}
