"""The per-entry pipeline: what a worker does with one directory.

This is the only place where entries are stat'ed and sized.  A
:class:`Scanner` holds one scan's state in one process: it runs inside each
pool worker (one per process, made by :func:`init_worker`) and in the
calling process for the first few directories of a scan (see ``engine``),
so any number of scans may run at once in one process, each with its own.

A worker never reports a single file: for every directory it builds one
:class:`~sizescan.records.Record` and sends the records of a whole task as
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
import pickle
import signal
import stat as _stat
import _thread
import threading
import time
from collections import deque

from .exclude import ExcludeMatcher, GitignoreMatcher
from .fs import MAX_SYMLINKS
from ..model.kinds import DIRECTORY_KIND, kind_of
from ..model.keys import EXCLUDED, READ_ERROR, dir_prefix
from .records import (
    OP_ACCESS, OP_READ, SKIP_KERNFS, SKIP_OTHER_FS, SKIP_PATTERN, ChunkTask, Detail, DirTask, Link,
    Message, PathError, Record, TaskResult,
)
from ..model.kinds import add_counts, add_owner
from ..signals import become_child
from .tally import DirTally, Largest

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

    The scan's :class:`~sizescan.options.ScanOptions`, plus what the engine
    learnt before the walk began.
    """

    __slots__ = ("options", "roots", "root_devs", "skip_ids", "track_ancestors", "kernfs_devs",
                 "now", "encoder", "exclude", "gitignore", "detailed", "follow_roots", "io_depth",
                 "piece", "devices", "base")

    def __init__(self, options, *, roots, root_devs=None, skip_ids=None, track_ancestors=False,
                 kernfs_devs=None, now=0.0, encoder=None, follow_roots=frozenset(), io_depth=1):
        self.options = options
        # Requests each pool process keeps in flight: its threads (see _Lanes).
        self.io_depth = io_depth
        # Chunk records are numbered by the position of their first name, in
        # pieces of this many names: the same numbering whether a chunk is
        # read whole or by lanes piece by piece, so the collector's
        # once-only rule holds across both (see _Lanes).
        self.piece = (math.gcd(options.split_at, _Lanes.LANE_SPLIT) if io_depth > 1
                      else options.split_at)
        # Indexes of the PATHs given as "link/": opened through a symlink.
        self.follow_roots = follow_roots
        # The PATHs, for matching gitignore patterns relative to them.
        self.roots = tuple(roots)
        # One device per PATH under --one-file-system, else None.
        self.root_devs = root_devs
        # (dev, ino) of directories never to enter, with the index of the
        # PATH from which on they are skipped: the other PATHs (du skips a
        # PATH it has already counted inside an earlier one).
        self.skip_ids = skip_ids
        # Whether mount points lie inside the PATHs.  Only then can a
        # directory be its own ancestor without -L (a bind mount of a parent
        # below itself), so only then does each task carry its ancestors'
        # (dev, ino) to check; du skips such a directory uncounted, and so do we.
        self.track_ancestors = track_ancestors
        # Devices of pseudo filesystems (proc, sysfs...) under --exclude-kernfs.
        self.kernfs_devs = kernfs_devs
        # Ages of --by-age are measured from the scan's start.
        self.now = now
        # The export's entry encoder (see the module docstring), or None.
        self.encoder = encoder
        self.exclude = ExcludeMatcher(options.exclude) if options.exclude else None
        self.gitignore = GitignoreMatcher(options.gitignore) if options.gitignore else None
        # Whether records carry a Detail.
        self.detailed = options.detailed or encoder is not None
        # On another host (a cluster worker), the scan's device number for
        # each device this host sees, where they differ: st_dev names a
        # device on one host only (see cluster.py).  Devices leave a worker
        # (in tasks, hard links, the export) in the scan's numbers; the
        # checks made here (root_devs, skip_ids, kernfs_devs) are in this
        # host's.  None on the scan's own host.
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
        # Every scanner of a scan reads with threads or every one without:
        # a directory is then cut into the same records whichever reads it
        # again (see WorkerConfig.piece).  A lane itself has no sink.
        self.io_depth = config.io_depth
        self._lanes = _Lanes(self, config.io_depth) if config.io_depth > 1 and sink else None

    def run(self, dir_tasks, chunk_tasks=(), task_id=None, slot=None, stop_at=None,
            descend_s=None) -> TaskResult:
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
        descend = 0 if options.dereference else (
            options.descend_s if descend_s is None else descend_s)
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
        devices = self.config.devices
        dev = st.st_dev if devices is None else devices.get(st.st_dev, st.st_dev)
        if dev != task.dev or st.st_ino != task.ino:
            os.close(fd)
            raise Replaced()
        return fd

    def _open_dir(self, path, follow):
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
        if not follow:
            flags |= os.O_NOFOLLOW
        if self._kept is not None:
            prefix, parent_fd = self._kept
            if path.startswith(prefix) and "/" not in path[len(prefix):]:
                return os.open(path[len(prefix):], flags, dir_fd=parent_fd)
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
        own = isinstance(task, DirTask)
        apparent, disk = (task.apparent, task.disk) if own else (0, 0)
        part = 0 if own else task.part
        detail = None
        if self.config.detailed:
            views = self.config.options.views and own
            owners = None
            if own and task.owner is not None:  # --by-owner: its own size is its owner's
                owners = {}
                add_owner(owners, *task.owner, apparent, disk)
            detail = Detail(kinds={DIRECTORY_KIND: [1, apparent, disk]} if views else None,
                            flags=READ_ERROR, owners=owners)
        return Record(task.key, task.parent, task.name, task.depth, task.root, int(own), 0,
                      apparent, disk, errors=[PathError(task.path, OP_READ, exc.strerror)],
                      part=part, detail=detail, ident=(task.dev, task.ino) if own else None)

    def _scan_directory(self, task: DirTask, records, subdirs, chunks):
        path = task.path
        follow = self.config.options.dereference or (
            task.depth == 0 and task.root in self.config.follow_roots)
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
            if self.config.options.exclude_caches and task.depth and _is_cache_directory(fd, names):
                # Left out whole, like ncdu --exclude-caches: not even its own size.
                records.append(Record(task.key, task.parent, task.name, task.depth, task.root,
                                      0, 0, 0, 0, detail=Detail(flags=EXCLUDED)))
                return
            split_at = self.split_at
            rest = names[split_at:]
            if rest:
                del names[split_at:]
                piece = self.config.piece
                key = task.key  # made from the names, not carried: once for all its chunks
                for i in range(0, len(rest), split_at):
                    chunks.append(ChunkTask(path, task.depth, task.root, rest[i:i + split_at],
                                            (split_at + i) // piece, task.dev, task.ino, key,
                                            task.parent, task.guard, task.hops))
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
        or one of its ChunkTasks.  Settings are read into locals once per
        directory: this loop runs once per file of the scan.
        """
        cfg = self.config
        options = cfg.options
        path, depth, root, here = task.path, task.depth, task.root, task.key
        own = isinstance(task, DirTask)
        part = 0 if own else task.part
        apparent = task.apparent if own else 0
        disk = task.disk if own else 0
        guard = task.guard
        follow = options.dereference
        count_links = options.count_links
        # Under --dereference a file may be reached through several symlinks,
        # so every file is deduplicated, as du does (its "hash_all").
        dedup_all = follow and not count_links
        exclude = cfg.exclude
        root_dev = cfg.root_devs[root] if cfg.root_devs is not None else None
        skip_ids = cfg.skip_ids
        by_apparent = options.apparent
        top = self.top
        offer_top = top.offer
        threshold = (top.floor[0] if top.full else -1) if top.n else None
        prefix = dir_prefix(path)
        # os.stat follows symlinks, os.lstat does not; positional-only calls
        # are measurably cheaper than follow_symlinks=... in this loop.
        stat_ = os.stat if follow else os.lstat
        kernfs_devs = cfg.kernfs_devs
        devices = cfg.devices
        track_ancestors = cfg.track_ancestors
        check_ids = root_dev is not None or bool(skip_ids) or bool(kernfs_devs)
        S_IFMT, S_IFDIR, S_IFREG = _stat.S_IFMT(0o177777), _stat.S_IFDIR, _stat.S_IFREG
        files = 0
        tops, links, errors = [], [], []
        skipped = []  # (name, reason): rare, told to the encoder at the end
        gitignore = cfg.gitignore
        if gitignore is not None:
            relative_from = len(dir_prefix(cfg.roots[root]))
        # Views count through one DirTally; the plain scan pays one test per entry.
        tally = DirTally(cfg.now, options.top, options.measure) if options.views else None
        if tally is not None:
            add_to_tally = tally.add
            if own:
                tally.own(apparent, disk)
        encoder = cfg.encoder
        if encoder is not None:
            sized, fragment, subinfo = encoder.sized, [], []
        # --by-owner: every entry counted here, by uid and by gid.
        owners = {} if options.by_owner else None
        owner_uid = owner_gid = None
        others = [0, 0, 0]  # files not of the first file's owner: counted as they come
        # -L: du stats full paths, and the kernel follows at most
        # MAX_SYMLINKS symlinks in one: past that an entry is "cannot
        # access" there too.  Only entries that are links count.
        hops = task.hops
        near_limit = follow and hops >= MAX_SYMLINKS
        for name in names:
            if exclude is not None and exclude(prefix + name):
                skipped.append((name, SKIP_PATTERN))
                continue
            try:
                if near_limit and _stat.S_ISLNK(os.lstat(name, dir_fd=fd).st_mode):
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))
                st = stat_(name, dir_fd=fd)
            except OSError as exc:
                # A vanished entry, or a dangling symlink under -L: du reports
                # it and counts nothing.
                errors.append(PathError(prefix + name, OP_ACCESS, exc.strerror))
                continue
            if check_ids:
                if root_dev is not None and st.st_dev != root_dev:
                    skipped.append((name, SKIP_OTHER_FS))
                    continue
                if skip_ids and skip_ids.get((st.st_dev, st.st_ino), root) < root:
                    continue
                if kernfs_devs and st.st_dev in kernfs_devs:
                    skipped.append((name, SKIP_KERNFS))
                    continue
            is_dir = st.st_mode & S_IFMT == S_IFDIR
            if gitignore is not None and gitignore((prefix + name)[relative_from:], is_dir):
                skipped.append((name, SKIP_PATTERN))
                continue
            if is_dir:
                dev = st.st_dev if devices is None else devices.get(st.st_dev, st.st_dev)
                child_guard = guard
                if track_ancestors:
                    # A bind mount can make a directory its own ancestor: a
                    # cycle.  du skips it, uncounted.
                    ident = (dev, st.st_ino)
                    if ident in guard:
                        continue
                    child_guard = guard + (ident,)
                child_hops = hops
                if follow and _stat.S_ISLNK(os.lstat(name, dir_fd=fd).st_mode):
                    child_hops += 1  # one lstat per directory, under -L only
                subdirs.append(DirTask(prefix + name, depth + 1, root, st.st_size,
                                       st.st_blocks * 512, dev, st.st_ino,
                                       here, child_guard, child_hops,
                                       None if owners is None else (st.st_uid, st.st_gid)))
                if encoder is not None:
                    subinfo.append((name, encoder.directory(name, st, dev, task.dev)))
                continue
            size = st.st_size
            blocks = st.st_blocks * 512
            if encoder is not None:
                fragment.append(sized(name, st))
            if tally is not None:
                # Regular files are grouped by their raw suffix, turned into
                # kinds once per directory by the tally.
                if st.st_mode & S_IFMT == S_IFREG:
                    dot = name.rfind(".")
                    key = name[dot:] if dot > 0 else ""
                else:
                    key = kind_of(name, st.st_mode)
            if dedup_all or (st.st_nlink > 1 and not count_links):
                # Counted (once) by the collector, which sees every link.
                kind, age = tally.link_view(key, st.st_mtime) if tally is not None else (None, None)
                dev = st.st_dev if devices is None else devices.get(st.st_dev, st.st_dev)
                links.append(Link(dev, st.st_ino, size, blocks, name, kind, age,
                                  None if owners is None else (st.st_uid, st.st_gid)))
                continue
            files += 1
            apparent += size
            disk += blocks
            if owners is not None and (st.st_uid != owner_uid or st.st_gid != owner_gid):
                # A directory's files mostly share one owner, the first
                # file's: they cost this test alone, and get what the others
                # leave of the directory's sums at the end.
                if owner_uid is None:
                    owner_uid, owner_gid = st.st_uid, st.st_gid
                else:
                    add_owner(owners, st.st_uid, st.st_gid, size, blocks)
                    others[0] += 1
                    others[1] += size
                    others[2] += blocks
            if tally is not None:
                add_to_tally(key, size, blocks, st.st_mtime, name)
            if threshold is not None:
                key_size = size if by_apparent else blocks
                if key_size >= threshold and offer_top((key_size, here, name)):
                    tops.append((size, blocks, name))
                    if top.full:
                        threshold = top.floor[0]
        if owners is not None:
            mine = task.owner if own else None
            first = None if owner_uid is None else (owner_uid, owner_gid)
            if not owners and (mine is None or first is None or mine == first):
                # One owner for the whole record, the common case: said as
                # the pair alone (see Detail.owners), no counters.
                owners = first or mine
            else:
                if first is not None:
                    add_counts(owners, first, files - others[0],
                               apparent - (task.apparent if own else 0) - others[1],
                               disk - (task.disk if own else 0) - others[2])
                if mine is not None:  # the directory itself
                    add_owner(owners, *mine, task.apparent, task.disk)
        detail = None
        if cfg.detailed:
            text = subdirs_text = None
            if encoder is not None:
                fragment += [encoder.skipped(name, reason) for name, reason in skipped]
                fragment += [encoder.unreadable(e.path[len(prefix):]) for e in errors]
                text, subdirs_text = "".join(fragment) or None, subinfo or None
            if tally is None:
                detail = Detail(fragment=text, subdirs=subdirs_text, owners=owners)
            else:
                detail = tally.detail(text, subdirs_text)
                if owners:
                    detail = detail._replace(owners=owners)
        return Record(here, task.parent, task.name, depth, root, 1 if own else 0, files,
                      apparent, disk, tops, links, errors, part, detail,
                      (task.dev, task.ino) if own else None)


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


# The stack of each thread a pool worker starts (see init_worker).
LANE_STACK = 1 << 20

# How long a task waits for a lane thread it started to run: one that has
# not run by then died starting (ulimit -v), and will not (see _Lanes.run).
LANE_START_S = 2.0

# How long a task with lanes goes on into what it finds (see _LaneQueue).
LANE_DESCEND_S = 1.0


class _Lanes:
    """A worker's threads: many requests in flight from one process.

    On a network or FUSE filesystem every open, readdir and stat waits for a
    round trip, and Python releases the GIL while it waits: so ``n``
    threads keep ``n`` requests in flight where one process keeps one.
    Each thread is a lane with its own Scanner (its own kept directory and
    candidates for the largest files) running the same per-entry pipeline;
    the lanes of one task share a queue of directories and of chunks, and
    their records leave in the task's one message.  The names of a large
    directory are stat'ed by several lanes at once: a directory of more
    than LANE_SPLIT names is read in pieces, as the walker splits one of
    more than ``split_at`` into chunks (the collector takes each once either
    way).
    """

    # 8 names a piece: a directory of 1,000 files is 125 pieces that lanes
    # stat at once instead of 1,000 round trips in a row, and the first
    # subdirectories are found after 8 stats, not after all of them.  Each
    # piece costs one more open of the directory.
    LANE_SPLIT = 8

    def __init__(self, owner: "Scanner", n: int):
        self.owner = owner
        self.n = n
        self.lanes = []
        self.threads_failed = False
        # A task left at Ctrl-C: its threads may still be in a request,
        # holding their kept directory; each closes its own as it ends
        # (closing it from here could close a number already reused).
        self.abandoned = False

    def release(self):
        if not self.abandoned:
            for lane in self.lanes:
                lane.release()

    def run(self, dir_tasks, chunk_tasks, descend_s, stop_at=None):
        """(records, subdirs, chunks) of the tasks, as Scanner.run makes them."""
        cfg = self.owner.config
        if not self.lanes:
            for _ in range(self.n):
                lane = Scanner(cfg, None)
                lane.split_at = cfg.piece
                self.lanes.append(lane)
        state = _LaneQueue(dir_tasks, chunk_tasks, descend_s, cfg.options.split_at, cfg.piece,
                           stop_at)
        if not self.threads_failed:
            # Bare threads (_thread): threading.Thread.start() waits for the
            # new thread to say it runs, and one that ran out of memory in
            # its own start-up (ulimit -v) never says so: the task hung.
            for lane in self.lanes[1:]:
                try:
                    _thread.start_new_thread(state.enter, (lane,))
                except RuntimeError:  # no thread to spare (ulimit -v): fewer lanes
                    self.threads_failed = True
                    break
                state.launched += 1
        try:
            state.serve(self.lanes[0])  # this thread is a lane too
        except BaseException:
            # Ctrl-C (raised here, in the main thread): not a moment's wait
            # for threads that may sit in a stat of a dead server.  They see
            # the task stopped and end after the piece they are reading.
            self.abandoned = True
            state.stop()
            raise
        if not state.close(LANE_START_S):
            self.threads_failed = True  # some never started: none from now on
        if state.failure is not None:
            raise state.failure
        return state.records, state.leftover(), state.leftover_chunks()


class _LaneQueue:
    """The work of one task, shared by its lanes (see _Lanes)."""

    def __init__(self, dir_tasks, chunk_tasks, descend_s, split_at, piece, stop_at=None):
        self.ready = threading.Condition()
        # The task's own directories and chunks are done whatever the time,
        # a chunk in pieces (numbered as the config says); what the lanes
        # find (subdirectories, pieces of large directories) until the
        # deadline, then it goes back to the walker.
        self.given = deque(dir_tasks)
        self.given_chunks = deque(
            chunk._replace(names=chunk.names[i:i + piece], part=chunk.part + i // piece)
            for chunk in chunk_tasks for i in range(0, len(chunk.names), piece))
        self.found = deque()
        self.made = deque()
        self.split_at, self.piece = split_at, piece
        self.descend = bool(descend_s)
        # A lane's round trip is slow (that is why there are lanes): a task
        # goes on long enough for them to overlap many, and short enough for
        # the walker to balance the work and the progress bar to move.
        self.deadline = time.monotonic() + max(descend_s, LANE_DESCEND_S)
        if stop_at is not None:
            self.deadline = min(self.deadline, stop_at)
        self.busy = 0
        self.records, self.subdirs = [], []
        self.failure = None
        # Threads started for this task, those that came (enter), those
        # that left; once closed, one that comes late leaves at once.
        self.launched = self.arrived = self.left = 0
        self.closed = False

    def enter(self, lane):
        """A lane thread's body: serve, unless the task is over already."""
        with self.ready:
            if self.closed:
                return
            self.arrived += 1
        try:
            self.serve(lane)
        finally:
            with self.ready:
                self.left += 1
                self.ready.notify_all()

    def close(self, start_s) -> bool:
        """Wait for the lanes that came to leave, and up to ``start_s`` for
        those not come yet; then no more come.  False if some never came
        (a thread that died starting)."""
        deadline = time.monotonic() + start_s
        with self.ready:
            while self.left < self.arrived or (self.arrived < self.launched
                                                and time.monotonic() < deadline):
                self.ready.wait(0.05)
            self.closed = True
            return self.arrived == self.launched

    def _next(self):
        if self.given:
            return self.given.popleft()
        if self.given_chunks:
            return self.given_chunks.popleft()
        if time.monotonic() >= self.deadline:
            return None
        if self.made:  # before subdirectories: they finish directories begun
            return self.made.popleft()
        if self.found:
            return self.found.pop()
        return None

    def serve(self, lane):
        ready = self.ready
        while True:
            with ready:
                while True:
                    task = self._next() if self.failure is None else None
                    if task is not None or self.busy == 0 or self.failure is not None:
                        break
                    ready.wait(0.05)  # re-checks the deadline while others work
                if task is None:
                    ready.notify_all()
                    if self.failure is not None:
                        lane.release()  # see _Lanes.abandoned
                    return
                self.busy += 1
            records, subdirs, chunks = [], [], []
            try:
                lane.read(task, records, subdirs, chunks)
            except Exception as exc:  # re-raised by the task's thread
                with ready:
                    self.failure = exc
                    self.busy -= 1
                    ready.notify_all()
                lane.release()
                return
            except BaseException:  # Ctrl-C in the main thread's lane: see _Lanes.run
                with ready:
                    self.busy -= 1
                    ready.notify_all()
                lane.release()
                raise
            with ready:
                self.busy -= 1
                self.records += records
                self.made.extend(chunks)
                if self.descend:
                    self.found.extend(subdirs)
                else:
                    self.subdirs += subdirs
                ready.notify_all()

    def stop(self):
        """Make every lane stop taking work (the task is abandoned)."""
        with self.ready:
            self.given.clear()
            self.given_chunks.clear()
            self.failure = self.failure or RuntimeError("stopped")
            self.ready.notify_all()

    def leftover(self):
        return self.subdirs + list(self.found)

    def leftover_chunks(self):
        """Chunks not done, whole again: a lane's small chunks of one directory
        are merged into chunks of up to the walker's size (parts stay unique)."""
        out = []
        piece = self.piece
        for chunk in self.made:
            last = out[-1] if out else None
            if (last is not None and last.key == chunk.key and len(last.names) % piece == 0
                    and last.part + len(last.names) // piece == chunk.part
                    and len(last.names) < self.split_at):
                out[-1] = last._replace(names=last.names + chunk.names)
            else:
                out.append(chunk)
        return out


# A pool process serves one pool, and a pool one scan: its Scanner is made
# by the initializer (the only way Pool hands state to its processes) and
# lives as long as the process.  The calling process never sets it.
_pool_scanner: "Scanner | None" = None


class _PoolSink:
    """A pool worker's way to the collector: the scan's queue, until the
    walker gives up on this pool (``stopping``: a worker died, and another
    pool does this one's tasks again).  Then a message is no longer needed
    and is not sent: Pool stops its workers with SIGTERM, which kills a
    worker wherever its queue's feeder thread is, and a message cut there
    leaves the lock every worker writes under held for good.
    """

    def __init__(self, sink_queue, stopping):
        self.queue = sink_queue
        self.stopping = stopping

    def __call__(self, message) -> None:
        if not self.stopping.value:
            # Pickled here, not by the queue's feeder thread: there a
            # failure (MemoryError under ulimit -v) is printed and the
            # message lost, the worker alive, and the walker waits for it
            # for ever.  Here it fails the task, which the walker sees.
            self.queue.put(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))


# What init_worker writes in its ``failed`` flag: why a worker could not start.
START_OUT_OF_MEMORY, START_FAILED = 1, 2


def init_worker(config, sink_queue, task_slots, registry, registry_lock, stopping, failed):
    """Pool initializer: become a worker of one scan.

    Records this process's pid in ``registry`` (shared memory the walker
    reads: it learns its workers' pids through no private attribute of
    Pool), then keeps a Scanner that sends its messages to ``sink_queue``.
    Exits at once if the pool is already being stopped (``stopping``): the
    walker read the registry after setting it, so it may never see this one.

    A worker that cannot start (no memory under ulimit -v) says so in
    ``failed`` and exits: Pool would start another in its place, which
    fails the same way, for ever, while the tasks wait.
    """
    try:
        _become_worker(config, sink_queue, task_slots, registry, registry_lock, stopping)
    except BaseException as exc:
        failed.value = START_OUT_OF_MEMORY if isinstance(exc, MemoryError) else START_FAILED
        os._exit(1)


def _become_worker(config, sink_queue, task_slots, registry, registry_lock, stopping):
    global _pool_scanner
    become_child()
    # A lane needs little stack (its frames are on the heap); the default
    # (ulimit -s, 8 MB) made 64 lanes 512 MB of address space, past a
    # ulimit -v the scan would otherwise fit in.  Our own process: the
    # caller's threads keep theirs.
    threading.stack_size(LANE_STACK)
    exit_with_parent()
    # Bounded: a worker killed while holding the lock must not stop the
    # others from starting; an unregistered worker is still found if it
    # dies with a task (its task slot) or wedges the pool (see engine).
    if registry_lock.acquire(timeout=1.0):
        try:
            for i in range(len(registry)):
                if registry[i] == 0:
                    registry[i] = os.getpid()
                    break
        finally:
            registry_lock.release()
    # After registering: either the walker read our pid, or we read its flag.
    if stopping.value:
        os._exit(0)
    _pool_scanner = Scanner(config, _PoolSink(sink_queue, stopping), task_slots)


def scan_tasks(dir_tasks, chunk_tasks, task_id, slot) -> TaskResult:
    """A pool task: see :meth:`Scanner.run`."""
    return _pool_scanner.run(dir_tasks, chunk_tasks, task_id, slot)


def exit_with_parent(interval=0.5):
    """Exit this process soon after its parent dies (even by SIGKILL).

    A pool worker whose caller is gone would otherwise wait for tasks
    forever, an orphan.  An orphan is adopted by another process, so a
    change of parent is the sign (under forkserver the parent is the fork
    server, which itself exits when the caller dies).
    """
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    try:
        threading.Thread(target=watch, name="sizescan-parent-watch", daemon=True).start()
    except RuntimeError:  # no thread to spare (ulimit -v): the kernel watches instead
        _die_with_parent()


def _die_with_parent():
    """prctl(PR_SET_PDEATHSIG, SIGKILL) on Linux; nothing elsewhere."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError, ImportError):  # ImportError: no memory to map ctypes
        pass
