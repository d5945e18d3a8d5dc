"""The workers' one queue to the collector process, which says when a message is lost."""

from __future__ import annotations

import multiprocessing.queues

from ..errors import ResultsLost

# What a worker writes in SinkQueue.lost when a message it put was lost.
LOST_OUT_OF_MEMORY, LOST_FAILED = 1, 2


class SinkQueue(multiprocessing.queues.Queue):
    """The workers' one queue to the collector, which says so when a message
    put in it is lost.

    A Queue writes in a feeder thread of the process that puts, and pickles
    there what it writes (the worker's message, pickled bytes: a copy).  A
    failure there, MemoryError under ulimit -v, is printed with a traceback
    and the message dropped: the worker, its task done, never knows, and the
    walker would wait for that message until a worker died.  Here the
    feeder marks ``lost`` in shared memory instead, and the walker fails the
    scan the way the feeder failed (tests/test_resources.py).
    """

    def __init__(self, ctx):
        super().__init__(ctx=ctx)
        self.lost = ctx.RawValue("b", 0)

    # A Queue goes to a process as it starts, through these two: ``lost`` with it.
    def __getstate__(self):
        return super().__getstate__(), self.lost

    def __setstate__(self, state):
        queue_state, self.lost = state
        super().__setstate__(queue_state)

    def _on_queue_feeder_error(self, e, obj):
        self.lost.value = LOST_OUT_OF_MEMORY if isinstance(e, MemoryError) else LOST_FAILED

    def check(self) -> None:
        """Raise what a worker's feeder met, if a message was lost."""
        lost = self.lost.value
        if lost == LOST_OUT_OF_MEMORY:
            raise MemoryError("a worker ran out of memory sending its results")
        if lost:
            raise ResultsLost("a worker could not send its results")
