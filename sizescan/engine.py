"""The scan engine: a walker, a pool of workers and a collector process.

Data flow::

                    DirTask batches, ChunkTasks
                    (apply_async, each task with an id)
    +------------+  -------------------------------->  +------------------+
    |   walker   |                                     |   worker pool    |
    | (caller's  |  <--------------------------------  | multiprocessing. |
    |  process)  |   TaskResult: directories left,     |   Pool (N procs) |
    +------------+   chunks                            +------------------+
      |   ^   ^                                            |         |
      |   |   |  each worker's pid, and the pid running    |         |
      |   |   +--- each task (shared memory) <-------------+         |
      |   |                                  one Message a task:     |
      |   | ids of the messages due          per-directory Records   |
      |   | (pipe)                                                   |
      |   v                     multiprocessing.Queue <--------------+
      | +-----------------+            |
      | | collector proc. | <----------+
      | | totals, heaps,  |   running counts    +----------------+
      | | hard links,     |-------------------->| progress (CLI) |
      | | errors, spool   |   (shared memory,   +----------------+
      | +-----------------+    sampled by the walker)
      |        | ScanResult and spool (pipe), after every message due
      v        v
    engine.run() returns them to api.scan()

Who sends what, and waits for what:

* **walker** (``run``, ``_walk``, in the caller's process): owns the
  frontier of directories still to read.  Sends tasks to the pool, at most
  two per worker in flight; waits for their TaskResults (at most
  PROGRESS_INTERVAL_S at a time, then samples progress and checks on the
  workers and the collector).  When the walk is over, sends the collector
  the set of task ids whose message is due, then waits for the result: no
  wait is unbounded, and a silence means something is lost, never slow.
* **worker** (``worker.Scanner``, in each pool process): waits for a task;
  reads its directories, stats every entry, goes on into what it finds for
  a few milliseconds; sends one Message of Records to the collector's queue
  and returns a TaskResult to the walker.  Writes its pid into shared
  memory when it starts and when it takes a task.
* **collector** (``_collector_main`` around ``collect.Collector``): waits on
  its queue; takes each Record once (work redone after a death may arrive
  twice), owns every total and hands each record to the export's spool;
  publishes running counts in shared memory.  Once it has every message
  the walker named, sends the ScanResult and the spool back and exits.
* **CLI** (``cli``): calls ``scan()``, draws the sampled progress, and
  turns each named failure (``errors``) into one line and an exit status.

A worker that dies costs the pool (see :class:`PoolBackend`), never a byte
or a hang; a collector that dies fails the scan with CollectorDied.

Small trees never pay for processes: the walker first runs the same worker
code in its own process for a few tens of milliseconds, and starts the pool
and the collector only if work is left, handing over what it has counted so
far.  The pool sits behind the small :class:`Backend` seam (``fill`` it
from the frontier, take the ``next_result``, ``check`` for lost work), so
another executor can run the same walker.  The engine knows no output
format: the export's encoder and spool are handed in (see ``api``).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import queue as queue_mod
import select
import signal
import stat as _stat
import sys
import _thread
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

from ._version import __version__
from .collect import Collector
from .errors import CannotAccess, CollectorDied, PoolFailed, ResultsLost, WorkerFailed, WorkersKeptDying
from .fs import (default_io_depth, default_workers, filesystem_type, is_slow_filesystem,
                 kernfs_devices, mount_point_ids, mount_points_inside, mounts, request_latency,
                 types_at)
from .kinds import tally_key
from .records import (OP_ACCESS, Detail, DirTask, Link, PathError, Record, TaskResult,
                      join, root_key)
from .tally import DirTally
from .signals import become_child, held_signals
from .worker import (START_OUT_OF_MEMORY, Scanner, WorkerConfig, exit_with_parent, has_cache_tag,
                     init_worker, scan_tasks)

# Directories per task: enough to amortise a round trip through the pool,
# few enough that every worker gets a share of a narrow frontier.
MAX_BATCH = 64
# How often progress is sampled; never per file.
PROGRESS_INTERVAL_S = 0.1
# How often the idle collector looks for the walker's word that the walk is over.
_WORD_POLL_S = 0.005
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
# How long to let Pool.terminate() reap workers already killed (it may wait
# on a lock one of them held; exit reaps them anyway).
KILLED_WAIT_S = 0.2
# How long a stop waits for the workers it killed to be gone.
REAP_WAIT_S = 0.5
# How long a pool replaced after a death keeps its live workers before
# terminate(): their queue's feeder threads write what they put before the
# pool was given up, and SIGTERM would cut a message in the middle (see
# _Pool.stop).
REPLACED_GRACE_S = 0.5


@dataclass(frozen=True)
class ScanProgress:
    """Counts so far, handed to the ``progress`` callback a few times a second."""

    files: int
    dirs: int
    size: int
    disk_usage: int
    elapsed_s: float


class _Frontier:
    """The walker's state: work not yet handed out, and what came back."""

    def __init__(self, dereference):
        self.pending = deque()  # DirTask
        self.chunks = deque()  # ChunkTask
        # Under -L a directory can be reached through several symlinks, and
        # a link to an ancestor makes a loop: each directory is entered once
        # (du's "hash_all"), so a loop is skipped, never followed.
        self.seen_dirs = set() if dereference else None
        # Under -L the PATHs are walked one after the other, as du does: a
        # PATH that an earlier one reached through a symlink is then
        # skipped, and a later one never takes what an earlier one holds.
        self.waiting_roots = deque()

    def add(self, task: DirTask) -> bool:
        if self.seen_dirs is not None:
            if (task.dev, task.ino) in self.seen_dirs:
                return False
            self.seen_dirs.add((task.dev, task.ino))
        self.pending.append(task)
        return True

    def add_root(self, task: DirTask):
        if self.seen_dirs is None:
            self.pending.append(task)
        else:
            self.waiting_roots.append(task)

    def start_next_root(self) -> bool:
        """Start the next PATH not reached yet; False when none is left."""
        while self.waiting_roots:
            if self.add(self.waiting_roots.popleft()):
                return True
        return False

    def absorb(self, result: TaskResult):
        if self.seen_dirs is None:
            self.pending.extend(result.subdirs)
        else:
            for task in result.subdirs:
                self.add(task)
        self.chunks.extend(result.chunks)

    def __bool__(self):
        return bool(self.pending or self.chunks)


class Backend:
    """The seam between the walker and whatever runs the worker code."""

    inflight = 0

    def fill(self, frontier: _Frontier) -> None:
        """Hand out work from ``frontier`` while there is capacity."""
        raise NotImplementedError

    def next_result(self, timeout: float) -> "TaskResult | None":
        """One task's result, or None after ``timeout``."""
        raise NotImplementedError

    def check(self) -> None:
        """Called when no result came for a while: find lost work, or raise."""


class InlineBackend(Backend):
    """Runs worker code in the calling process, one task at a time."""

    def __init__(self, scanner: Scanner, stop_at=None):
        self._scanner = scanner
        self._stop_at = stop_at  # when the pool takes over (see run)
        self._result = None

    def fill(self, frontier):
        if self._result is not None:
            return
        if frontier.chunks:
            self._result = self._scanner.run((), (frontier.chunks.popleft(),))
        elif frontier.pending:
            # A scanner with threads gets enough directories to keep them busy.
            pending = frontier.pending
            batch = [pending.popleft() for _ in range(min(len(pending), self._scanner.io_depth))]
            self._result = self._scanner.run(batch, stop_at=self._stop_at)

    def next_result(self, timeout):
        result, self._result = self._result, None
        return result


class _Failed(NamedTuple):
    """What the pool's error callback hands the walker: a task that raised."""

    task_id: int
    error: BaseException


_DEAD = -1  # a pid already gone when first seen


class _WorkerWatch:
    """Which of a pool's processes are dead, from their pids alone.

    The workers write their pids into shared memory (see
    worker.init_worker); a pidfd (Linux 5.3+) then tells when each one
    exits, zombie or reaped, and kills it without any risk of hitting a
    reused pid.  Without pidfds, ``kill(pid, 0)``: Pool reaps its dead
    workers within 0.1 s, so a zombie is alive only that long.
    """

    def __init__(self):
        self._fds = {}  # pid -> pidfd, _DEAD, or None (no pidfd here)

    def learn(self, pids):
        for pid in pids:
            if pid and pid not in self._fds:
                try:
                    self._fds[pid] = os.pidfd_open(pid)
                except ProcessLookupError:
                    self._fds[pid] = _DEAD
                except (AttributeError, OSError):
                    self._fds[pid] = None

    def dead(self) -> set:
        gone = set()
        poller = select.poll()
        for pid, fd in self._fds.items():
            if fd == _DEAD:
                gone.add(pid)
            elif fd is None:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    gone.add(pid)
            else:
                poller.register(fd, select.POLLIN)
        by_fd = {fd: pid for pid, fd in self._fds.items() if fd is not None and fd != _DEAD}
        gone.update(by_fd[fd] for fd, _ in poller.poll(0))
        return gone

    def kill_all(self):
        for pid, fd in self._fds.items():
            try:
                if fd is None:
                    os.kill(pid, signal.SIGKILL)
                elif fd != _DEAD:
                    signal.pidfd_send_signal(fd, signal.SIGKILL)
            except OSError:
                pass  # gone already

    def wait_gone(self, timeout):
        """Wait until every watched process has exited (up to ``timeout``):
        killed is not yet gone, and a caller that returns while its workers
        are still dying (seconds, on a loaded machine) leaves them behind."""
        deadline = time.monotonic() + timeout
        while True:
            left = [pid for pid in self._fds if pid not in self.dead()]
            if not left or time.monotonic() >= deadline:
                return
            fds = [self._fds[pid] for pid in left if self._fds[pid] is not None]
            if fds:
                select.select(fds, [], [], max(0.0, min(0.05, deadline - time.monotonic())))
            else:
                time.sleep(0.01)

    def close(self):
        # Each forgotten before it is closed: a signal between the two must
        # not leave it to be closed again (EBADF, or another thread's
        # descriptor that took the number).
        while self._fds:
            _, fd = self._fds.popitem()
            if fd is not None and fd != _DEAD:
                os.close(fd)


# How long a thread may take to start running before it is taken as unable to.
_THREAD_START_S = 2.0


def _threads_to_spare(count: int) -> bool:
    """Whether ``count`` more threads can start now (under ``ulimit -v`` they may not).

    Pool's constructor starts three, after its workers: if one fails, the
    half-made Pool is never cleaned up (CPython keeps no reference we can
    reach) and its threads start workers that exit then waits for.  So the
    threads are tried first; a pool that cannot have them is not started.

    The threads are started bare (``_thread``), each saying it runs by
    releasing a lock made for it, and that is waited for at most
    _THREAD_START_S: a thread whose start fails inside itself (a MemoryError
    before it runs a line of ours) never says so, and
    ``threading.Thread.start`` would wait for it forever (seen under
    ``ulimit -v`` 40 MB).
    """
    release = _thread.allocate_lock()
    release.acquire()
    runs = []

    def wait(running):
        running.release()
        with release:
            pass

    try:
        for _ in range(count):
            running = _thread.allocate_lock()
            running.acquire()
            _thread.start_new_thread(wait, (running,))
            runs.append(running)
        return all(running.acquire(timeout=_THREAD_START_S) for running in runs)
    except (RuntimeError, MemoryError):
        return False
    finally:
        release.release()


class _Pool:
    """One ``multiprocessing.Pool`` and the shared memory its workers report in."""

    def __init__(self, ctx, workers, capacity, config, sink_queue):
        # Pool's three threads and our stopping one.
        if not _threads_to_spare(4):
            raise RuntimeError("can't start new thread")
        # Each task writes the pid running it in its slot; each worker its
        # pid in the registry when it starts (room for the pool's workers
        # and a few that Pool starts to replace dead ones before we see).
        self.task_slots = ctx.RawArray("i", capacity)
        self.registry = ctx.RawArray("i", 2 * workers + 4)
        # Set before the workers are stopped.  Pool replaces a worker that
        # dies until terminate() (in its own thread) says otherwise, so one
        # we kill may be replaced after we last read the registry, by a
        # worker terminate() then never reaches (it waits on a lock the
        # killed one held): such a worker sees this flag once it has
        # registered, and exits.  A worker already at work sends no more
        # messages (worker._PoolSink): its tasks are done again elsewhere.
        self.stopping = ctx.RawValue("b", 0)
        # Set by a worker that could not start (worker.init_worker).
        self.start_failed = ctx.RawValue("b", 0)
        self._hurry, self._kill = threading.Event(), False
        self.watch = _WorkerWatch()
        # The queue reaches the workers through the initializer: a Queue may
        # only be passed to a process when it starts, never as a task argument.
        self.pool = ctx.Pool(workers, initializer=init_worker,
                             initargs=(config, sink_queue, self.task_slots, self.registry,
                                       ctx.Lock(), self.stopping, self.start_failed))

    def learn(self):
        self.watch.learn(self.registry)
        self.watch.learn(self.task_slots)

    def hurry(self, kill: bool) -> None:
        """End a stop's grace now (and kill its workers with ``kill``)."""
        self._kill = kill
        self._hurry.set()

    def stop(self, kill=False, timeout=STOP_TIMEOUT_S, grace=0.0):
        """Stop the pool: terminate it, and kill its workers outright if that
        hangs, or at once with ``kill`` (an interrupted or failed scan: nothing
        they hold matters, and Ctrl-C must not wait).

        With ``grace``, the live workers are first left that long (or until
        :meth:`hurry`) to write what they have put: SIGTERM kills a worker
        wherever its queue's feeder thread is, and one cut in the middle of
        a message holds the lock every worker writes under for good.  Seen
        in CI under load, where feeders wait on a full pipe, holding it.
        """
        stopped = threading.Event()
        self.stopping.value = 1
        if grace and self._hurry.wait(grace):
            kill = kill or self._kill

        def terminate():
            self.pool.terminate()
            self.pool.join()
            stopped.set()

        # In a thread of its own: terminate() waits on the task queue's lock,
        # which a killed worker may hold forever (it is a daemon, and holds
        # nothing of ours when abandoned).  Once the workers are killed there
        # is nothing left to wait for: it only reaps them, and so does exit.
        try:
            threading.Thread(target=terminate, name="sizescan-pool-terminate", daemon=True).start()
        except RuntimeError:
            # No thread to spare (ulimit -v).  Killing first could leave the
            # queue's lock held, and Pool's own threads would start new workers
            # that exit then waits for: terminate here, the workers alive.
            terminate()
            self.watch.close()
            return
        if kill:
            self.learn()
            self.watch.kill_all()
        if not stopped.wait(KILLED_WAIT_S if kill else timeout) and not kill:
            self.learn()
            self.watch.kill_all()
            stopped.wait(KILLED_WAIT_S)
        if kill or not stopped.is_set():
            # Killed is not yet gone: on a loaded machine a worker takes a
            # while to die, and a caller that returns first leaves it behind
            # (multiprocessing.active_children() still lists it).  Bounded
            # well under Ctrl-C's second: a worker inside a request to a
            # FUSE server dies only when the request ends.
            deadline = time.monotonic() + REAP_WAIT_S
            self.learn()  # a worker Pool started in the meantime sees `stopping` and exits
            self.watch.wait_gone(REAP_WAIT_S)
            # The workers we never learnt of (one that missed the registry's
            # lock, under load) are terminate()'s to end.
            stopped.wait(max(0.0, deadline - time.monotonic()))
        self.watch.close()


class PoolBackend(Backend):
    """A ``multiprocessing.Pool`` fed with directory batches and chunks.

    CPython's Pool waits forever for a task whose worker died (gh-66587),
    and a worker killed while it held one of the pool's locks (an idle
    worker holds the task queue's while it waits) wedges the whole pool.
    So every task has an id and a slot in shared memory where the worker
    running it writes its pid, and every worker registers its pid when it
    starts.  When a worker is found dead, the pool is replaced by a new one
    and every task still out is given to it again; a task lost MAX_ATTEMPTS
    times (a directory that kills whoever reads it) ends the scan.  The
    collector takes each record once, so work that a lost attempt had
    already delivered is not counted twice.
    """

    def __init__(self, ctx, workers, config, sink_queue):
        self.workers = workers
        self.capacity = 2 * workers
        self._ctx = ctx
        self._config = config
        self._sink_queue = sink_queue
        self._done = queue_mod.SimpleQueue()
        self._stopping = []  # (thread, pool): replaced pools being stopped
        self._free = list(range(self.capacity))
        self._tasks = {}  # task id -> (slot, arguments, attempt)
        self._next_id = 0
        # Ids of the tasks whose message the collector must wait for.
        self.delivered = set()
        # Workers seen dead: only a death can lose a message already sent.
        self.deaths = 0
        self._pool = None

    def start(self):
        """Start a pool.  Apart from the constructor, so that the caller holds
        the backend (and stops it) whatever happens while the pool starts."""
        self._waiting_since = None
        try:
            with held_signals():
                # Owned before a signal can arrive: a Pool dropped on an
                # exception is finalized by the garbage collector, which calls
                # terminate() here, unbounded (seen hanging for good).
                self._pool = _Pool(self._ctx, self.workers, self.capacity, self._config,
                                   self._sink_queue)
        except (OSError, RuntimeError, MemoryError) as exc:  # descriptors, threads, memory
            raise PoolFailed(f"cannot start the worker pool: "
                             f"{getattr(exc, 'strerror', None) or exc}") from None

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
            if self._config.io_depth > 1:
                # A worker's threads each take a directory of the batch: the
                # frontier is shared among the workers at once, not drip-fed
                # a directory or two per task while threads wait.
                size = min(max(MAX_BATCH, self._config.io_depth), -(-len(pending) // self.workers))
            else:
                size = max(1, min(MAX_BATCH, len(pending) // self.capacity))
            self._submit(([pending.popleft() for _ in range(min(size, len(pending)))], ()), 1)

    def _submit(self, arguments, attempt):
        task_id = self._next_id
        self._next_id += 1
        slot = self._free.pop()
        self._pool.task_slots[slot] = 0
        self._tasks[task_id] = (slot, arguments, attempt)
        done = self._done.put
        self._pool.pool.apply_async(scan_tasks, (*arguments, task_id, slot), callback=done,
                                    error_callback=lambda exc: done(_Failed(task_id, exc)))

    def next_result(self, timeout):
        try:
            item = self._done.get(timeout=timeout)
        except queue_mod.Empty:
            return None
        if isinstance(item, _Failed):
            if isinstance(item.error, MemoryError):
                raise MemoryError("a worker ran out of memory") from None
            raise WorkerFailed(f"a worker failed: {item.error!r}") from item.error
        task = self._tasks.pop(item.task_id, None)
        if task is None:
            return None  # given up for lost, then delivered after all: done again already
        self._free.append(task[0])
        if item.sent:
            self.delivered.add(item.task_id)
        return item

    def check(self):
        failed = self._pool.start_failed.value
        if failed == START_OUT_OF_MEMORY:
            raise MemoryError("worker processes ran out of memory as they started")
        if failed:
            raise PoolFailed("cannot start the worker pool: its workers failed as they started")
        # A dead idle worker loses no task but may hold the task queue's lock,
        # so every death counts, not only those of workers with a task.
        slots = self._pool.task_slots
        self._pool.learn()
        dead = self._pool.watch.dead()
        # Last resort: tasks waiting and none started for a long while means
        # no worker can take one (one died unseen, holding the queue's lock).
        waiting = bool(self._tasks) and not any(slots[slot] for slot, _, _ in self._tasks.values())
        if not waiting:
            self._waiting_since = None
        elif self._waiting_since is None:
            self._waiting_since = time.monotonic()
        wedged = waiting and time.monotonic() - self._waiting_since > MESSAGE_TIMEOUT_S
        if not dead and not wedged:
            return
        self.deaths += len(dead) or 1  # wedged: one died unseen, holding a lock
        lost = {task_id for task_id, (slot, _, _) in self._tasks.items() if slots[slot] in dead}
        if any(self._tasks[task_id][2] >= MAX_ATTEMPTS for task_id in lost):
            raise WorkersKeptDying(
                f"workers died {MAX_ATTEMPTS} times on the same directories; giving up")
        old, self._pool = self._pool, None
        # Stopped aside, so the walk goes on meanwhile; terminate() waits for it.
        stopping = threading.Thread(target=old.stop, kwargs={"grace": REPLACED_GRACE_S},
                                    name="sizescan-pool-stop", daemon=True)
        stopping.start()
        self._stopping.append((stopping, old))
        self.start()
        stranded = list(self._tasks.items())
        self._tasks.clear()
        self._free = list(range(self.capacity))
        for task_id, (_, arguments, attempt) in stranded:
            self._submit(arguments, attempt + 1 if task_id in lost else attempt)

    def any_died(self) -> bool:
        """Whether a worker of this scan has died, now or before."""
        self._pool.learn()
        return bool(self.deaths or self._pool.watch.dead())

    def terminate(self, kill=False):
        """Stop the workers, those of replaced pools too (at once with ``kill``).
        Also the normal end: Pool.close() and join() would wait forever for a
        task lost with a dead worker."""
        # Replaced pools' grace ends: the scan is over, or given up.
        for _, old in self._stopping:
            old.hurry(kill)
        if self._pool is not None:
            self._pool.stop(kill)
            self._pool = None
        for stopping, _ in self._stopping:
            stopping.join(3 * STOP_TIMEOUT_S)


class _Counters:
    """The collector's running counts in shared memory.

    The walker samples them for the progress bar and to see messages
    arrive: reading them costs the scan nothing, and nothing is sent per
    file.
    """

    def __init__(self, ctx):
        self._array = ctx.RawArray("q", 5)

    def publish(self, collector: Collector):
        a = self._array
        a[0], a[1], a[2], a[3] = collector.progress_counts()
        a[4] = len(collector.received)

    def progress_counts(self):
        return tuple(self._array[:4])

    @property
    def received(self) -> int:
        """How many messages the collector has taken."""
        return self._array[4]


def _collector_main(sink_queue, conn, collector, counters, version):
    """The collector process: drain every message, then send the result.

    The walker's word that the walk is over (the ids of every message due)
    comes through ``conn``, not the queue: a worker killed while writing to
    the queue can leave its lock held, and that word must still arrive.
    """
    become_child()
    exit_with_parent()  # never collect on as an orphan
    # The collector only adds up: its dicts and lists grow to millions of
    # objects that form no cycles, and the cyclic GC would walk them over and
    # over as they grow.  The process ends once the result is sent.
    gc.disable()
    expected = None
    try:
        while expected is None or not expected <= collector.received:
            if expected is None and conn.poll():
                expected = conn.recv()
                continue  # everything due may have come already
            try:
                # Until the walker's word comes, in short waits: it comes
                # through conn, which a wait on the queue alone would notice
                # only a PROGRESS_INTERVAL_S later (at the end of every pool scan).
                message = sink_queue.get(timeout=PROGRESS_INTERVAL_S if expected is not None
                                         else _WORD_POLL_S)
            except queue_mod.Empty:
                continue
            collector.take(pickle.loads(message))  # pickled by the worker: see _PoolSink
            counters.publish(collector)
        result = (collector.result(version), collector.spool)
    except (OSError, MemoryError) as exc:
        # The export's spool in a full $TMPDIR, memory run out: the walker
        # says it as itself (see _collector_died), not as "the collector died".
        collector = None  # what it held, freed for the message to be made
        with contextlib.suppress(Exception):
            conn.send(_CollectorFailed(exc))
        os._exit(1)
    conn.send(result)
    conn.close()
    # The caller waits for this process to end.  Under spawn and forkserver it
    # ends through Python's exit, whose collection would walk every object the
    # collector built (never collected, as above): left to the OS instead.
    gc.freeze()


class _ProgressSampler:
    """Calls ``progress`` at most every PROGRESS_INTERVAL_S with the counts so far.

    ``counts`` is the in-process Collector while the walker works alone,
    then the collector process's shared counters.
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
        self.progress(ScanProgress(*self.counts.progress_counts(), elapsed_s=now - self.started))


def _walk(backend, frontier, tick, deadline=None, check=None):
    """Feed ``backend`` until no work is left; False if ``deadline`` came first.

    ``check`` runs every PROGRESS_INTERVAL_S, busy or not: it raises when
    the scan cannot go on, and finds lost work while other work flows.
    """
    checked = time.monotonic()
    while frontier or backend.inflight or frontier.start_next_root():
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


# Slow filesystems whose latency is measured before a scan, at most: each
# probe is a few round trips (see fs.request_latency).
_PROBES = 4


def _plan(paths, mount_ids, table):
    """(workers, io_depth) for a scan of ``paths`` when the caller does not say.

    Workers follow the first PATH's filesystem, as before (a spinning disk
    there caps them).  Requests in flight follow every filesystem the walk
    may enter, not only the first PATH's: the PATHs' own and those mounted
    inside them (NFS home directories under a local /home), the most any
    of them wants (the local part then runs with threads too; the network
    part without them ran 13x slower).  Latencies are measured on up to
    _PROBES slow filesystems.
    """
    types = types_at(table)
    places = [(path, filesystem_type(path, table)) for path in paths]
    if mount_ids:
        places += [(point, types.get(point)) for point in mount_points_inside(paths, table)]
    workers = io_depth = None
    probed = 0
    for place, fstype in places:
        latency = None
        if is_slow_filesystem(fstype):
            if probed >= _PROBES:
                continue
            probed += 1
            # A network mount: do its requests wait on a round trip, or on a CPU?
            latency = request_latency(place)
        if workers is None:
            workers = default_workers(place, table, latency=latency)
        io_depth = max(io_depth or 1, default_io_depth(place, table, latency))
    return workers or 1, io_depth or 1


def _stat_roots(paths, spelled, options, collector):
    """Each PATH's stat, or None where it failed (an error, or CannotAccess if alone)."""
    stats = []
    for path, as_given in zip(paths, spelled):
        try:
            if not path:
                raise FileNotFoundError(2, "No such file or directory")
            st = os.stat(as_given, follow_symlinks=options.dereference)
        except OSError as exc:
            if len(paths) == 1:
                raise CannotAccess(path, exc.strerror) from None
            collector.errors.append(PathError(path, OP_ACCESS, exc.strerror))
            st = None
        stats.append(st)
    return stats


def _roots_counted_earlier(paths, stats, config):
    """du's rules for several PATHs, for a walk that scans them all at once.

    du walks its PATHs one after the other and, given several, skips any
    entry whose (dev, ino) an earlier PATH's walk already counted (its
    "hash_all"); with -l it hashes nothing.  Without -L, two PATHs share
    entries only when one holds the other: a PATH inside an earlier one is
    skipped if that walk reaches it (nothing on the way is excluded), and a
    later PATH skips the earlier ones inside it (``skip_ids``, checked by
    the workers).  Under -L the PATHs are walked in turn instead (see
    _Frontier), so this is not needed.

    Returns (indexes of the PATHs skipped, {(dev, ino): index} of the others).
    """
    options = config.options
    if len(paths) < 2 or options.count_links or options.dereference:
        return set(), None
    ids = {}
    skipped = set()
    for idx, (path, st) in enumerate(zip(paths, stats)):
        if st is None:
            continue
        earlier = _earlier_root_holding(path, st, ids)
        if earlier is not None and _walk_reaches(paths[earlier], path, config):
            skipped.add(idx)
            continue
        ids.setdefault((st.st_dev, st.st_ino), idx)
    return skipped, ids


def _as_walked(path):
    """``path`` with its directories resolved and its last component as it is:
    without -L a symlink PATH is the link, not what it points to."""
    head, tail = os.path.split(os.path.abspath(path))
    return os.path.join(os.path.realpath(head), tail)


def _earlier_root_holding(path, st, ids):
    """The index of an earlier PATH that is ``path`` or one of its directories."""
    if (st.st_dev, st.st_ino) in ids:
        return ids[(st.st_dev, st.st_ino)]
    try:
        probe = os.path.dirname(_as_walked(path))
    except OSError:  # no current directory (deleted): nothing to compare with
        return None
    while True:
        try:
            pst = os.stat(probe)
        except OSError:
            return None
        if (pst.st_dev, pst.st_ino) in ids:
            return ids[(pst.st_dev, pst.st_ino)]
        if probe == "/":
            return None
        probe = os.path.dirname(probe)


def _walk_reaches(earlier, path, config):
    """Whether the walk of the PATH ``earlier`` counts ``path``, inside it:
    the exclusions a worker applies, tried on each step of the way."""
    try:
        base = os.path.realpath(earlier)
        relative = os.path.relpath(_as_walked(path), base)
        root_dev = os.stat(base).st_dev
    except OSError:
        return True
    if relative == "." or relative.startswith(".."):
        return True  # the same directory, or held through a bind mount: counted there
    parts = relative.split("/")
    walked = earlier
    for depth, part in enumerate(parts, 1):
        walked = join(walked, part)
        step = "/".join(parts[:depth])
        try:
            st = os.lstat(os.path.join(base, step))
        except OSError:
            return True
        is_dir = _stat.S_ISDIR(st.st_mode)
        if ((config.exclude is not None and config.exclude(walked))
                or (config.root_devs is not None and st.st_dev != root_dev)
                or (config.kernfs_devs and st.st_dev in config.kernfs_devs)
                or (config.gitignore is not None and config.gitignore(step, is_dir))
                or (config.options.exclude_caches and is_dir
                    and _cache_directory(os.path.join(base, step)))):
            return False
    return True


def _cache_directory(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return has_cache_tag(fd)
    finally:
        os.close(fd)


def _file_record(path, idx, st, options, now) -> Record:
    """The record of a PATH that is not a directory: made here, not by a worker."""
    apparent, disk = st.st_size, st.st_blocks * 512
    tally = DirTally(now, 0, options.measure) if options.views else None
    key = tally_key(path, st.st_mode)
    owner = (st.st_uid, st.st_gid) if options.by_owner else None
    if (options.dereference or st.st_nlink > 1) and not options.count_links:
        kind, age = tally.link_view(key, st.st_mtime) if tally is not None else (None, None)
        return Record(root_key(idx), None, path, 0, idx, 0, 0, 0, 0,
                      links=[Link(st.st_dev, st.st_ino, apparent, disk, None, kind, age, owner)])
    detail = None
    if tally is not None:
        tally.add(key, apparent, disk, st.st_mtime, None)
        detail = tally.detail()
    if owner is not None:  # one owner for the whole record (see Detail.owners)
        detail = (detail or Detail())._replace(owners=owner)
    return Record(root_key(idx), None, path, 0, idx, 0, 1, apparent, disk,
                  tops=[(apparent, disk, None)], detail=detail)


def run(paths, options, *, progress=None, encoder=None, spool=None, slashed=frozenset(),
        cluster=None):
    """Scan the normalized ``paths`` with ``options``: the walker's side of the picture.

    ``encoder`` and ``spool`` are the export's (see ``ncdu``), or None: the
    workers hand each entry to the encoder, the collector each record to
    the spool.  Returns the ScanResult and the spool as the collector left
    it (it may have travelled to the collector process and back).
    ``slashed`` holds the indexes of the PATHs given with a trailing slash:
    such a PATH is the directory a symlink points to, not the link.
    ``cluster`` (a ``cluster.Cluster``) runs the worker code on a Dask
    cluster instead of local processes; the walker and the collector stay here.
    """
    started = time.monotonic()
    now = time.time()
    collector = Collector(paths, options, spool)
    spelled = [path + "/" if i in slashed else path for i, path in enumerate(paths)]
    stats = _stat_roots(paths, spelled, options, collector)
    table = mounts()
    mount_ids = mount_point_ids([p for p, st in zip(paths, stats) if st is not None], table)
    workers, io_depth = options.workers, options.io_depth
    if workers is None or io_depth is None:
        plan_workers, plan_depth = _plan(
            [spelled[i] for i, st in enumerate(stats) if st is not None] or spelled[:1],
            None if options.one_file_system else mount_ids, table)  # -x enters none
        workers, io_depth = workers or plan_workers, io_depth or plan_depth
    workers = affordable_workers(workers)
    io_depth = affordable_io_depth(io_depth, workers)
    config = WorkerConfig(
        options,
        roots=paths,
        root_devs=[st.st_dev if st else None for st in stats] if options.one_file_system else None,
        track_ancestors=bool(mount_ids),
        kernfs_devs=kernfs_devices(table) if options.exclude_kernfs else None,
        now=now,
        encoder=encoder,
        follow_roots=slashed,
        io_depth=io_depth,
    )
    skipped, config.skip_ids = _roots_counted_earlier(spelled, stats, config)
    collector.skipped_roots = skipped
    # A filesystem mounted twice where the scan goes (a bind mount) shows
    # one directory under two names: no sign of a tree changed under the
    # scan there (see Collector.add).
    devs = [dev for dev, _ in mount_ids] + [st.st_dev for st in stats if st is not None]
    collector.bound_devs = frozenset(dev for dev in devs if devs.count(dev) > 1)
    frontier = _Frontier(options.dereference)
    for idx, (path, st) in enumerate(zip(paths, stats)):
        if st is None or idx in skipped or (config.exclude is not None
                                            and config.exclude(spelled[idx])):
            continue
        if _stat.S_ISDIR(st.st_mode):
            ident = (st.st_dev, st.st_ino)
            frontier.add_root(DirTask(path, 0, idx, st.st_size, st.st_blocks * 512, st.st_dev,
                                      st.st_ino, None,
                                      (ident,) if mount_ids else (), 0,
                                      (st.st_uid, st.st_gid) if options.by_owner else None))
        else:
            collector.add([_file_record(path, idx, st, options, now)])

    if cluster is not None:
        roots = [(spelled[i], options.dereference or i in slashed, stats[i])
                 for i in range(len(paths)) if stats[i] is not None and i not in skipped
                 and _stat.S_ISDIR(stats[i].st_mode)]
        result = _scan_on_cluster(cluster, frontier, collector, config, roots, table,
                                  _ProgressSampler(progress, collector, started))
        result.io_depth = io_depth
        result.elapsed_s = time.monotonic() - started
        result.started_at = now
        return result, spool

    # The walker starts alone: the worker code runs here, its records go
    # straight to the local collector.  A tree that fits in the budget is
    # done faster than a pool could start.  (Its threads, if any, end with
    # each task: none is running when the pool is forked.)
    scanner = Scanner(config, collector.take)
    deadline = None if workers == 1 else started + options.inline_budget_s
    tick = _ProgressSampler(progress, collector, started)
    try:
        finished = _walk(InlineBackend(scanner, deadline), frontier, tick, deadline)
    finally:
        scanner.release()  # the caller's process keeps no directory open
    if finished:
        result = collector.result(__version__)
        result.workers = 1  # the tree was done before a pool was worth starting
        result.io_depth = io_depth
    else:
        if spool is not None:
            spool.close()  # the collector process writes from here on
        try:
            result, spool = _scan_with_pool(frontier, collector, config, workers,
                                            options.start_method, tick)
            result.workers, result.io_depth = workers, io_depth
        except _PoolNotStarted:
            # Out of descriptors, memory, processes or threads before anything
            # was handed over: the walk goes on here, slower but whole.
            tick.counts = collector
            try:
                _walk(InlineBackend(scanner), frontier, tick)
            finally:
                scanner.release()
            result = collector.result(__version__)
            result.workers = 1
    result.elapsed_s = time.monotonic() - started
    result.started_at = now
    return result, spool


# Descriptors the caller holds for a pool and the collector: measured 14
# plus 2 a worker under fork; spawn and forkserver hold a few more while
# processes start.  Counted generously: a limit too low for a pool of two
# means the scan runs in the caller's process, as du would, not that it fails.
_FDS_FIXED, _FDS_PER_WORKER = 24, 4


def _spare_descriptors():
    """Descriptors this process may still open; None when unbounded or unknown."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return None
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        in_use = len(os.listdir("/proc/self/fd"))
    except OSError:
        in_use = 16
    return soft - in_use


def affordable_io_depth(io_depth: int, workers: int) -> int:
    """``io_depth``, or less when the descriptor limit would not hold it (each
    of a worker's threads keeps up to two directories open, and a forked
    worker also holds what the caller held), or the address space limit
    (ulimit -v: each thread's stack is reserved whole, 8 MB by default, and
    a thread that gets its stack but no memory to start dies noisily)."""
    spare = _spare_descriptors()
    if spare is not None:
        io_depth = max(1, min(io_depth, (spare - _FDS_FIXED - _FDS_PER_WORKER * workers) // 3))
    room = _spare_address_space()
    if room is not None:
        if room < _THREADS_NEED_ROOM:
            # Threads that run out of memory die in ways Python does not
            # always survive (a lane stuck for good was seen at 60 MB, 1 run
            # in 15): under a tight limit, one request at a time.
            return 1
        # Half of what is left for the stacks; the scan's own memory, and a
        # forked worker's copy of the caller's, need the rest.
        io_depth = max(1, min(io_depth, room // (2 * _thread_stack_bytes())))
    return io_depth


# Address space a scan with threads must have left under ulimit -v.
_THREADS_NEED_ROOM = 256 << 20


def _spare_address_space():
    """Bytes this process may still map under RLIMIT_AS; None when unbounded."""
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return max(0, limit - int(line.split()[1]) * 1024)
    except (ImportError, OSError, ValueError):
        pass
    return None


def _thread_stack_bytes() -> int:
    """The stack a new thread of this process reserves."""
    size = threading.stack_size()
    if size:
        return size
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_STACK)[0]
        if soft != resource.RLIM_INFINITY and soft > 0:
            return soft
    except (ImportError, OSError, ValueError):
        pass
    return 8 << 20


def affordable_workers(workers: int) -> int:
    """``workers``, or fewer when the descriptor limit or the caller forbid a pool
    (1: scan in the caller's process)."""
    if multiprocessing.current_process().daemon:
        return 1  # a Pool worker, a Celery task: daemonic processes have no children
    spare = _spare_descriptors()
    if spare is None:
        return workers
    spare = (spare - _FDS_FIXED) // _FDS_PER_WORKER
    return workers if spare >= workers else (spare if spare >= 2 else 1)


def _children_can_start(ctx) -> bool:
    """Whether processes of ``ctx`` can start from this program.

    Under spawn and forkserver a child first runs the caller's main module
    again, from its file: a script read from stdin (``python -``, main file
    "<stdin>") has none, and every child dies with a traceback.  The scan
    then goes on in the calling process (see run), whole.
    """
    if ctx.get_start_method() == "fork":
        return True
    main = sys.modules.get("__main__")
    if main is None or getattr(getattr(main, "__spec__", None), "name", None) is not None:
        return True  # run as a module (python -m): found by name
    path = getattr(main, "__file__", None)
    if path is None:
        return True  # interactive: nothing is run again
    base = multiprocessing.process.ORIGINAL_DIR
    return os.path.isfile(path if os.path.isabs(path) or base is None
                          else os.path.join(base, path))


class _PoolNotStarted(Exception):
    """The pool or the collector could not be started: nothing was handed over yet."""


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


class _CollectorFailed(NamedTuple):
    """What the collector process sends instead of the result when taking
    records failed in a way that is not a bug: the error, raised here."""

    error: BaseException


def _collector_died(proc, conn) -> BaseException:
    """Why the collector process is gone: the error it sent, or its exit status."""
    with contextlib.suppress(EOFError, OSError):
        if conn.poll():
            sent = conn.recv()
            if isinstance(sent, _CollectorFailed):
                return sent.error
    proc.join(1.0)  # bounded: its exit status names the cause
    return CollectorDied(proc.exitcode)


def _scan_on_cluster(cluster, frontier, collector, config, roots, table, tick):
    """The whole walk on a Dask cluster (see ``cluster``): no local phase, as
    the cluster was asked for; the records come back to this process's
    collector."""
    backend = cluster.backend(config, roots, table, collector.take)
    try:
        _walk(backend, frontier, tick, check=backend.check)
    finally:
        backend.close()  # after a failure or Ctrl-C: nothing left queued for this scan
    result = collector.result(__version__)
    result.cluster = backend.usage()
    result.workers = result.cluster.workers
    return result


def _scan_with_pool(frontier, collector, config, workers, start_method, tick):
    """The rest of the walk with worker processes and the collector process."""
    ctx = multiprocessing.get_context(start_method)
    if not _children_can_start(ctx):
        raise _PoolNotStarted("the main module cannot be loaded again")
    sink_queue = conn = proc = backend = None
    try:
        try:
            sink_queue = ctx.Queue()
            counters = _Counters(ctx)
            conn, collector_conn = ctx.Pipe()
            proc = ctx.Process(target=_collector_main,
                               args=(sink_queue, collector_conn, collector, counters, __version__),
                               name="sizescan-collector", daemon=True)
            with held_signals():
                proc.start()
            collector_conn.close()
        except (OSError, RuntimeError, MemoryError) as exc:
            raise _PoolNotStarted(exc) from None
        tick.counts = counters

        def check():
            # During the walk the collector sends nothing: gone is dead.
            if not proc.is_alive():
                raise _collector_died(proc, conn)
            backend.check()

        backend = PoolBackend(ctx, workers, config, sink_queue)
        try:
            backend.start()
        except PoolFailed as exc:
            raise _PoolNotStarted(exc) from None
        _walk(backend, frontier, tick, check=check)
        result = _wait_for_collector(proc, conn, counters, backend, tick)
        # The collector has every message: nothing the workers hold matters.
        backend.terminate()
        backend = None
        proc.join(MESSAGE_TIMEOUT_S)
        sink_queue.close()
        sink_queue.join_thread()
        return result
    finally:
        if backend is not None:  # failed or interrupted: nothing the workers hold matters
            backend.terminate(kill=True)
        if proc is not None and proc.is_alive():
            proc.kill()
            proc.join(STOP_TIMEOUT_S)
        if conn is not None:
            conn.close()
        if sink_queue is not None:
            # On failure nobody reads the queue any more: do not wait to flush it.
            sink_queue.cancel_join_thread()


def _wait_for_collector(proc, conn, counters, backend, tick):
    """Tell the collector which messages are due; take its result when it has them.

    A timeout here means something is lost, never that it is slow: a
    message already sent is lost only with a worker that died (killed
    before its queue's feeder thread wrote it, or while it held the
    queue's lock), so a collector that takes nothing for MESSAGE_TIMEOUT_S
    fails the scan only after such a death.  A collector merely stopped
    (SIGSTOP, swapped out, a debugger) is waited for.
    """
    due = backend.delivered
    try:
        conn.send(due)
    except OSError:  # the collector is gone (a broken pipe)
        raise _collector_died(proc, conn) from None
    received, since = -1, time.monotonic()
    while not conn.poll(PROGRESS_INTERVAL_S):
        tick()
        if collector_lost(proc, conn):
            raise _collector_died(proc, conn)
        if counters.received != received:
            received, since = counters.received, time.monotonic()
        elif (received < len(due) and time.monotonic() - since > MESSAGE_TIMEOUT_S
              and backend.any_died()):
            raise ResultsLost(
                f"a worker's results were lost ({len(due) - received} messages never arrived)")
    try:
        sent = conn.recv()
    except (EOFError, OSError):  # the pipe closed: the collector is gone
        raise _collector_died(proc, conn) from None
    if isinstance(sent, _CollectorFailed):
        raise sent.error
    return sent
