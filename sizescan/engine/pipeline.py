"""The per-entry pipeline: what a worker does with one directory.

This is the only place where entries are stat'ed and sized.  A
:class:`Scanner` holds one scan's state in one process: it runs inside each
pool worker (one per process, made by :func:`init_worker`) and in the
calling process for the first few directories of a scan (see ``engine``),
so any number of scans may run at once in one process, each with its own.

A worker never reports a single file: for every directory it builds one
:class:`~sizescan.engine.records.Record` and sends the records of a whole task as
one Message to the collector.  It returns to the walker only what the
walker needs to keep the pool fed: the subdirectories it found and, for
very large directories, the names it left for other workers to stat.

The worker knows no output format.  Given an *encoder* (the export's, made
by the API layer), it tells it what became of each entry: sized
(``encoder.sized``), a subdirectory (``encoder.directory``), skipped for a
reason (``encoder.skipped``) or unreadable (``encoder.unreadable``); the
text it gets back travels in the record's Detail, opaque to the engine.
Encoding runs here because here it runs in parallel.
"""

from __future__ import annotations

import errno
import math
import os
import stat as _stat
import time
from typing import Optional

from ..model.keys import EXCLUDED, READ_ERROR, dir_prefix
from ..model.kinds import DIRECTORY_KIND, add_owner, kind_of
from .directory import NEVER, DirectoryPass, PassSettings, out_of_memory
from .entries import EntryFilter
from .lanes import LANE_SPLIT, Lanes
from .records import (
    OP_READ,
    ChunkTask,
    Detail,
    DirTask,
    Message,
    PathError,
    Record,
    TaskResult,
)
from .tally import Largest

# https://bford.info/cachedir/: the tag file starts with exactly this.
CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"

# The kernel refuses a path of PATH_MAX bytes or more (ENAMETOOLONG), while
# du still walks such trees.  A longer path is opened a piece at a time,
# each piece relative to the directory the previous one opened.
PATH_MAX = 4096


class Replaced(OSError):
    """A directory found to be another one than its parent listed (see
    Scanner._open_task): reported as du reports a tree changed under it."""

    def __init__(self):
        super().__init__(errno.ENOENT, "Directory replaced during the scan")


class WorkerConfig:
    """What every worker must know about one scan; fixed for its duration.

    The scan's :class:`~sizescan.ScanOptions`, plus what the engine
    learnt before the walk began.
    """

    __slots__ = (
        "options",
        "roots",
        "entries",
        "track_ancestors",
        "now",
        "encoder",
        "detailed",
        "follow_roots",
        "io_depth",
        "piece",
        "devices",
        "base",
    )

    def __init__(
        self,
        options,
        *,
        roots,
        root_devs=None,
        track_ancestors=False,
        kernfs_devs=None,
        now=0.0,
        encoder=None,
        follow_roots=frozenset(),
        io_depth=1,
    ):
        self.options = options
        # Requests each pool process keeps in flight: its threads (see lanes.Lanes).
        self.io_depth = io_depth
        # Chunk records are numbered by the position of their first name, in
        # pieces of this many names: the same numbering whether a chunk is
        # read whole or by lanes piece by piece, so the collector's
        # once-only rule holds across both (see lanes.Lanes).
        self.piece = math.gcd(options.split_at, LANE_SPLIT) if io_depth > 1 else options.split_at
        # Indexes of the PATHs given as "link/": opened through a symlink.
        self.follow_roots = follow_roots
        # The PATHs, for matching gitignore patterns relative to them.
        self.roots = tuple(roots)
        # What is left out: -x (root_devs: one device per PATH), pseudo
        # filesystems (kernfs_devs), patterns, PATHs counted earlier.
        self.entries = EntryFilter(options, root_devs=root_devs, kernfs_devs=kernfs_devs)
        # Whether mount points lie inside the PATHs.  Only then can a
        # directory be its own ancestor without -L (a bind mount of a parent
        # below itself), so only then does each task carry its ancestors'
        # (dev, ino) to check; du skips such a directory uncounted, and so do we.
        self.track_ancestors = track_ancestors
        # Ages of --by-age are measured from the scan's start.
        self.now = now
        # The export's entry encoder (see the module docstring), or None.
        self.encoder = encoder
        # Whether records carry a Detail.
        self.detailed = options.detailed or encoder is not None
        # On another host (a cluster worker), the scan's device number for
        # each device this host sees, where they differ: st_dev names a
        # device on one host only (see engine.dask).  Devices leave a worker
        # (in tasks, hard links, the export) in the scan's numbers; the
        # entry filter's are in this host's.  None on the scan's own host.
        self.devices = None
        # On another host, the directory relative PATHs are in (the caller's
        # current directory); None on the scan's own host.
        self.base = None


class Scanner:
    """One scan's per-entry pipeline in one process.

    ``sink`` takes one Message: the collector queue's ``put`` in a pool
    worker, the collector's ``take`` in the calling process.  In a pool
    worker, ``task_slots`` is the shared array where each task writes the
    pid running it, so the walker can tell which task a dead worker lost.
    """

    def __init__(self, config: WorkerConfig, sink, task_slots=None):
        self.config = config
        self.settings = PassSettings(config)
        self.sink = sink
        self.task_slots = task_slots
        # This process's largest files so far, as (size, directory key,
        # name): only a file that enters it can be among the largest of the
        # whole scan, so only such a file is sent.  Ties on size are broken
        # the same way in every worker and in the collector, so the lists
        # never depend on timing.
        self.top = Largest(config.options.top)
        # The last directory read stays open: the next one is most often its
        # child (a task descends depth first), and opening a child relative
        # to its parent costs one lookup, where a full path costs one per
        # component.  It also keeps a chain thousands of levels deep linear
        # instead of quadratic.  (path + "/", fd) or None.
        self._kept = None
        # Names read in one record; the rest of a directory goes in chunks.
        self.split_at = config.options.split_at
        self._exclude_caches = config.options.exclude_caches
        # Every scanner of a scan reads with threads or every one without:
        # a directory is then cut into the same records whichever reads it
        # again (see WorkerConfig.piece).  A lane itself has no sink.
        self.io_depth = config.io_depth
        self._lanes = Lanes(self, config.io_depth) if config.io_depth > 1 and sink else None

    def run(
        self, dir_tasks, chunk_tasks=(), task_id=None, slot=None, stop_at=None, descend_s=None
    ) -> TaskResult:
        """Scan directory tasks and chunk tasks; send their records to the sink.

        After its own tasks, a worker goes on into the subdirectories it
        found for up to ``descend_s`` seconds (by default the options'; longer
        with threads: see _LaneQueue), and not past ``stop_at`` (a
        time.monotonic()), then hands what is left back.
        """
        if slot is not None:
            self.task_slots[slot] = os.getpid()
        options = self.config.options
        # Under -L the walker must see every directory, to enter each one once.
        descend = (
            0 if options.dereference else (options.descend_s if descend_s is None else descend_s)
        )
        if self._lanes is not None:
            records, subdirs, chunks = self._lanes.run(dir_tasks, chunk_tasks, descend, stop_at)
        else:
            records, subdirs, chunks = [], [], []
            for task in dir_tasks:
                self._scan_directory(task, records, subdirs, chunks)
            for task in chunk_tasks:
                self._scan_chunk(task, records, subdirs)
            if descend:
                deadline = time.monotonic() + descend
                if stop_at is not None:  # the walker's own phase ends then (see walker)
                    deadline = min(deadline, stop_at)
                while subdirs and time.monotonic() < deadline:
                    self._scan_directory(subdirs.pop(), records, subdirs, chunks)
        if records:
            self.sink(Message(task_id, records))
            return TaskResult(task_id, 1, subdirs, chunks)
        return TaskResult(task_id, 0, subdirs, chunks)

    def read(self, task, records, subdirs, chunks) -> None:
        """Read one DirTask or ChunkTask: its records, the subdirectories and
        chunks it leaves, appended to the lists given."""
        if isinstance(task, ChunkTask):
            self._scan_chunk(task, records, subdirs)
        else:
            self._scan_directory(task, records, subdirs, chunks)

    def release(self) -> None:
        """Close the directory kept open for the next task (each lane's too)."""
        # Forgotten before it is closed: Ctrl-C between the two must not
        # leave it to be closed again (EBADF on the way out, or, with scans
        # in threads, another thread's descriptor that took the number).
        kept, self._kept = self._kept, None
        if kept is not None:
            os.close(kept[1])
        if self._lanes is not None:
            self._lanes.release()

    def _keep_open(self, path, fd):
        prefix = dir_prefix(path)
        old, self._kept = self._kept, (prefix, fd)
        if old is not None:
            os.close(old[1])

    def _open_task(self, task, follow):
        """An open descriptor of the directory ``task`` names, checked to be
        the one its parent listed: its ``(dev, ino)``, as fts does.

        Between the stat that made the task and this open, the name may have
        been renamed, swapped with a sibling or replaced by a symlink (an
        ancestor's too: a path opened whole follows the symlinks on its
        way).  Reading what is there now would count another directory under
        this name, or one outside the PATHs; :class:`Replaced` instead.
        """
        fd = self._open_dir(task.path, follow)
        try:
            st = os.fstat(fd)
        except OSError:
            os.close(fd)
            raise
        if self.settings.device(st) != task.dev or st.st_ino != task.ino:
            os.close(fd)
            raise Replaced()
        return fd

    def _open_dir(self, path, follow):
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
        if not follow:
            flags |= os.O_NOFOLLOW
        if self._kept is not None:
            prefix, parent_fd = self._kept
            if path.startswith(prefix) and "/" not in path[len(prefix) :]:
                return os.open(path[len(prefix) :], flags, dir_fd=parent_fd)
        if self.config.base is not None:
            path = os.path.join(self.config.base, path)  # unchanged if absolute
        if len(path) < PATH_MAX // 4:  # even four bytes a character fits
            return os.open(path, flags)
        raw = os.fsencode(path)
        if len(raw) < PATH_MAX:
            return os.open(raw, flags)
        fd = None
        start = 0
        try:
            while len(raw) - start >= PATH_MAX:
                cut = raw.rindex(b"/", start, start + PATH_MAX - 1)
                if cut <= start:
                    raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), path)
                piece = raw[start:cut] or b"/"
                # The directories on the way were walked already: no O_NOFOLLOW.
                new = os.open(piece, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
                old, fd = fd, new  # the finally below closes fd: never old twice
                if old is not None:
                    os.close(old)
                start = cut + 1
            return os.open(raw[start:], flags, dir_fd=fd)
        finally:
            if fd is not None:
                os.close(fd)

    def _unreadable(self, task, exc) -> Record:
        # du counts an unreadable directory's own size, reports it and goes on.
        out_of_memory(exc)
        own = isinstance(task, DirTask)
        apparent, disk = (task.apparent, task.disk) if own else (0, 0)
        part = 0 if own else task.part
        # Unreadable is said whatever the scan keeps: a rare record, and
        # history keeps the flag without the views.
        detail = Detail(flags=READ_ERROR)
        if self.config.detailed:
            views = self.config.options.views and own
            owners: Optional[dict] = None
            if own and task.owner is not None:  # --by-owner: its own size is its owner's
                uid, gid = task.owner
                owners = {}
                add_owner(owners, uid, gid, apparent, disk)
            detail = Detail(
                kinds={DIRECTORY_KIND: [1, apparent, disk]} if views else None,
                flags=READ_ERROR,
                owners=owners,
            )
        return Record(
            task.key,
            task.parent,
            task.name,
            task.depth,
            task.root,
            int(own),
            0,
            apparent,
            disk,
            errors=[PathError(task.path, OP_READ, exc.strerror)],
            part=part,
            detail=detail,
            ident=(task.dev, task.ino) if own else None,
        )

    def _scan_directory(self, task: DirTask, records, subdirs, chunks):
        path = task.path
        follow = self.settings.follow or (task.depth == 0 and task.root in self.config.follow_roots)
        try:
            fd = self._open_task(task, follow)
        except OSError as exc:
            records.append(self._unreadable(task, exc))
            return
        try:
            # Names only (no DirEntry objects): every entry is stat'ed anyway.
            names = os.listdir(fd)
        except OSError as exc:
            records.append(self._unreadable(task, exc))
            os.close(fd)
            return
        try:
            if self._exclude_caches and task.depth and _is_cache_directory(fd, names):
                # Left out whole, like ncdu --exclude-caches: not even its own size.
                records.append(
                    Record(
                        task.key,
                        task.parent,
                        task.name,
                        task.depth,
                        task.root,
                        0,
                        0,
                        0,
                        0,
                        detail=Detail(flags=EXCLUDED),
                    )
                )
                return
            split_at = self.split_at
            if len(names) > split_at:
                rest = names[split_at:]
                del names[split_at:]
                piece = self.config.piece
                key = task.key  # made from the names, not carried: once for all its chunks
                for i in range(0, len(rest), split_at):
                    chunks.append(
                        ChunkTask(
                            path,
                            task.depth,
                            task.root,
                            rest[i : i + split_at],
                            (split_at + i) // piece,
                            task.dev,
                            task.ino,
                            key,
                            task.parent,
                            task.guard,
                            task.hops,
                        )
                    )
            records.append(self._size_entries(fd, task, names, subdirs))
        finally:
            self._keep_open(path, fd)

    def _scan_chunk(self, task: ChunkTask, records, subdirs):
        try:
            fd = self._open_task(task, True)
        except OSError as exc:
            records.append(self._unreadable(task, exc))
            return
        try:
            records.append(self._size_entries(fd, task, task.names, subdirs))
        finally:
            os.close(fd)

    def _size_entries(self, fd, task, names, subdirs) -> Record:
        """Stat ``names`` inside the open directory ``fd``: the per-entry pipeline.

        ``task`` is the directory's DirTask (its own size is counted here)
        or one of its ChunkTasks.  The common entry (a file of one link,
        nothing excluded, no view, no export) pays for the stat, three sums
        and one test each for what the options may add; what is rare goes
        to the directory's ``DirectoryPass``.  This loop runs once per file of the scan.
        """
        s = self.settings
        p = DirectoryPass(s, fd, task, subdirs)
        # Bound here, not kept on p: a DirectoryPass holding its own bound methods would
        # be a cycle, freed only by the cyclic GC (twice the memory with views, slower).
        by_path = p.excluded if s.exclude is not None else None
        by_stat = p.left_out if s.reason is not None else None
        extra = p.extra if s.has_extra else None
        tally_add = p.tally.add if p.tally is not None else None  # the views
        stat_, floor, by_apparent = p.stat_, s.floor, s.by_apparent
        S_IFMT, S_IFDIR, S_IFREG = _stat.S_IFMT(0o177777), _stat.S_IFDIR, _stat.S_IFREG
        top = self.top
        offer_top, tops, here = top.offer, p.tops, p.key
        threshold = (top.floor[0] if top.full else -1) if top.n else NEVER
        files = apparent = disk = 0
        for name in names:
            if by_path is not None and by_path(name):
                continue
            try:
                st = stat_(name, dir_fd=fd)
            except OSError as exc:
                p.unreachable(name, exc)
                continue
            if by_stat is not None and by_stat(name, st):
                continue
            fmt = st.st_mode & S_IFMT
            if fmt == S_IFDIR:
                p.subdir(name, st)
                continue
            if st.st_nlink > floor:
                p.link(name, st)  # counted (once) by the collector, which sees every link
                continue
            size = st.st_size
            blocks = st.st_blocks * 512  # measure.disk_usage, inlined: once per file
            files += 1
            apparent += size
            disk += blocks
            if extra is not None:
                extra(name, st, size, blocks)
            if tally_add is not None:
                if fmt == S_IFREG:  # kinds.tally_key, inlined: once per file
                    dot = name.rfind(".")
                    tally_add((name[dot:] if dot > 0 else "", size, blocks, st.st_mtime, name))
                else:
                    tally_add((kind_of(name, fmt), size, blocks, st.st_mtime, name))
            if (size if by_apparent else blocks) >= threshold and offer_top(
                (size if by_apparent else blocks, here, name)
            ):
                tops.append((size, blocks, name))
                if top.full:
                    threshold = top.floor[0]
        return p.record(files, apparent, disk)


def _is_cache_directory(fd, names):
    return "CACHEDIR.TAG" in names and has_cache_tag(fd)


def has_cache_tag(dir_fd) -> bool:
    """Whether the open directory ``dir_fd`` holds a valid CACHEDIR.TAG
    (not a symlink to one)."""
    try:
        tag = os.open("CACHEDIR.TAG", os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return False
    try:
        return os.read(tag, len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE
    except OSError:
        return False
    finally:
        os.close(tag)
