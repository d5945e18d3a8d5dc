"""The scan engine: a walker, a pool of workers and a collector process.

Data flow::

                    directory batches, big-directory chunks
                    (apply_async, each task with an id)
    +------------+  -------------------------------->  +------------------+
    |   walker   |                                     |   worker pool    |
    | (caller's  |  <--------------------------------  | multiprocessing. |
    |  process)  |   directories left, chunks          |   Pool (N procs) |
    +------------+   (task results)                    +------------------+
      |   ^   ^                                            |         |
      |   |   |  pid of the worker running each task       |         |
      |   |   +------------ shared slots <-----------------+         |
      |   |                                  one message a task:     |
      |   | ids of the messages due          per-directory records   |
      |   | (pipe)                                                   |
      |   v                     multiprocessing.Queue <--------------+
      | +-----------------+            |
      | | collector proc. | <----------+
      | | totals, heaps,  |   running counts    +----------------+
      | | hard links,     |-------------------->| progress (CLI) |
      | | errors          |   (shared memory,   +----------------+
      | +-----------------+    sampled by the walker)
      |        | ScanResult (pipe), after draining every message due
      v        v
    scan() returns the ScanResult

The walker owns the frontier of directories still to read and keeps at most
two tasks per worker in flight.  Workers read directories, stat entries
(never following symlinks unless ``dereference``), go on into what they
find for a few milliseconds, and send per-directory records to the
collector, which alone owns every total.  When the walk is over the walker
tells the collector which messages to wait for, so it knows when it has
them all, whatever the order they arrive in.  A worker that dies costs the
pool (see :class:`PoolBackend`), never a byte or a hang.

Small trees never pay for processes: the walker first runs the same worker
code in its own process for a few tens of milliseconds, and starts the pool
and the collector only if work is left, handing over what it has counted so
far.  The pool sits behind the small :class:`Backend` seam (``fill`` it
from the frontier, take the ``next_result``, ``check`` for lost work), so
another executor can run the same walker.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_mod
import signal
import stat as _stat
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable

from ._version import __version__
from .collect import Collector
from .errors import CannotAccess, EngineFailure, InvalidOption
from .exclude import ExcludeMatcher, GitignoreMatcher
from .fs import default_workers, kernfs_devices, mount_point_ids, mounts
from .result import ScanResult
from .ncdu import entry_info, write_export
from .kinds import AGES, age_slot, kind_of
from .worker import (DESCEND_S, OP_ACCESS, SPLIT_AT, WorkerConfig, exit_with_parent, init_worker,
                     scan_tasks)
from .worker import release as release_worker

# How long the walker works alone before starting processes.  A tree that
# fits in this budget is done faster than a pool could start.  The
# environment can change it (0 always starts the pool: the tests use that).
INLINE_BUDGET_S = 0.05
# Directories per task: enough to amortise a round trip through the pool,
# few enough that every worker gets a share of a narrow frontier.
MAX_BATCH = 64
# How often progress is sampled; never per file.
PROGRESS_INTERVAL_S = 0.1
# No wait in the engine is unbounded.  Once every task has returned, its
# message is already on its way: a collector that takes none for this long
# while some are due has lost one (a worker killed while writing it), and
# the scan fails instead of hanging.
MESSAGE_TIMEOUT_S = 5.0
# How often the same task may be lost with its worker before the scan gives
# up: once is a kill or the OOM killer; every time is the task itself.
MAX_ATTEMPTS = 3
# How long Pool.terminate() may take before its workers are killed outright.
STOP_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class ScanProgress:
    """Counts so far, handed to the ``progress`` callback a few times a second."""

    files: int
    dirs: int
    size: int
    disk_usage: int
    elapsed_s: float


def _normalize(path) -> str:
    path = os.fsdecode(os.fspath(path))
    while len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def _check_options(workers, top, max_depth):
    for name, value, low in (("workers", workers, 1), ("top", top, 0), ("max_depth", max_depth, 0)):
        if value is None and name != "top":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InvalidOption(f"{name} must be an integer >= {low}, not {value!r}")


class _Frontier:
    """The walker's state: work not yet handed out, and what came back."""

    def __init__(self, dereference):
        self.pending = deque()
        self.chunks = deque()
        # Under -L a directory can be reached through several symlinks, and
        # a link to an ancestor makes a loop: each directory is entered once
        # (du's "hash_all"), so a loop is skipped, never followed.
        self.seen_dirs = set() if dereference else None

    def absorb(self, result):
        _, subdirs, chunks = result
        seen = self.seen_dirs
        if seen is None:
            self.pending.extend(subdirs)
        else:
            for path, depth, root, apparent, disk, guard, dev, ino in subdirs:
                if (dev, ino) not in seen:
                    seen.add((dev, ino))
                    self.pending.append((path, depth, root, apparent, disk, guard))
        self.chunks.extend(chunks)

    def __bool__(self):
        return bool(self.pending or self.chunks)


class Backend:
    """The seam between the walker and whatever runs the worker code."""

    inflight = 0

    def fill(self, frontier: _Frontier) -> None:
        """Hand out work from ``frontier`` while there is capacity."""
        raise NotImplementedError

    def next_result(self, timeout: float):
        """One task's ``(messages, subdirs, chunks)``, or None after ``timeout``."""
        raise NotImplementedError

    def check(self) -> None:
        """Called when no result came for a while: find lost work, or raise."""


class InlineBackend(Backend):
    """Runs worker code in the calling process, one task at a time."""

    def __init__(self):
        self._result = None

    def fill(self, frontier):
        if self._result is not None:
            return
        if frontier.chunks:
            self._result = scan_tasks((), (frontier.chunks.popleft(),))[1:]
        elif frontier.pending:
            self._result = scan_tasks((frontier.pending.popleft(),))[1:]

    def next_result(self, timeout):
        result, self._result = self._result, None
        return result


def _process_alive(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel directly
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in (b"Z", b"X")


class PoolBackend(Backend):
    """A ``multiprocessing.Pool`` fed with directory batches and chunks.

    CPython's Pool waits forever for a task whose worker died (gh-66587),
    and a worker killed while it held one of the pool's locks (an idle
    worker holds the task queue's while it waits) wedges the whole pool.
    So every task has an id and a slot in shared memory where the worker
    running it writes its pid.  When a worker is found dead, the pool is
    replaced by a new one and every task still out is given to it again;
    a task lost MAX_ATTEMPTS times (a directory that kills whoever reads
    it) ends the scan.  The collector
    takes each record once, so work that a lost attempt had already
    delivered is not counted twice.
    """

    def __init__(self, ctx, workers, config, sink_queue):
        self.workers = workers
        self.capacity = 2 * workers
        self._ctx = ctx
        self._config = config
        self._sink_queue = sink_queue
        self.pool = self._new_pool()
        self._done = queue_mod.SimpleQueue()
        self._stopping = []  # threads stopping replaced pools
        self._free = list(range(self.capacity))
        self._tasks = {}  # task id -> (slot, arguments, attempt)
        self._next_id = 0
        # Ids of the tasks whose message the collector must wait for.
        self.delivered = set()

    @property
    def inflight(self):
        return len(self._tasks)

    def fill(self, frontier):
        pending = frontier.pending
        while self._free and (pending or frontier.chunks):
            if frontier.chunks:
                # A very large directory: its chunks go to every worker.
                self._submit(((), (frontier.chunks.popleft(),)), 1)
                continue
            size = max(1, min(MAX_BATCH, len(pending) // self.capacity))
            self._submit(([pending.popleft() for _ in range(min(size, len(pending)))], ()), 1)

    def _submit(self, arguments, attempt):
        task_id = self._next_id
        self._next_id += 1
        slot = self._free.pop()
        self.slots[slot] = 0
        self._tasks[task_id] = (slot, arguments, attempt)
        done = self._done.put
        self.pool.apply_async(scan_tasks, (*arguments, task_id, slot), callback=done,
                              error_callback=lambda exc: done((task_id, exc)))

    def next_result(self, timeout):
        try:
            item = self._done.get(timeout=timeout)
        except queue_mod.Empty:
            return None
        task_id = item[0]
        if len(item) == 2:
            raise EngineFailure(f"a worker failed: {item[1]!r}") from item[1]
        task = self._tasks.pop(task_id, None)
        if task is None:
            return None  # given up for lost, then delivered after all: done again already
        self._free.append(task[0])
        if item[1]:
            self.delivered.add(task_id)
        return item[1:]

    def _new_pool(self):
        self._known_pids = set()
        self._waiting_since = None
        # New slots too: a worker of an old pool may still write its pid into
        # its old slot before it is stopped.
        self.slots = self._ctx.RawArray("i", self.capacity)
        # The queue reaches the workers through the initializer: a Queue may
        # only be passed to a process when it starts, never as a task argument.
        return self._ctx.Pool(self.workers, initializer=init_worker,
                              initargs=(self._config, self._sink_queue.put, self.slots))

    def check(self):
        # A dead idle worker loses no task but may hold the task queue's lock,
        # so every death counts, not only those of workers with a task.  Pool
        # removes dead workers from its (private) list quickly: remember them.
        self._known_pids.update(p.pid for p in self.pool._pool if p.pid)
        self._known_pids.update(self.slots[slot] for slot, _, _ in self._tasks.values())
        self._known_pids.discard(0)
        dead = {pid for pid in self._known_pids if not _process_alive(pid)}
        # Last resort: tasks waiting and none started for a long while means
        # no worker can take one (one died unseen, holding the queue's lock).
        waiting = bool(self._tasks) and not any(self.slots[slot] for slot, _, _ in self._tasks.values())
        if not waiting:
            self._waiting_since = None
        elif self._waiting_since is None:
            self._waiting_since = time.monotonic()
        wedged = waiting and time.monotonic() - self._waiting_since > MESSAGE_TIMEOUT_S
        if not dead and not wedged:
            return
        lost = {task_id for task_id, (slot, _, _) in self._tasks.items()
                if self.slots[slot] in dead}
        for task_id in lost:
            if self._tasks[task_id][2] >= MAX_ATTEMPTS:
                raise EngineFailure(
                    f"workers died {MAX_ATTEMPTS} times on the same directories; giving up")
        old, self.pool = self.pool, self._new_pool()
        # Stopped aside, so the walk goes on meanwhile; terminate() waits for it.
        stopping = threading.Thread(target=_stop_pool, args=(old,), name="sizescan-pool-stop",
                                    daemon=True)
        stopping.start()
        self._stopping.append(stopping)
        stranded = list(self._tasks.items())
        self._tasks.clear()
        self._free = list(range(self.capacity))
        for task_id, (_, arguments, attempt) in stranded:
            self._submit(arguments, attempt + 1 if task_id in lost else attempt)

    def terminate(self):
        """Stop the workers, those of replaced pools too.  Also the normal
        end: Pool.close() and join() would wait forever for a task lost with
        a dead worker."""
        _stop_pool(self.pool)
        for stopping in self._stopping:
            stopping.join()


def _stop_pool(pool, timeout=STOP_TIMEOUT_S):
    """Terminate ``pool``, killing its workers outright if that hangs."""
    stopped = threading.Event()

    def stop():
        pool.terminate()
        pool.join()
        stopped.set()

    threading.Thread(target=stop, name="sizescan-pool-terminate", daemon=True).start()
    if stopped.wait(timeout):
        return
    # terminate() waits on the task queue's lock, which a killed worker may
    # hold forever.  Kill the workers ourselves (Pool has no public way to
    # list them); the stuck thread is a daemon and holds nothing.
    for process in pool._pool:
        if process.exitcode is None:
            process.kill()
    for process in pool._pool:
        process.join(timeout)


def _collector_main(sink_queue, conn, collector, counters, version):
    """The collector process: drain every message, then send the result.

    The walker's word that the walk is over (the ids of every message due)
    comes through ``conn``, not the queue: a worker killed while writing to
    the queue can leave its lock held, and that word must still arrive.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the CLI's handler, if forked
    exit_with_parent()  # never collect on as an orphan
    expected = None
    while expected is None or not expected <= collector.received:
        if expected is None and conn.poll():
            expected = conn.recv()
        try:
            message = sink_queue.get(timeout=PROGRESS_INTERVAL_S)
        except queue_mod.Empty:
            continue
        collector.take(message)
        counters[0] = collector.files
        counters[1] = collector.dirs_seen
        counters[2] = collector.apparent_bytes
        counters[3] = collector.disk_bytes
        counters[4] = len(collector.received)
    conn.send(collector.result(version))
    conn.close()


class _ProgressSampler:
    """Calls ``progress`` at most every PROGRESS_INTERVAL_S with the counts so far.

    ``counts`` is the in-process Collector while the walker works alone, then
    the collector process's shared counters: reading them costs the scan
    nothing, and nothing is sent per file.
    """

    def __init__(self, progress, counts, started):
        self.progress = progress
        self.counts = counts
        self.started = started
        self.last = 0.0

    def __call__(self):
        if self.progress is None:
            return
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL_S:
            return
        self.last = now
        c = self.counts
        if isinstance(c, Collector):
            counts = (c.files, c.dirs_seen, c.apparent_bytes, c.disk_bytes)
        else:
            counts = tuple(c[:4])
        self.progress(ScanProgress(*counts, elapsed_s=now - self.started))


def _walk(backend, frontier, tick, deadline=None, check=None):
    """Feed ``backend`` until no work is left; False if ``deadline`` came first.

    ``check`` runs every PROGRESS_INTERVAL_S, busy or not: it raises when
    the scan cannot go on, and finds lost work while other work flows.
    """
    checked = time.monotonic()
    while frontier or backend.inflight:
        if deadline is not None and time.monotonic() > deadline:
            return False
        backend.fill(frontier)
        result = backend.next_result(PROGRESS_INTERVAL_S)
        if result is not None:
            frontier.absorb(result)
        if check is not None and time.monotonic() - checked >= PROGRESS_INTERVAL_S:
            check()
            checked = time.monotonic()
        tick()
    return True


def _roots_inside_earlier(roots_stat):
    """Indexes of PATHs already inside an earlier PATH (du counts them there)."""
    ids = {}
    skipped = set()
    for idx, (path, st) in enumerate(roots_stat):
        if st is None:
            continue
        probe = os.path.realpath(path)
        while True:
            try:
                pst = os.stat(probe)
            except OSError:
                break
            earlier = ids.get((pst.st_dev, pst.st_ino))
            if earlier is not None:
                skipped.add(idx)
                break
            if probe == "/":
                break
            probe = os.path.dirname(probe)
        if idx not in skipped:
            ids.setdefault((st.st_dev, st.st_ino), idx)
    return skipped, ids


def scan(
    paths,
    *,
    workers: int | None = None,
    top: int = 10,
    max_depth: int | None = None,
    apparent: bool = False,
    one_file_system: bool = False,
    dereference: bool = False,
    exclude: Iterable[str] = (),
    exclude_kernfs: bool = False,
    count_links: bool = False,
    progress: Callable[[ScanProgress], None] | None = None,
    start_method: str | None = None,
    views: bool = False,
    export=None,
    extended: bool = False,
    gitignore: Iterable[str] = (),
    exclude_caches: bool = False,
) -> ScanResult:
    """Measure the disk usage of ``paths`` (one path, or a list of them).

    The totals equal GNU du's: ``total_size`` is ``du -sb`` and
    ``disk_usage`` is ``du -sB1``, hard links counted once per scan (each
    link with ``count_links``).  ``top`` bounds the largest files and
    directories kept; ``max_depth`` limits which directories are listed
    (never what is counted); ``apparent`` sorts by apparent size instead of
    disk usage.  ``one_file_system``, ``dereference`` (follow symlinks; a
    loop is entered once) and ``exclude`` (du's ``--exclude`` globs) mean
    what they mean to du; ``exclude_kernfs`` skips pseudo filesystems
    (proc, sysfs, cgroup...) below the PATHs; ``gitignore`` takes lines in
    gitignore syntax, matched relative to each PATH; ``exclude_caches``
    skips directories holding a valid ``CACHEDIR.TAG``.  Excluded entries
    are counted nowhere.

    ``views=True`` keeps what :meth:`ScanResult.tree`, ``by_type``,
    ``by_age`` and ``directories`` need (per directory, never per file:
    each directory's ``top`` largest files).  ``export`` (a path, or a
    binary file open for writing) receives the whole tree in ncdu's JSON
    export format, streamed, with owner, mode and mtime if ``extended``;
    it takes a single directory PATH.

    ``workers`` defaults to one per CPU on local disks and more on network
    and FUSE filesystems (see :func:`sizescan.fs.default_workers`).
    ``progress`` is called with a :class:`ScanProgress` a few times a
    second.  ``start_method`` picks the multiprocessing context ("fork",
    "forkserver", "spawn"; default: the platform's).  Under spawn and
    forkserver, call ``scan`` from under ``if __name__ == "__main__":``.

    Problems with single paths are in ``result.errors``; only unusable
    input raises (:class:`InvalidOption`, :class:`CannotAccess`), and a
    broken engine (:class:`EngineFailure`: workers that die on the same
    directories again and again, a dead collector).
    """
    started = time.monotonic()
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    paths = [_normalize(p) for p in paths]
    if not paths:
        raise InvalidOption("no path given")
    _check_options(workers, top, max_depth)
    if start_method is not None and start_method not in multiprocessing.get_all_start_methods():
        raise InvalidOption(f"unknown start method {start_method!r}")
    exclude = tuple(exclude)
    matcher = ExcludeMatcher(exclude) if exclude else None
    gitignore = tuple(gitignore)
    if export is not None and len(paths) != 1:
        raise InvalidOption("an export holds one tree: give a single PATH")
    if export is not None and os.path.exists(paths[0]) and not os.path.isdir(paths[0]):
        raise InvalidOption(f"cannot export {paths[0]!r}: not a directory")

    spool = out = None
    if export is not None:
        # Opened first: a scan of hours must not end in "cannot write".
        out = export if hasattr(export, "write") else open(export, "wb")
        fd, spool = tempfile.mkstemp(prefix="sizescan-export-")
        os.close(fd)
    try:
        result = _scan(paths, started, workers, top, max_depth, apparent, one_file_system,
                       dereference, matcher, exclude_kernfs, count_links, progress, start_method,
                       views, spool, extended, gitignore, exclude_caches)
        if out is not None:
            index = result.export
            if index.root_info is None:
                raise InvalidOption(f"cannot export {paths[0]!r}: not a directory")
            write_export(index, paths[0], index.root_info, out, progver=__version__,
                         timestamp=int(time.time()))
            out.flush()
    finally:
        if spool is not None:
            os.unlink(spool)
        if out is not None and out is not export:
            out.close()
    result.export = None
    return result


def _scan(paths, started, workers, top, max_depth, apparent, one_file_system, dereference,
          matcher, exclude_kernfs, count_links, progress, start_method, views, spool, extended,
          gitignore, exclude_caches):
    collector = Collector(paths, top=top, apparent=apparent, max_depth=max_depth, views=views,
                          dir_files=top, spool=spool)
    frontier = _Frontier(dereference)
    roots_stat = []
    for path in paths:
        try:
            if not path:
                raise FileNotFoundError(2, "No such file or directory")
            st = os.stat(path, follow_symlinks=dereference)
        except OSError as exc:
            if len(paths) == 1:
                raise CannotAccess(path, exc.strerror) from None
            collector.errors.append((path, OP_ACCESS, exc.strerror))
            st = None
        roots_stat.append((path, st))

    skipped, skip_ids = _roots_inside_earlier(roots_stat) if len(paths) > 1 else (set(), None)
    collector.skipped_roots = skipped
    table = mounts()
    mount_ids = mount_point_ids([p for p, st in roots_stat if st is not None], table)
    root_records = []
    root_info = None
    now = time.time()
    for idx, (path, st) in enumerate(roots_stat):
        if st is None or idx in skipped or (matcher is not None and matcher(path)):
            continue
        apparent_size, disk = st.st_size, st.st_blocks * 512
        if _stat.S_ISDIR(st.st_mode):
            ident = (st.st_dev, st.st_ino)
            guard = (ident,) if ident in mount_ids else ()
            frontier.pending.append((path, 0, idx, apparent_size, disk, guard))
            if frontier.seen_dirs is not None:
                frontier.seen_dirs.add(ident)
            if spool is not None:
                # ncdu names the root by its full path.
                root_info = entry_info(os.path.abspath(path), st, extended=extended, dev=st.st_dev)
            continue
        # A PATH that is a file: its record is made here.
        detail = kind = age = None
        if views:
            kind = kind_of(path, st.st_mode)
            age = age_slot(now - st.st_mtime)
        if (dereference or st.st_nlink > 1) and not count_links:
            links = [(st.st_dev, st.st_ino, apparent_size, disk, None, kind, age)]
            root_records.append((path, 0, idx, 0, 0, 0, 0, (), links, (), 0, None))
        else:
            if views:
                ages = [0] * (3 * len(AGES))
                ages[age:age + 3] = [1, apparent_size, disk]
                detail = ({kind: [1, apparent_size, disk]}, ages, None, None, None, 0)
            tops = [(apparent_size, disk, None)]
            root_records.append((path, 0, idx, 0, 1, apparent_size, disk, tops, (), (), 0, detail))
    collector.add(root_records)

    if workers is None:
        workers = default_workers(paths[0], table)
    config = WorkerConfig(
        top=top,
        apparent=apparent,
        count_links=count_links,
        dereference=dereference,
        root_devs=[st.st_dev if st else None for _, st in roots_stat] if one_file_system else None,
        exclude=matcher,
        skip_ids=skip_ids,
        split_at=int(os.environ.get("SIZESCAN_SPLIT_AT", SPLIT_AT)),
        descend_s=float(os.environ.get("SIZESCAN_DESCEND_S", DESCEND_S)),
        mount_ids=mount_ids or None,
        kernfs_devs=kernfs_devices(table) if exclude_kernfs else None,
        roots=paths,
        views=views,
        dir_files=top,
        now=now,
        export=spool is not None,
        extended=extended,
        exclude_caches=exclude_caches,
        gitignore=GitignoreMatcher(gitignore) if gitignore else None,
    )

    # The walker starts alone: the worker code runs here, its records go
    # straight to the local collector.
    init_worker(config, collector.take)
    budget = float(os.environ.get("SIZESCAN_INLINE_BUDGET_S", INLINE_BUDGET_S))
    deadline = None if workers == 1 else started + budget
    tick = _ProgressSampler(progress, collector, started)
    try:
        finished = _walk(InlineBackend(), frontier, tick, deadline)
    finally:
        release_worker()  # the caller's process keeps no directory open
    if finished:
        result = collector.result(__version__)
        result.workers = 1  # the tree was done before a pool was worth starting
    else:
        collector.close_spool()  # the collector process writes from here on
        result = _scan_with_pool(frontier, collector, config, workers, start_method, tick)
        result.workers = workers
    if result.export is not None:
        result.export.root_info = root_info
    result.elapsed_s = time.monotonic() - started
    return result


def collector_lost(proc, conn) -> bool:
    """Whether the collector process is gone and the pipe holds nothing of it.

    A collector that has sent the result exits at once: between the
    walker's last look at the pipe and its look at the process there is
    time for both, so a collector that is gone is lost only if nothing
    waits in the pipe, neither the result nor the end of the pipe (which
    ``recv`` then reports).  Checking the process alone failed 2% of the
    scans whose walker polled without a pause.
    """
    return not proc.is_alive() and not conn.poll()


def _scan_with_pool(frontier, collector, config, workers, start_method, tick):
    ctx = multiprocessing.get_context(start_method)
    sink_queue = ctx.Queue()
    # files, dirs, apparent, disk (for progress), messages received
    counters = ctx.RawArray("q", 5)
    conn, collector_conn = ctx.Pipe()
    proc = ctx.Process(
        target=_collector_main,
        args=(sink_queue, collector_conn, collector, counters, __version__),
        name="sizescan-collector",
        daemon=True,
    )
    proc.start()
    collector_conn.close()
    tick.counts = counters
    backend = None

    def check_collector():
        # During the walk the collector sends nothing: gone is dead.
        if not proc.is_alive():
            raise EngineFailure(f"the collector process died (exit status {proc.exitcode})")

    def check():
        check_collector()
        backend.check()

    try:
        backend = PoolBackend(ctx, workers, config, sink_queue)
        _walk(backend, frontier, tick, check=check)
        due = backend.delivered
        conn.send(due)
        received, since = -1, time.monotonic()
        while not conn.poll(PROGRESS_INTERVAL_S):
            tick()
            if collector_lost(proc, conn):
                raise EngineFailure(f"the collector process died (exit status {proc.exitcode})")
            if counters[4] != received:
                received, since = counters[4], time.monotonic()
            elif received < len(due) and time.monotonic() - since > MESSAGE_TIMEOUT_S:
                raise EngineFailure(
                    f"a worker's results were lost ({len(due) - received} messages never arrived)")
        try:
            result = conn.recv()
        except (EOFError, OSError):  # the pipe closed: the collector is gone
            raise EngineFailure("the collector process died") from None
        # The collector has every message: nothing the workers hold matters.
        backend.terminate()
        backend = None
        proc.join(MESSAGE_TIMEOUT_S)
        sink_queue.close()
        sink_queue.join_thread()
        return result
    finally:
        if backend is not None:
            backend.terminate()
        if proc.is_alive():
            proc.kill()
            proc.join()
        conn.close()
        # On failure nobody reads the queue any more: do not wait to flush it.
        sink_queue.cancel_join_thread()
