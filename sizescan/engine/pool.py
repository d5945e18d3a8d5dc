"""The local pool: a ``multiprocessing.Pool`` fed by the walker, and all of its supervision.

The walker sees one small interface, :class:`PoolBackend` (a ``Backend``:
``start``, ``fill``, ``next_result``, ``check``, ``any_died``,
``terminate``).  Behind it: task ids and shared-memory slots that say
which worker runs what (:class:`_Pool`), pidfds that say which worker is
dead (:class:`_WorkerWatch`), a replacement pool when one dies, and a stop
that returns only when every worker it started is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_mod
import select
import signal
import sys
import threading
import time
from collections import deque
from typing import NamedTuple

from ..errors import PoolFailed, WorkerFailed, WorkersKeptDying
from ..signals import held_signals
from .budget import StandbyThread, start_thread, threads_to_spare
from .frontier import Backend
from .lanes import BATCH_CHUNK_NAMES, BATCH_DIRS
from .worker import START_OUT_OF_MEMORY, init_worker, scan_tasks

# Directories per task: enough to amortise a round trip through the pool,
# few enough that every worker gets a share of a narrow frontier.
MAX_BATCH = 64


# Tasks waiting and none started for this long: no worker can take one
# (one died unseen, holding the task queue's lock).
WEDGED_S = 5.0
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


# How long after its result a task's message may still sit in its worker's
# queue buffer, unwritten: a worker killed then loses it, and the task is
# done again (see PoolBackend.check).  Its feeder thread writes it within
# milliseconds unless the collector falls behind; a worker's last few tasks
# are kept for that, not every task of those seconds (a 1M-file scan would
# hold a third of its directories' tasks).
UNWRITTEN_S = 2.0
UNWRITTEN_TASKS = 4


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


def _quiet_pool(*args, **kwargs):
    """A ``multiprocessing.Pool`` whose maintainer thread wakes when a worker
    exits or the pool's state changes, as ThreadPool's does, not again and
    again until each result is read (0.19 s of the caller's CPU at 1M files;
    without ``maxtasksperchild`` a result asks nothing of it).  Its class is
    made on first use: a scan that needs no pool never imports the module."""
    global _QuietPool
    if _QuietPool is None:
        import multiprocessing.pool

        class QuietPool(multiprocessing.pool.Pool):
            def _get_sentinels(self):
                return [self._change_notifier._reader]

        _QuietPool = QuietPool
    return _QuietPool(*args, **kwargs)


_QuietPool = None


class _Pool:
    """One ``multiprocessing.Pool`` and the shared memory its workers report in."""

    def __init__(self, ctx, workers, capacity, config, sink_queue):
        # Pool's three threads and our stopping one.
        if not threads_to_spare(4):
            raise RuntimeError("can't start new thread")
        self._stopper = StandbyThread()
        try:
            self._start(ctx, workers, capacity, config, sink_queue)
        except BaseException:
            self._stopper.run(None)
            raise

    def _start(self, ctx, workers, capacity, config, sink_queue):
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
        self.pool = _quiet_pool(
            workers,
            context=ctx,
            initializer=init_worker,
            initargs=(
                config,
                sink_queue,
                self.task_slots,
                self.registry,
                ctx.Lock(),
                self.stopping,
                self.start_failed,
            ),
        )

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

        # In a thread of its own, started with the pool: terminate() waits
        # on the task queue's lock, which a killed worker may hold forever
        # (it is a daemon, and holds nothing of ours when abandoned).  Once
        # the workers are killed there is nothing left to wait for: it only
        # reaps them, and so does exit.
        self._stopper.run(terminate)
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
        self._stopping = []  # (stopped event, pool): replaced pools being stopped
        self._free = list(range(self.capacity))
        self._tasks = {}  # task id -> (slot, arguments, attempt)
        self._next_id = 0
        # Ids of the tasks whose message the collector must wait for.
        self.delivered = set()
        # pid -> (when, task id, arguments, attempt) of the last tasks it
        # delivered: see check().
        self._recent: dict = {}
        self._redo: deque = deque()  # (arguments, attempt): those, to submit first
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
                # terminate() here, unbounded (tests/test_faults.py: interrupted
                # scans leave no worker behind).
                self._pool = _Pool(
                    self._ctx, self.workers, self.capacity, self._config, self._sink_queue
                )
        except (OSError, RuntimeError, MemoryError) as exc:  # descriptors, threads, memory
            raise PoolFailed(
                f"cannot start the worker pool: {getattr(exc, 'strerror', None) or exc}"
            ) from None

    @property
    def inflight(self):
        return len(self._tasks) + len(self._redo)

    def fill(self, frontier):
        while self._free and self._redo:
            self._submit(*self._redo.popleft())
        pending = frontier.pending
        io_depth = self._config.io_depth
        while self._free and (pending or frontier.chunks):
            if frontier.chunks and io_depth == 1:
                # A very large directory: its chunks go to every worker.
                self._submit(((), (frontier.chunks.popleft(),)), 1)
                continue
            if io_depth > 1:
                # A worker's threads each take a directory of the batch: the
                # frontier is shared among the workers at once, each its
                # share, not drip-fed while threads wait.  So are chunks:
                # those a task's threads left at its deadline are a few
                # pieces each, and one chunk a task kept most of them idle.
                size = min(-(-len(pending) // self.workers), BATCH_DIRS * io_depth)
                chunks = frontier.take_chunks(BATCH_CHUNK_NAMES * io_depth)
            else:
                size = max(1, min(MAX_BATCH, len(pending) // self.capacity))
                chunks = []
            self._submit((frontier.take_dirs(size), chunks), 1)

    def _submit(self, arguments, attempt):
        task_id = self._next_id
        self._next_id += 1
        slot = self._free.pop()
        self._pool.task_slots[slot] = 0
        self._tasks[task_id] = (slot, arguments, attempt)
        done = self._done.put
        self._pool.pool.apply_async(
            scan_tasks,
            (*arguments, task_id, slot),
            callback=done,
            error_callback=lambda exc: done(_Failed(task_id, exc)),
        )

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
        if item.sent:
            self.delivered.add(item.task_id)
            pid = self._pool.task_slots[task[0]]
            last = self._recent.get(pid)
            if last is None:
                last = self._recent[pid] = deque(maxlen=UNWRITTEN_TASKS)
            last.append((time.monotonic(), item.task_id, *task[1:]))
        self._free.append(task[0])
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
        wedged = waiting and time.monotonic() - self._waiting_since > WEDGED_S
        if not dead and not wedged:
            return
        self.deaths += len(dead) or 1  # wedged: one died unseen, holding a lock
        lost = {task_id for task_id, (slot, _, _) in self._tasks.items() if slots[slot] in dead}
        if any(self._tasks[task_id][2] >= MAX_ATTEMPTS for task_id in lost):
            raise WorkersKeptDying(
                f"workers died {MAX_ATTEMPTS} times on the same directories; giving up"
            )
        old, self._pool = self._pool, None
        # Stopped aside, so the walk goes on meanwhile; terminate() waits for it.
        stopped = threading.Event()

        def stop_old():
            try:
                old.stop(grace=REPLACED_GRACE_S)
            finally:
                stopped.set()

        if not start_thread(stop_old):
            stop_old()  # no thread to spare: stopped before the walk goes on
        self._stopping.append((stopped, old))
        self.start()
        stranded = list(self._tasks.items())
        self._tasks.clear()
        self._free = list(range(self.capacity))
        for task_id, (_, arguments, attempt) in stranded:
            self._submit(arguments, attempt + 1 if task_id in lost else attempt)
        # A dead worker's last results may have come back before its message,
        # which its queue's feeder thread had not written yet (a kill right
        # after a task: tests/test_faults.py, one CI run in eight).  Those
        # tasks are done again; the collector takes each record once, so one
        # that did arrive counts once.
        since = time.monotonic() - UNWRITTEN_S
        for pid in dead:
            for when, task_id, arguments, attempt in self._recent.pop(pid, ()):
                if when >= since:
                    self.delivered.discard(task_id)
                    self._redo.append((arguments, attempt + 1))

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
        for stopped, _ in self._stopping:
            stopped.wait(3 * STOP_TIMEOUT_S)


def children_can_start(ctx) -> bool:
    """Whether processes of ``ctx`` can start from this program.

    Under spawn and forkserver a child first runs the caller's main module
    again, from its file: a script read from stdin (``python -``, main file
    "<stdin>") has none, and every child dies with a traceback.  The scan
    then goes on in the calling process (see walker.run), whole.
    """
    if ctx.get_start_method() == "fork":
        return True
    main = sys.modules.get("__main__")
    if main is None or getattr(getattr(main, "__spec__", None), "name", None) is not None:
        return True  # run as a module (python -m): found by name
    path = getattr(main, "__file__", None)
    if path is None:
        return True  # interactive: nothing is run again
    base = getattr(multiprocessing.process, "ORIGINAL_DIR", None)
    return os.path.isfile(path if os.path.isabs(path) or base is None else os.path.join(base, path))
