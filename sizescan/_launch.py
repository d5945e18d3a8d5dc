"""The ``sizescan`` command's entry point: signals first, then everything else.

A Ctrl-C or SIGTERM can come at any instant, the imports included (about
0.2 s of them): the handlers are installed before any import of ours, and
every way out of the command passes through :func:`main`, so an
interrupted run exits 130 or 143 with nothing on stderr, whenever the
signal came.  This module imports nothing of sizescan at the top, and the
package's own ``__init__`` imports lazily.
"""

import atexit
import contextlib
import errno
import os
import signal
import sys


class Interrupted(BaseException):
    """SIGINT, SIGTERM or another of STOP_SIGNALS.  Not a KeyboardInterrupt: click would turn that into
    "Aborted!" and exit 1, which means "some path unreadable"."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


# Every signal that ends a run the way Ctrl-C does: a closed terminal or
# ssh session (SIGHUP), Ctrl-\ (SIGQUIT), SIGUSR1.  worker.STOP_SIGNALS,
# which the children ignore, is the same set (this module imports nothing
# of sizescan before the handlers are in place).  Not SIGPIPE: Python
# ignores it so that a pipe whose reader is gone fails the write that met
# it, and that write knows what it means (stdout's reader gone: a quiet
# exit; the collector's pipe: the collector died).  A handler could not
# tell those from a `kill -PIPE`.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1)


def _interrupt(signum, frame):
    # The first signal decides the status; the teardown it starts (pool,
    # collector, a temporary export) is not cut short by a second one.
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise Interrupted(signum)


# A signal handler's exception surfaces in whatever Python code runs next,
# and that may be a weakref callback or a __del__ run by the collector of
# garbage: Python cannot raise from there, so it prints "Exception ignored
# in ..." with a traceback and goes on as if no signal had come (a
# multiprocessing WeakValueDictionary dropping an entry, for one).  The hook
# takes such an Interrupted back and raises it again a millisecond later
# from SIGALRM, in ordinary code, where it ends the run as it should.  Not
# once the run is over: Python's exit puts SIGALRM back to its default,
# which would kill the process, so the alarm is cancelled at exit and never
# armed again from then on: not while the interpreter shuts down, and not
# for an atexit callback, the cancelling one included, that the alarm
# itself interrupted (tests/test_signals.py: a signal inside a finalizer,
# and a signal at any instant).
_REDELIVER_S = 0.001
_python_hook = sys.unraisablehook


def _cancel_alarm():
    signal.setitimer(signal.ITIMER_REAL, 0)


def _unraisable(unraisable):
    try:
        _take_unraisable(unraisable)
    except MemoryError:
        # Printing what was raised needs memory too; under ulimit -v Python
        # would print "Exception ignored in sys.unraisablehook" instead.
        pass


def _take_unraisable(unraisable):
    exc = unraisable.exc_value
    if isinstance(exc, MemoryError):
        # A thread that could not even start under a memory limit (a lane,
        # a queue's feeder): the scan goes on without it, or fails and says
        # so in one line.  No traceback.
        return
    if not isinstance(exc, Interrupted):
        _python_hook(unraisable)
        return
    if sys.is_finalizing() or "atexit" in (unraisable.err_msg or ""):
        return  # the run has finished: its status stands
    signum = exc.signum
    try:
        signal.signal(signal.SIGALRM, lambda _s, frame: _interrupt(signum, frame))
        signal.setitimer(signal.ITIMER_REAL, _REDELIVER_S)
    except Interrupted:  # the alarm came while still in here: arm it again
        signal.setitimer(signal.ITIMER_REAL, _REDELIVER_S)


def _quiet_memory_errors_in_threads():
    """The same for a thread that ran out of memory before its own code
    could catch anything (see _unraisable)."""
    import threading

    python_hook = threading.excepthook

    def hook(args):
        if not issubclass(args.exc_type, MemoryError):
            python_hook(args)

    threading.excepthook = hook


def call(body) -> int:
    """``body()``'s exit status, or 128 + the signal if one interrupted it."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupt)
    sys.unraisablehook = _unraisable
    try:
        return _call(body)
    except MemoryError as exc:
        # Out of memory in the handling below: every call of a Python
        # function needs memory for its frame, and the exception's traceback
        # holds every frame it unwound.  Freed, and said without a call.
        exc.__traceback__ = exc.__context__ = None
        try:
            os.write(2, b"sizescan: out of memory\n")
        except OSError:
            pass
        return 2


def _call(body) -> int:
    try:
        _quiet_memory_errors_in_threads()
        atexit.register(_cancel_alarm)
        return body()
    except Interrupted as exc:
        return 128 + exc.signum
    except KeyboardInterrupt:  # SIGINT raised by the default handler, before ours
        return 128 + signal.SIGINT
    except MemoryError:
        return _out_of_memory()
    except Exception as exc:
        # Python wraps what some hooks raise, the signal's Interrupted too:
        # a class body's __set_name__ (a dataclass being imported) raises
        # RuntimeError "Error calling __set_name__" from it.
        cause = _interrupted_in(exc)
        if cause is not None:
            return 128 + cause.signum
        # An extension module that could not be mapped (ulimit -v) is no bug,
        # nor is the import that fell back from it and failed in turn; nor a
        # SystemError under an address-space limit (CPython's "error return
        # without exception set": a failed allocation that its caller did
        # not report).  tests/test_resources.py, every address-space limit.
        if _chain_has(
            exc,
            lambda e: (
                isinstance(e, MemoryError)
                or (isinstance(e, ImportError) and "failed to map segment" in str(e))
                # an import's listing of a directory of modules (importlib's _fill_cache)
                or (isinstance(e, OSError) and e.errno == errno.ENOMEM)
                or (isinstance(e, SystemError) and _address_space_limited())
            ),
        ):
            return _out_of_memory()
        raise


def _out_of_memory() -> int:
    # Anywhere the command's own handling did not reach (an import, the
    # output): one line, written without building anything.
    with contextlib.suppress(OSError):
        os.write(2, b"sizescan: out of memory\n")
    return 2


def _chain_has(exc, test):
    """The first exception ``exc`` was raised from (itself included) that
    passes ``test``, or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if test(exc):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _interrupted_in(exc):
    """The Interrupted that ``exc`` was raised from, if any."""
    return _chain_has(exc, lambda e: isinstance(e, Interrupted))


def _run(argv):
    _load_random_hash()
    from .command.cli import run

    return run(sys.argv[1:] if argv is None else argv)


def main(argv=None):
    """Run the command; exit with its status (128 + the signal when interrupted)."""
    if _address_space_limited():
        _load_unwinder()
        _watched()  # returns in the child, which runs the command
    sys.exit(call(lambda: _run(argv)))


def _load_random_hash() -> None:
    """Load the SHA-512 module that ``random`` seeds with, where a failure to
    map it (ulimit -v) is ours to say in one line.  ``random`` comes with
    ``tempfile``, which the engine and multiprocessing import; it would fall
    back to hashlib, and hashlib, finding nothing it can load either, logs
    a traceback for each of its algorithms (see sizescan.hashes)."""
    from .hashes import builtin

    builtin("sha512")


def _load_unwinder() -> None:
    """Map libgcc_s now, while there is room.  glibc maps it the first time a
    thread ends through pthread_exit (a daemon thread that wakes while the
    interpreter finalizes) and aborts the whole process when it cannot:
    "libgcc_s.so.1 must be installed", exit 134 instead of 2.  Mapped here,
    before any thread or child, it is there for every process of the scan
    (tests/test_resources.py, every address-space limit)."""
    try:
        import ctypes

        ctypes.CDLL("libgcc_s.so.1")  # its soname on every glibc system
    except (ImportError, OSError, MemoryError):
        pass  # another C library, or no room even now: as before


# Under a ulimit -v that memory runs into, CPython 3.11 can loop for ever
# inside its own exception handling: unwinding to a handler it allocates an
# int for the handler's offset, fails, and unwinds to the same handler
# again, holding the GIL, no Python code of ours ever running
# (tests/test_resources.py: a command stuck holding the GIL under ulimit -v
# is ended).  Only another process can see that: the
# command then runs in a child that beats a pipe from a thread of its own
# (which the loop starves), and this process, which never imports
# sizescan, ends it after WATCHDOG_S of silence.
WATCHDOG_S = 20.0


def _watchdog_s() -> float:
    try:  # SIZESCAN_WATCHDOG_S: the tests' way to wait less
        return float(os.environ.get("SIZESCAN_WATCHDOG_S", WATCHDOG_S))
    except ValueError:
        return WATCHDOG_S


def _address_space_limited() -> bool:
    try:
        import resource
    except ImportError:
        return False
    return resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY


def _watched() -> None:
    """Fork; in the parent, watch the child's beats and exit as it does."""
    try:
        beat_r, beat_w = os.pipe()
        child = os.fork()
    except OSError:
        return  # no process to spare: the command runs unwatched
    if child == 0:
        os.close(beat_r)
        _beat(beat_w)
        return
    os.close(beat_w)
    # Signals are the child's to handle (it gets the terminal's too); one
    # sent to this process alone is passed on.
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda sig, _frame: os.kill(child, sig))
    import select

    silence = _watchdog_s()
    while True:
        try:
            ready, _, _ = select.select([beat_r], [], [], silence)
        except InterruptedError:
            continue
        if not ready:  # silence: the child is stuck
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)  # its workers see their parent go
            os.waitpid(child, 0)
            _out_of_memory()
            os._exit(2)
        try:
            data = os.read(beat_r, 512)
        except InterruptedError:
            continue
        if not data:  # the child is done (or could not beat): wait for it
            break
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    if os.WIFEXITED(status):
        os._exit(os.waitstatus_to_exitcode(status))
    killed_by = os.WTERMSIG(status)
    if killed_by in _CRASH_SIGNALS:
        # CPython does not check every allocation, and under this very limit
        # one that fails can crash it (seen: a call to a Python function, an
        # import), with nothing on stderr.  That is no bug of the scan's.
        with contextlib.suppress(OSError):
            os.write(2, b"sizescan: out of memory (Python crashed under ulimit -v)\n")
        os._exit(2)
    os._exit(128 + killed_by)


# How a process dies when an allocation it did not check failed.
_CRASH_SIGNALS = (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT)


def _beat(fd: int) -> None:
    import _thread
    import time

    def beat():
        while True:
            try:
                os.write(fd, b".")
            except OSError:
                return
            time.sleep(1.0)

    # A bare thread, as engine.budget.start_thread says why: Thread.start()
    # can wait for ever under the very limit this watch is for.
    try:
        _thread.start_new_thread(beat, ())
    except (RuntimeError, MemoryError):
        os.close(fd)  # no thread to spare: unwatched (the parent sees the end of the pipe)
