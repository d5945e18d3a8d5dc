"""A pool process: how a process of the local pool becomes a worker of one scan.

``init_worker`` is the Pool's initializer (the only way Pool hands state
to its processes): it registers the process's pid for the walker, makes
the process's Scanner and its way to the collector (``_PoolSink``);
``scan_tasks`` is what ``apply_async`` runs.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time

from ..signals import become_child
from .budget import start_thread
from .lanes import LANE_STACK
from .pipeline import Scanner
from .records import TaskResult

# A pool process serves one pool, and a pool one scan: its Scanner is made
# by the initializer (the only way Pool hands state to its processes) and
# lives as long as the process.  The calling process never sets it.
_pool_scanner: Scanner | None = None


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
            # failure (MemoryError under ulimit -v) loses the message after
            # the task has returned, and only the sink queue's mark tells
            # the walker (see sink.SinkQueue).  Here it fails the task.
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
    # dies with a task (its task slot) or wedges the pool (see pool).
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
    assert _pool_scanner is not None  # made by init_worker
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

    if not start_thread(watch):  # no thread to spare (ulimit -v): the kernel watches instead
        _die_with_parent()


def _die_with_parent():
    """prctl(PR_SET_PDEATHSIG, SIGKILL) on Linux; nothing elsewhere."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError, ImportError):  # ImportError: no memory to map ctypes
        pass
