"""The per-entry pipeline: what a worker does with one directory.

This is the only place where entries are stat'ed and sized.  It runs inside
the pool's worker processes, and in the calling process for the first few
directories of a scan (see ``engine``), always through :func:`scan_tasks`.

A worker never reports a single file.  For every directory it builds one
*record* (a plain tuple, cheap to pickle) and sends the records of a whole
task as one message to the collector.  It returns to the walker only what
the walker needs to keep the pool fed: the subdirectories it found and, for
very large directories, the names it left for other workers to stat.
"""

from __future__ import annotations

import errno
import heapq
import os
import signal
import stat as _stat
import threading
import time

from .kinds import AGES, DIRECTORY_KIND, kind_of, merge_suffixes, suffix_kind
from .ncdu import entry_info, excluded_entry, unreadable_entry

# How long a task goes on into the subdirectories it found before it hands
# the rest back to the walker: long enough that a round trip through the
# pool is paid per few milliseconds of work rather than per directory,
# short enough that the walker always has work for idle workers.
DESCEND_S = 0.005

# A directory with more entries than this is not stat'ed by one worker alone:
# the rest of its names go back to the walker in chunks of this size, so on a
# slow filesystem several workers wait on its round trips at once.  The
# environment variable SIZESCAN_SPLIT_AT overrides it (the tests use that).
SPLIT_AT = 4096

# Record layout (a tuple, not a class: millions of these cross a pipe).
# (path, depth, root, dirs, files, apparent, disk, tops, links, errors, part, detail)
#   dirs     1 for the record that carries the directory's own size, else 0
#   tops     [(apparent, disk, name)] files that may be among the largest
#   links    [(dev, ino, apparent, disk, name, kind, age)] files that must be
#            counted once per scan (st_nlink > 1, or every file under
#            --dereference); kind and age are None unless the scan keeps views
#   errors   [(path, operation, message)]
#   part     0 for a directory's own record, k for its k-th chunk: with the
#            path, what lets the collector take each record exactly once
#            when lost work is done again
#   detail   None, unless the scan keeps views, exports or excludes caches:
#            (kinds, ages, files, fragment, subdirs, flags)
#     kinds    {kind: [count, apparent, disk]} (see kind_of)
#     ages     [count, apparent, disk] * len(AGES), by modification time
#     files    [(apparent, disk, name)] the directory's largest files
#     fragment the export text of its non-directory entries (",\n{...}" each)
#     subdirs  [(name, info)] the export info of its subdirectories
#     flags    READ_ERROR, EXCLUDED (a cache directory: counted nowhere)
#
# A message to the collector is (task id, [record, ...]).

# A directory task: (path, depth, root, apparent, disk, guard): apparent and
# disk are the directory's own size, guard the ids of its ancestors that are
# mount points (see WorkerConfig.mount_ids).  Under --dereference a worker
# returns the subdirectories it found with (dev, ino) appended, for the
# walker to enter each directory once.  A chunk task: (path, depth, root,
# names, part).

OP_READ = "read"  # du: cannot read directory
OP_ACCESS = "access"  # du: cannot access

_config: "WorkerConfig | None" = None
_sink = None
_slots = None
_top: list = []


# Flags of a record's detail.
READ_ERROR = 1  # the directory could not be read
EXCLUDED = 2  # a cache directory (CACHEDIR.TAG): counted nowhere

# https://bford.info/cachedir/: the tag file starts with exactly this.
CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"

class WorkerConfig:
    """What every worker must know about a scan; fixed for its duration."""

    __slots__ = ("top", "apparent", "count_links", "dereference", "root_devs", "exclude",
                 "skip_ids", "split_at", "descend_s", "mount_ids", "kernfs_devs", "roots",
                 "views", "dir_files", "now", "export", "extended", "exclude_caches",
                 "gitignore")

    def __init__(self, *, top, apparent, count_links, dereference, root_devs, exclude, skip_ids,
                 split_at=SPLIT_AT, descend_s=DESCEND_S, mount_ids=None, kernfs_devs=None,
                 roots=(), views=False, dir_files=0, now=0.0, export=False, extended=False,
                 exclude_caches=False, gitignore=None):
        self.top = top
        self.apparent = apparent
        self.count_links = count_links
        self.dereference = dereference
        # One device per root under --one-file-system, else None.
        self.root_devs = root_devs
        # An exclude matcher (callable on a path) or None.
        self.exclude = exclude
        # (dev, ino) of directories never to enter, with the root index from
        # which on they are skipped: the other PATH arguments (du skips a
        # PATH it has already counted inside an earlier one).
        self.skip_ids = skip_ids
        self.split_at = split_at
        self.descend_s = descend_s
        # (dev, ino) of the mount points inside the PATHs.  Only there can a
        # directory be its own ancestor without -L (a bind mount of a parent
        # below itself); du skips such a directory uncounted, and so do we.
        self.mount_ids = mount_ids
        # Devices of pseudo filesystems (proc, sysfs...) under --exclude-kernfs.
        self.kernfs_devs = kernfs_devs
        # The PATHs, for matching gitignore patterns relative to them.
        self.roots = tuple(roots)
        # Keep kinds, ages and each directory's `dir_files` largest files,
        # ages measured from `now` (the scan's start).
        self.views = views
        self.dir_files = dir_files
        self.now = now
        # Write the export text of every entry (uid, gid, mode, mtime too
        # when `extended`).
        self.export = export
        self.extended = extended
        self.exclude_caches = exclude_caches
        # A GitignoreMatcher (--exclude-from) or None.
        self.gitignore = gitignore

    @property
    def detailed(self):
        """Whether records carry a detail (see the record layout)."""
        return self.views or self.export or self.exclude_caches


def init_worker(config, sink, slots=None):
    """Pool initializer: keep the scan's configuration and the record sink.

    ``sink`` is a callable taking one message: the collector queue's
    ``put`` in a pool worker, the collector's ``take`` in-process.  In a
    pool worker, ``slots`` is the shared array where each task writes the
    pid running it, so the walker can tell which task a dead worker lost.
    """
    global _config, _sink, _slots, _top
    _config = config
    _sink = sink
    _slots = slots
    _top = []
    if slots is not None:
        # Ctrl-C reaches the whole process group; the caller alone decides
        # what it means and tears the pool down.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # A forked worker inherits the CLI's SIGTERM handler; Pool.terminate()
        # relies on SIGTERM killing it.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        exit_with_parent()


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

    threading.Thread(target=watch, name="sizescan-parent-watch", daemon=True).start()


def scan_tasks(dir_tasks, chunk_tasks=(), task_id=None, slot=None):
    """Scan directory tasks and chunk tasks; send their records to the sink.

    After its own tasks, a worker goes on into the subdirectories it found
    for up to ``descend_s`` seconds, then hands what is left back.  Returns
    ``(task_id, messages, subdirs, chunks)``: how many messages were sent to
    the collector (0 or 1), the directories left to scan, and the chunk
    tasks split off very large directories.
    """
    if slot is not None:
        _slots[slot] = os.getpid()
    records = []
    subdirs = []
    chunks = []
    for task in dir_tasks:
        _scan_directory(task, records, subdirs, chunks)
    for task in chunk_tasks:
        _scan_chunk(task, records, subdirs)
    # Under -L the walker must see every directory, to enter each one once.
    if _config.descend_s and not _config.dereference:
        deadline = time.monotonic() + _config.descend_s
        while subdirs and time.monotonic() < deadline:
            _scan_directory(subdirs.pop(), records, subdirs, chunks)
    if records:
        _sink((task_id, records))
        return task_id, 1, subdirs, chunks
    return task_id, 0, subdirs, chunks


# The kernel refuses a path of PATH_MAX bytes or more (ENAMETOOLONG), while
# du still walks such trees.  A longer path is opened a piece at a time,
# each piece relative to the directory the previous one opened.
PATH_MAX = 4096


# The last directory scanned stays open: the next one is most often its
# child (a task descends depth first), and opening a child relative to its
# parent costs one lookup, where a full path costs one per component.  It
# also keeps a chain thousands of levels deep linear instead of quadratic.
_last_dir = None  # (path + "/", fd)


def _keep_open(path, fd):
    global _last_dir
    _close_kept()
    _last_dir = (path if path.endswith("/") else path + "/", fd)


def release():
    """Close the directory kept open for the next task (see ``_last_dir``)."""
    _close_kept()


def _close_kept():
    global _last_dir
    if _last_dir is not None:
        os.close(_last_dir[1])
        _last_dir = None


def _open_dir(path, follow):
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
    if not follow:
        flags |= os.O_NOFOLLOW
    if _last_dir is not None:
        prefix, parent_fd = _last_dir
        if path.startswith(prefix) and "/" not in path[len(prefix):]:
            return os.open(path[len(prefix):], flags, dir_fd=parent_fd)
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
            if fd is not None:
                os.close(fd)
            fd = new
            start = cut + 1
        return os.open(raw[start:], flags, dir_fd=fd)
    finally:
        if fd is not None:
            os.close(fd)


def _unreadable(path, depth, root, dirs, apparent, disk, exc, part=0):
    # du counts an unreadable directory's own size, reports it and goes on.
    detail = None
    if _config.detailed:
        kinds = {DIRECTORY_KIND: [dirs, apparent, disk]} if _config.views and dirs else None
        detail = (kinds, None, None, None, None, READ_ERROR)
    return (path, depth, root, dirs, 0, apparent, disk, (), (), [(path, OP_READ, exc.strerror)],
            part, detail)


def _is_cache_directory(fd, names):
    if "CACHEDIR.TAG" not in names:
        return False
    try:
        tag = os.open("CACHEDIR.TAG", os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
    except OSError:
        return False
    try:
        return os.read(tag, len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE
    except OSError:
        return False
    finally:
        os.close(tag)


def _scan_directory(task, records, subdirs, chunks):
    path, depth, root, own_apparent, own_disk, guard = task
    try:
        fd = _open_dir(path, _config.dereference)
    except OSError as exc:
        records.append(_unreadable(path, depth, root, 1, own_apparent, own_disk, exc))
        return
    try:
        # Names only (no DirEntry objects): every entry is stat'ed anyway.
        names = os.listdir(fd)
    except OSError as exc:
        records.append(_unreadable(path, depth, root, 1, own_apparent, own_disk, exc))
        os.close(fd)
        return
    try:
        if _config.exclude_caches and depth and _is_cache_directory(fd, names):
            # Left out whole, like ncdu --exclude-caches: not even its own size.
            records.append((path, depth, root, 0, 0, 0, 0, (), (), (), 0,
                            (None, None, None, None, None, EXCLUDED)))
            return
        split_at = _config.split_at
        rest = names[split_at:]
        if rest:
            del names[split_at:]
            for part, i in enumerate(range(0, len(rest), split_at), 1):
                chunks.append((path, depth, root, rest[i:i + split_at], part))
        records.append(_size_entries(fd, path, depth, root, names, own_apparent, own_disk, 1,
                                     subdirs, 0, guard))
    finally:
        _keep_open(path, fd)


def _scan_chunk(task, records, subdirs):
    path, depth, root, names, part = task
    try:
        fd = _open_dir(path, True)
    except OSError as exc:
        records.append(_unreadable(path, depth, root, 0, 0, 0, exc, part))
        return
    try:
        records.append(_size_entries(fd, path, depth, root, names, 0, 0, 0, subdirs, part))
    finally:
        os.close(fd)


def _size_entries(fd, path, depth, root, names, apparent, disk, dirs, subdirs, part, guard=()):
    """Stat ``names`` inside the open directory ``fd``: the per-entry pipeline."""
    cfg = _config
    follow = cfg.dereference
    count_links = cfg.count_links
    # Under --dereference a file may be reached through several symlinks,
    # so every file is deduplicated, as du does (its "hash_all").
    dedup_all = follow and not count_links
    exclude = cfg.exclude
    root_dev = cfg.root_devs[root] if cfg.root_devs is not None else None
    skip_ids = cfg.skip_ids
    by_apparent = cfg.apparent
    top = _top
    top_n = cfg.top
    # This worker's own top files so far, as (size, path): only a file that
    # enters it can be among the largest of the whole scan, so only such a
    # file is sent.  Ties on size go to the larger path, in every worker and
    # in the collector alike, so the lists never depend on timing.
    threshold = top[0][0] if top_n and len(top) >= top_n else (-1 if top_n else None)
    prefix = path if path.endswith("/") else path + "/"
    # os.stat follows symlinks, os.lstat does not; positional-only calls
    # are measurably cheaper than follow_symlinks=... in this loop.
    stat_ = os.stat if follow else os.lstat
    kernfs_devs = cfg.kernfs_devs
    mount_ids = cfg.mount_ids
    check_ids = root_dev is not None or bool(skip_ids) or bool(kernfs_devs)
    S_IFMT, S_IFDIR, S_IFREG = _stat.S_IFMT(0o177777), _stat.S_IFDIR, _stat.S_IFREG
    files = 0
    tops = []
    links = []
    errors = []
    # What views and exports need; the plain scan pays one test per entry.
    detailed = cfg.detailed
    views = cfg.views
    export = cfg.export
    gitignore = cfg.gitignore
    if detailed:
        kinds = {}
        ages = [0] * (3 * len(AGES)) if views else None
        dir_files = []  # min-heap of its largest files: (sort size, other size, name, apparent, disk)
        keep_files = cfg.dir_files if views else 0
        floor = floor_other = -1
        now = cfg.now
        day, week, month, year = (bound for _, bound in AGES[:-1])
        fragment = []
        subinfo = []
        extended = cfg.extended
        own_dev = os.fstat(fd).st_dev if export else None
        if views and dirs:
            kinds[DIRECTORY_KIND] = [1, apparent, disk]
    if gitignore is not None:
        relative_from = len(cfg.roots[root]) + 1 if cfg.roots[root] != "/" else 1
    for name in names:
        if exclude is not None and exclude(prefix + name):
            if detailed and export:
                fragment.append(",\n" + excluded_entry(name, "pattern"))
            continue
        try:
            st = stat_(name, dir_fd=fd)
        except OSError as exc:
            # A vanished entry, or a dangling symlink under -L: du reports
            # it and counts nothing.
            errors.append((prefix + name, OP_ACCESS, exc.strerror))
            if detailed and export:
                fragment.append(",\n" + unreadable_entry(name))
            continue
        if check_ids:
            if root_dev is not None and st.st_dev != root_dev:
                if detailed and export:
                    fragment.append(",\n" + excluded_entry(name, "otherfs"))
                continue
            if skip_ids and skip_ids.get((st.st_dev, st.st_ino), root) < root:
                continue
            if kernfs_devs and st.st_dev in kernfs_devs:
                if detailed and export:
                    fragment.append(",\n" + excluded_entry(name, "kernfs"))
                continue
        is_dir = st.st_mode & S_IFMT == S_IFDIR
        if gitignore is not None and gitignore((prefix + name)[relative_from:], is_dir):
            if detailed and export:
                fragment.append(",\n" + excluded_entry(name, "pattern"))
            continue
        if is_dir:
            child_guard = guard
            if mount_ids and (st.st_dev, st.st_ino) in mount_ids:
                if (st.st_dev, st.st_ino) in guard:
                    continue  # a bind mount of an ancestor: a cycle
                child_guard = guard + ((st.st_dev, st.st_ino),)
            if follow:
                subdirs.append((prefix + name, depth + 1, root, st.st_size, st.st_blocks * 512,
                                child_guard, st.st_dev, st.st_ino))
            else:
                subdirs.append((prefix + name, depth + 1, root, st.st_size, st.st_blocks * 512,
                                child_guard))
            if detailed and export:
                subinfo.append((name, entry_info(name, st, extended=extended,
                                                 dev=st.st_dev if st.st_dev != own_dev else None)))
            continue
        size = st.st_size
        blocks = st.st_blocks * 512
        if detailed:
            if export:
                fragment.append(",\n" + entry_info(name, st, extended=extended) + "}")
            if views:
                # Regular files are grouped by their raw suffix here, and the
                # suffixes turned into kinds once per directory (see below).
                if st.st_mode & S_IFMT == S_IFREG:
                    dot = name.rfind(".")
                    kind = name[dot:] if dot > 0 else ""
                else:
                    kind = kind_of(name, st.st_mode)
                # age_slot(), inlined: this runs for every file.
                age = now - st.st_mtime
                bucket = (0 if age < day else 3 if age < week else 6 if age < month
                          else 9 if age < year else 12)
        if dedup_all or (st.st_nlink > 1 and not count_links):
            # Counted (once) by the collector, which sees every link.
            if detailed and views:
                links.append((st.st_dev, st.st_ino, size, blocks, name,
                              kind if kind[:1] == "(" else suffix_kind(kind), bucket))
            else:
                links.append((st.st_dev, st.st_ino, size, blocks, name, None, None))
            continue
        files += 1
        apparent += size
        disk += blocks
        if detailed and views:
            slot = kinds.get(kind)
            if slot is None:
                kinds[kind] = [1, size, blocks]
            else:
                slot[0] += 1
                slot[1] += size
                slot[2] += blocks
            ages[bucket] += 1
            ages[bucket + 1] += size
            ages[bucket + 2] += blocks
            if keep_files:
                # Only a file larger than the smallest kept one gets in (by
                # the sort size, then the other): for most files, one or two
                # comparisons of ints.
                if by_apparent:
                    key, other = size, blocks
                else:
                    key, other = blocks, size
                if len(dir_files) < keep_files:
                    heapq.heappush(dir_files, (key, other, name, size, blocks))
                    floor, floor_other = dir_files[0][:2]
                elif key > floor or (key == floor and other > floor_other):
                    heapq.heapreplace(dir_files, (key, other, name, size, blocks))
                    floor, floor_other = dir_files[0][:2]
        if threshold is not None:
            key = size if by_apparent else blocks
            if key >= threshold:
                item = (key, prefix + name)
                if len(top) < top_n:
                    heapq.heappush(top, item)
                elif item > top[0]:
                    heapq.heapreplace(top, item)
                else:
                    continue
                tops.append((size, blocks, name))
                if len(top) >= top_n:
                    threshold = top[0][0]
    detail = None
    if detailed:
        if kinds:
            kinds = merge_suffixes(kinds)
        detail = (kinds or None, ages, [(f[3], f[4], f[2]) for f in dir_files] or None,
                  "".join(fragment) or None, subinfo or None, 0)
    return (path, depth, root, dirs, files, apparent, disk, tops, links, errors, part, detail)
