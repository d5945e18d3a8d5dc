"""The collector process: the one owner of a pool scan's totals.

It runs ``collect.Collector`` in a process of its own, fed by the workers
through one ``multiprocessing.Queue``.  The walker starts it, checks that
it lives, tells it through a pipe which messages are due once the walk is
over, and takes the ScanResult (and the export's spool) back through the
same pipe.  Its running counts are published in shared memory for the
progress bar: nothing is sent per file.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import queue as queue_mod
import time
from typing import Any, NamedTuple

from ..errors import CollectorDied, ResultsLost
from ..signals import become_child, held_signals
from .collect import Collector
from .worker import exit_with_parent

# How often the idle collector looks for the walker's word that the walk is over.
_WORD_POLL_S = 0.005
# How often a wait on the collector (its queue, or the walker on its result)
# wakes to look at what else may have happened.
CHECK_S = 0.1
# No wait in the engine is unbounded.  Once every task has returned, its
# message is already on its way: a collector that takes none for this long
# while some are due has lost one (a worker killed while writing it), and
# the scan fails instead of hanging (tests/test_faults.py).
MESSAGE_TIMEOUT_S = 5.0
# How long the collector may take to exit once it has sent the result, or
# to die once killed.
EXIT_WAIT_S = 2.0


class Counters:
    """The collector's running counts in shared memory, sampled by the walker
    for the progress bar and to see messages arrive."""

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


# The collector's exit status when it ran out of memory and could not even say so.
_OUT_OF_MEMORY_STATUS = 3


class _CollectorFailed(NamedTuple):
    """What the collector process sends instead of the result when taking
    records failed in a way that is not a bug: the error, raised here."""

    error: BaseException


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
                # only CHECK_S later (at the end of every pool scan).
                message = sink_queue.get(timeout=CHECK_S if expected is not None else _WORD_POLL_S)
            except queue_mod.Empty:
                continue
            collector.take(pickle.loads(message))  # pickled by the worker: see worker._PoolSink
            counters.publish(collector)
        result = (collector.result(version), collector.spool)
        # Pickled whole before a byte is written: a MemoryError here (ulimit
        # -v) leaves the pipe clean for the word that says so.
        conn.send(result)
    except (OSError, MemoryError) as exc:
        # The export's spool in a full $TMPDIR, memory run out: the walker
        # says it as itself (see CollectorProcess.died), not as "the collector died".
        collector = result = None  # what they held, freed for the message to be made
        with contextlib.suppress(Exception):
            conn.send(_CollectorFailed(exc))
        os._exit(_OUT_OF_MEMORY_STATUS if isinstance(exc, MemoryError) else 1)
    conn.close()
    # The caller waits for this process to end.  Under spawn and forkserver it
    # ends through Python's exit, whose collection would walk every object the
    # collector built (never collected, as above): left to the OS instead.
    gc.freeze()


def collector_lost(proc, conn) -> bool:
    """Whether the collector process is gone and the pipe holds nothing of it.

    A collector that has sent the result exits at once: between the
    walker's last look at the pipe and its look at the process there is
    time for both, so a collector that is gone is lost only if nothing
    waits in the pipe, neither the result nor the end of the pipe (which
    ``recv`` then reports).  tests/test_faults.py polls without a pause.
    """
    return not proc.is_alive() and not conn.poll()


class CollectorProcess:
    """The collector process of one pool scan, and its queue, pipe and counters.

    ``start`` may fail (OSError, RuntimeError, MemoryError: nothing was
    handed over yet); ``close`` is always called, and leaves no process.
    """

    def __init__(self, ctx, collector: Collector, version: str):
        self._ctx = ctx
        self._collector = collector
        self._version = version
        self.queue: Any = None
        self.counters: Any = None
        self._conn: Any = None
        self._proc: Any = None

    def start(self) -> None:
        ctx = self._ctx
        # Its module imported only now: multiprocessing's queues cost a
        # scan that needs no pool 7 ms of imports.
        from .sink import SinkQueue

        self.queue = SinkQueue(ctx)
        self.counters = Counters(ctx)
        self._conn, theirs = ctx.Pipe()
        self._proc = ctx.Process(
            target=_collector_main,
            args=(self.queue, theirs, self._collector, self.counters, self._version),
            name="sizescan-collector",
            daemon=True,
        )
        with held_signals():
            self._proc.start()
        theirs.close()

    def check(self) -> None:
        """During the walk the collector sends nothing: gone is dead.  Nor is
        a message lost on its way to it."""
        if not self._proc.is_alive():
            raise self.died()
        self.queue.check()

    def died(self) -> BaseException:
        """Why the collector process is gone: the error it sent, or its exit status."""
        with contextlib.suppress(EOFError, OSError):
            if self._conn.poll():
                sent = self._conn.recv()
                if isinstance(sent, _CollectorFailed):
                    return sent.error
        self._proc.join(1.0)  # bounded: its exit status names the cause
        if self._proc.exitcode == _OUT_OF_MEMORY_STATUS:
            return MemoryError("the collector ran out of memory")
        return CollectorDied(self._proc.exitcode)

    def result(self, due: set, any_died, tick):
        """Tell the collector which messages are ``due``; take (result, spool)
        when it has them.

        A timeout here means something is lost, never that it is slow: a
        message already sent is lost only with a worker that died (killed
        before its queue's feeder thread wrote it, or while it held the
        queue's lock), so a collector that takes nothing for
        MESSAGE_TIMEOUT_S fails the scan only if ``any_died()``.  A
        collector merely stopped (SIGSTOP, swapped out, a debugger) is
        waited for.
        """
        conn, proc = self._conn, self._proc
        try:
            conn.send(due)
        except OSError:  # the collector is gone (a broken pipe)
            raise self.died() from None
        received, since = -1, time.monotonic()
        while not conn.poll(CHECK_S):
            tick()
            if collector_lost(proc, conn):
                raise self.died()
            self.queue.check()
            if self.counters.received != received:
                received, since = self.counters.received, time.monotonic()
            elif (
                received < len(due) and time.monotonic() - since > MESSAGE_TIMEOUT_S and any_died()
            ):
                raise ResultsLost(
                    f"a worker's results were lost ({len(due) - received} messages never arrived)"
                )
        try:
            sent = conn.recv()
        except (EOFError, OSError):  # the pipe closed: the collector is gone
            raise self.died() from None
        if isinstance(sent, _CollectorFailed):
            raise sent.error
        return sent

    def close(self, finished: bool) -> None:
        """Let a ``finished`` collector exit and flush the queue; else kill it
        and leave the queue unflushed (nobody reads it any more)."""
        if self._proc is not None:
            if finished:
                self._proc.join(MESSAGE_TIMEOUT_S)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(EXIT_WAIT_S)
        if self._conn is not None:
            self._conn.close()
        if self.queue is not None:
            if finished:
                self.queue.close()
                self.queue.join_thread()
            else:
                self.queue.cancel_join_thread()
