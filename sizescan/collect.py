"""The collector: the one owner of a scan's shared state.

Every record of every worker ends up in :meth:`Collector.add`, in whatever
order the pool finishes them.  The collector alone keeps the totals, the
per-directory sums, the largest files, the hard-link set and the errors, so
nothing is locked and nothing is counted twice.  Its results do not depend
on that order: a file reached through several links is counted where its
smallest ``(root, path)`` is, and ties in the top lists are broken by path.
"""

from __future__ import annotations

import heapq
import os

from .result import DirTotal, ExportIndex, FileTotal, RootTotal, ScanIssue, ScanModel, ScanResult
from .kinds import AGES, DIRECTORY_KIND, merge_suffixes
from .worker import OP_ACCESS

# Per-directory slots: [apparent, disk, files, dirs, depth]
_APPARENT, _DISK, _FILES, _DIRS, _DEPTH = range(5)


def _size_then_path(item):
    return -item[0], item[1]


def parent_of(path: str) -> str:
    """The directory a scanned path was found in (roots have no trailing '/')."""
    cut = path.rindex("/")
    return path[:cut] or "/"


def join(directory: str, name) -> str:
    """The path of entry ``name`` in ``directory``; ``None`` names the path itself."""
    if name is None:
        return directory
    return (directory if directory.endswith("/") else directory + "/") + name


class Collector:
    """Aggregates worker records into a :class:`ScanResult`."""

    def __init__(self, paths, *, top, apparent, max_depth, views=False, dir_files=0, spool=None):
        self.paths = list(paths)
        self.top = top
        self.apparent = apparent
        self.max_depth = max_depth
        self.dirs = {}
        # Indexes of PATHs inside an earlier PATH: du counts them there only.
        self.skipped_roots = set()
        # (dev, ino) -> [owner (root, dir, name), apparent, disk]
        self.links = {}
        self._top_heap = []  # min-heap of (key, path, apparent, disk)
        self.errors = []
        # (path, part) of every chunk record taken: see add().
        self._parts = set()
        # Task ids of the messages taken, for the caller's count.
        self.received = set()
        # Running sums for the progress bar (links counted on first sight).
        self.files = 0
        self.dirs_seen = 0
        self.apparent_bytes = 0
        self.disk_bytes = 0
        # Views (see ScanModel): memory grows with directories and kinds.
        self.views = views
        self.dir_files = dir_files
        self.kinds = {}
        self.ages = [0] * (3 * len(AGES))
        self.files_of = {}  # directory -> its largest [(apparent, disk, name)]
        self.own = {}  # directory -> its own (apparent, disk)
        self.flags = {}  # directory -> READ_ERROR | EXCLUDED
        # The export: each record's text is appended to the spool file as
        # it comes; only where it went is kept (see ExportIndex).
        self.spool = spool
        self._spool_fd = None
        self.infos = {}  # directory -> its export info (from its parent's record)
        self.fragments = {}  # directory -> [(offset, length)] in the spool

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_spool_fd"] = None  # reopened by the process that writes next
        return state

    def close_spool(self):
        """Close the spool file; the next record opens it again (in any process)."""
        if self._spool_fd is not None:
            os.close(self._spool_fd)
            self._spool_fd = None

    def take(self, message):
        """Take one worker message: ``(task id, records)``."""
        task_id, records = message
        self.received.add(task_id)
        self.add(records)

    def add(self, records):
        """Add records; a record seen before is ignored.

        Work lost with a dead worker is done again, and the lost attempt may
        have delivered some of it already: taking each directory's own
        record, and each chunk's, once is what keeps every byte counted once.
        """
        dirs = self.dirs
        for (path, depth, root, ndirs, files, apparent, disk, tops, links, errors, part,
             detail) in records:
            slot = dirs.get(path)
            if slot is None:
                slot = dirs[path] = [0, 0, 0, 0, depth]
            elif ndirs and slot[_DIRS]:
                continue
            if part:
                if (path, part) in self._parts:
                    continue
                self._parts.add((path, part))
            slot[_APPARENT] += apparent
            slot[_DISK] += disk
            slot[_FILES] += files
            slot[_DIRS] += ndirs
            self.files += files
            self.dirs_seen += ndirs
            self.apparent_bytes += apparent
            self.disk_bytes += disk
            for size, blocks, name in tops:
                self._offer_top(size, blocks, join(path, name))
            for dev, ino, size, blocks, name, kind, age in links:
                self._add_link(dev, ino, size, blocks, (root, path, name), depth, kind, age)
            if errors:
                self.errors.extend(errors)
            if detail is not None:
                self._add_detail(path, detail)

    def _add_detail(self, path, detail):
        kinds, ages, files, fragment, subinfo, flags = detail
        if kinds:
            merge_suffixes(kinds, into=self.kinds)
            own = kinds.get(DIRECTORY_KIND)
            if own is not None:  # only a directory's own record counts its own size
                self.own[path] = (own[1], own[2])
        if ages:
            mine = self.ages
            for i, value in enumerate(ages):
                mine[i] += value
        if files:
            kept = self.files_of.get(path)
            if kept is None:
                self.files_of[path] = files
            else:
                # Chunks of one directory each send their largest: keep the
                # largest of all (by the key the scan sorts on, then name).
                kept.extend(files)
                kept.sort(key=self._file_key, reverse=True)
                del kept[self.dir_files:]
        if flags:
            self.flags[path] = self.flags.get(path, 0) | flags
        if fragment:
            data = fragment.encode("utf-8", "surrogateescape")
            if self._spool_fd is None:
                self._spool_fd = os.open(self.spool, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
            offset = os.lseek(self._spool_fd, 0, os.SEEK_END)
            view = memoryview(data)
            while view:
                view = view[os.write(self._spool_fd, view):]
            self.fragments.setdefault(path, []).append((offset, len(data)))
        if subinfo:
            for name, info in subinfo:
                self.infos[join(path, name)] = info

    def _file_key(self, item):
        # By the size the scan sorts on, then the other one, then the name.
        apparent, disk, name = item
        return (apparent, disk, name) if self.apparent else (disk, apparent, name)

    def _offer_top(self, size, blocks, path):
        if not self.top:
            return
        item = (size if self.apparent else blocks, path, size, blocks)
        if len(self._top_heap) < self.top:
            heapq.heappush(self._top_heap, item)
        elif item > self._top_heap[0]:
            heapq.heapreplace(self._top_heap, item)

    def _add_link(self, dev, ino, size, blocks, owner, depth, kind, age):
        seen = self.links.get((dev, ino))
        if seen is None:
            self.links[(dev, ino)] = [owner, size, blocks]
            self._move(owner, size, blocks, 1, depth)
            self.files += 1
            self.apparent_bytes += size
            self.disk_bytes += blocks
            if kind is not None:
                merge_suffixes({kind: (1, size, blocks)}, into=self.kinds)
                self.ages[age] += 1
                self.ages[age + 1] += size
                self.ages[age + 2] += blocks
        elif owner < seen[0]:
            # The same file seen from a place that sorts first: count it
            # there instead, so the attribution never depends on timing.
            self._move(seen[0], -seen[1], -seen[2], -1, None)
            self._move(owner, size, blocks, 1, depth)
            seen[0] = owner

    def _move(self, owner, size, blocks, files, depth):
        path = owner[1]
        slot = self.dirs.get(path)
        if slot is None:
            slot = self.dirs[path] = [0, 0, 0, 0, depth]
        slot[_APPARENT] += size
        slot[_DISK] += blocks
        slot[_FILES] += files

    def result(self, version="") -> ScanResult:
        """Roll the per-directory sums up to every ancestor and build the result."""
        dirs = self.dirs
        model = None
        if self.views:
            model = self._model()
        # Deepest first, so every directory is complete before it is added
        # to its parent.  Memory and time grow with directories, not files.
        order = sorted(dirs, key=lambda p: dirs[p][_DEPTH], reverse=True)
        for path in order:
            slot = dirs[path]
            if slot[_DEPTH] == 0:
                continue
            parent = dirs[parent_of(path)]
            parent[_APPARENT] += slot[_APPARENT]
            parent[_DISK] += slot[_DISK]
            parent[_FILES] += slot[_FILES]
            parent[_DIRS] += slot[_DIRS]

        roots = []
        for idx, path in enumerate(self.paths):
            slot = (0, 0, 0, 0, 0) if idx in self.skipped_roots else dirs.get(path, (0, 0, 0, 0, 0))
            roots.append(RootTotal(path, slot[_APPARENT], slot[_DISK], slot[_FILES], slot[_DIRS]))

        key = _APPARENT if self.apparent else _DISK
        max_depth = self.max_depth
        candidates = (
            (slot[key], path) for path, slot in dirs.items()
            if slot[_DIRS] and 0 < slot[_DEPTH] and (max_depth is None or slot[_DEPTH] <= max_depth)
        )
        top_dirs = []
        # nlargest picks by (size, path); people read equal sizes by path.
        for _, path in sorted(heapq.nlargest(self.top, candidates), key=_size_then_path):
            slot = dirs[path]
            top_dirs.append(DirTotal(path, slot[_APPARENT], slot[_DISK], slot[_FILES], slot[_DEPTH]))

        linked = (
            (size if self.apparent else blocks, join(owner[1], owner[2]), size, blocks)
            for owner, size, blocks in self.links.values()
        )
        top_files = [
            FileTotal(path, size, blocks)
            for _, path, size, blocks in sorted(heapq.nlargest(self.top, [*self._top_heap, *linked]),
                                                key=_size_then_path)
        ]

        errors = [ScanIssue(path, op, message) for path, op, message in self.errors]
        errors.sort(key=lambda e: (e.path, e.operation != OP_ACCESS))
        return ScanResult(
            paths=self.paths,
            roots=roots,
            total_size=sum(r.size for r in roots),
            disk_usage=sum(r.disk_usage for r in roots),
            files=sum(r.files for r in roots),
            dirs=sum(r.dirs for r in roots),
            top_files=top_files,
            top_dirs=top_dirs,
            errors=errors,
            apparent=self.apparent,
            max_depth=max_depth,
            version=version,
            model=model,
            export=self._export_index(),
        )

    def _model(self):
        """The views' data (call before the roll-up: it reads direct counts)."""
        files_of = self.files_of
        # A file with several links is listed where it was counted.
        for owner, size, blocks in self.links.values():
            if owner[2] is None:
                continue  # a PATH that is a file
            kept = files_of.setdefault(owner[1], [])
            kept.append((size, blocks, owner[2]))
            if len(kept) > self.dir_files:
                kept.sort(key=self._file_key, reverse=True)
                del kept[self.dir_files:]
        for kept in files_of.values():
            kept.sort(key=self._file_key, reverse=True)
        return ScanModel(
            dirs=self.dirs,  # rolled up in place by result()
            direct_files={path: slot[_FILES] for path, slot in self.dirs.items()},
            files_of=files_of,
            own=self.own,
            flags=self.flags,
            kinds={kind: tuple(v) for kind, v in self.kinds.items()},
            ages=[tuple(self.ages[i:i + 3]) for i in range(0, len(self.ages), 3)],
        )

    def _export_index(self):
        if self.spool is None:
            return None
        self.close_spool()
        return ExportIndex(self.spool, self.infos, self.fragments, self.flags, self.dirs)
