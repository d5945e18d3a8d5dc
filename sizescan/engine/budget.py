"""What this process can afford: workers and threads within its limits.

A scan never fails for want of descriptors, address space or the right to
have children: it asks for less (fewer threads, fewer workers, or the
caller's process alone, as du would run) and says nothing.
"""

from __future__ import annotations

import _thread
import multiprocessing
import os
import threading

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
            # always survive (a lane can be left stuck for good): under a
            # tight limit, one request at a time (tests/test_resources.py).
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


# How long a thread may take to start running before it is taken as unable to.
THREAD_START_S = 2.0


def start_thread(target, *args) -> bool:
    """Run ``target(*args)`` in a bare daemon thread, once it is seen to run;
    False when no thread could start, or it did not run within
    THREAD_START_S: the caller then does the work itself.

    Not ``threading.Thread.start()``: it waits for the new thread to say it
    runs, and a thread that runs out of memory in its own start-up (ulimit
    -v) never says so: the caller waited for ever (tests/test_resources.py,
    a scan stopping its pool at 70 MB).  Its work must bear being done
    twice: a thread that runs after all, late, does it too.
    """
    began = _thread.allocate_lock()
    began.acquire()

    def run():
        began.release()
        target(*args)

    try:
        _thread.start_new_thread(run, ())
    except (RuntimeError, MemoryError):  # no thread to spare
        return False
    return began.acquire(timeout=THREAD_START_S)


def threads_to_spare(count: int) -> bool:
    """Whether ``count`` more threads can start now (under ``ulimit -v`` they may not).

    Pool's constructor starts three, after its workers: if one fails, the
    half-made Pool is never cleaned up (CPython keeps no reference we can
    reach) and its threads start workers that exit then waits for.  So the
    threads are tried first; a pool that cannot have them is not started.

    The threads are started bare (``_thread``), each saying it runs by
    releasing a lock made for it, and that is waited for at most
    THREAD_START_S: a thread whose start fails inside itself (a MemoryError
    before it runs a line of ours) never says so, and
    ``threading.Thread.start`` would wait for it forever (pinned by
    tests/test_resources.py, every address-space limit).
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
        return all(running.acquire(timeout=THREAD_START_S) for running in runs)
    except (RuntimeError, MemoryError):
        return False
    finally:
        release.release()


class StandbyThread:
    """A bare thread started now, waiting to run one piece of work later.

    A pool's stop runs aside (see pool._Pool.stop), and a thread started
    only then may find no memory to start in (ulimit -v): the stop then went
    on without it, and the thread that failed left CPython's own lines on
    stderr.  This one exists before the pool does: a pool it cannot have is
    not started (RuntimeError here).
    """

    def __init__(self):
        self._go = _thread.allocate_lock()
        self._go.acquire()
        self._work = None
        if not start_thread(self._wait):
            raise RuntimeError("can't start new thread")

    def _wait(self):
        with self._go:
            pass
        if self._work is not None:
            self._work()

    def run(self, work) -> None:
        """Run ``work`` in the thread, now (None lets the thread end); the
        first call only: a pool is stopped once."""
        if self._go.locked() and self._work is None:
            self._work = work
            self._go.release()
