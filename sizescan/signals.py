"""The signals that stop a run, and how each process takes them.

A leaf module: the engine, the per-entry pipeline and the output files
use it.  ``_launch`` installs the CLI's handlers of the same set before
any import of ours.
"""

from __future__ import annotations

import contextlib
import signal
import threading

# What stops a scan: Ctrl-C, kill, a closed terminal or ssh session
# (SIGHUP), Ctrl-\ and SIGUSR1 (not SIGPIPE: see _launch.STOP_SIGNALS).
# The CLI handles each as SIGINT; a child process ignores them all but
# SIGTERM.
STOP_SIGNALS = frozenset(
    {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1}
)


def become_child():
    """Signals of a pool worker or the collector process.

    A terminal sends its signals to the whole process group, and a forked
    child inherits the CLI's handlers: the caller alone decides what a
    signal means, and tears its children down.  A child dying of SIGHUP on
    its own would leave the others writing to it (BrokenPipeError
    tracebacks).  SIGTERM keeps its default: Pool.terminate() relies on it.
    The child was started with these blocked (see held_signals).
    """
    for signum in STOP_SIGNALS - {signal.SIGTERM}:
        signal.signal(signum, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


@contextlib.contextmanager
def held_signals():
    """Hold the STOP_SIGNALS back until the block is over: children started
    in it start with them blocked, and the caller's handlers of them run
    after it.

    For what must not be cut in the middle: starting the pool and the
    collector, creating a temporary file and remembering its name (a
    signal in between would leave it behind).

    A forked child starts with the caller's handlers (the CLI's raises in
    whatever the child is doing, multiprocessing's after-fork hooks
    included); a signal in the instant before the child sets its own would
    print a traceback from it, or worse.  Blocked, it waits: each child
    unblocks once its handlers are set (worker.init_worker,
    _collector_main), and the caller gets its own as soon as the start is
    over.  Threads inherit the mask, so Pool's own threads, which start
    replacement workers, start them blocked too.

    The mask alone does not keep the caller's handler out: a thread started
    before (a Timer, a progress bar's) takes the signal, and Python runs the
    handler in the main thread at once, mask or not.  Its exception inside
    Pool() would leave a half-made pool whose threads keep starting
    workers (tests/test_faults.py: interrupted scans leave no worker
    behind).  So a handler written in
    Python is replaced by one that notes the signal, and the first noted is
    raised again once the start is over and the old handlers are back.
    """
    noted = []
    replaced = {}
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            if callable(signal.getsignal(signum)):
                replaced[signum] = signal.signal(signum, lambda sig, _frame: noted.append(sig))
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        for signum, handler in replaced.items():
            signal.signal(signum, handler)
        if noted:
            signal.raise_signal(noted[0])
