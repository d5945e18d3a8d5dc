"""Lanes: a worker's threads, for many requests in flight from one process.

On a network or FUSE filesystem every open, readdir and stat waits for a
round trip, and Python releases the GIL while it waits.  A task is then
run by several lanes, each a Scanner of its own running the same
per-entry pipeline, sharing one queue of directories and pieces of large
directories.  Imports nothing of the pipeline: a lane is made as its
owner's class.
"""

from __future__ import annotations

import _thread
import threading
import time
from collections import deque

# 8 names a piece: a directory of 1,000 files is 125 pieces that lanes
# stat at once instead of 1,000 round trips in a row, and the first
# subdirectories are found after 8 stats, not after all of them.  Each
# piece costs one more open of the directory.
LANE_SPLIT = 8

# What a task with threads is given from the walker's frontier, per thread:
# directories, and names of chunks (pieces of large directories).  Enough
# that the threads never wait while work waits in the frontier (64 a task
# left a 5 ms mount at a few requests in flight for up to a second), few
# enough that a task ends about when its deadline says, for the progress
# bar and the balance between workers.
BATCH_DIRS, BATCH_CHUNK_NAMES = 16, 32

# The stack of each thread a pool worker starts (see init_worker).
LANE_STACK = 1 << 20

# How long a task waits for a lane thread it started to run: one that has
# not run by then died starting (ulimit -v), and will not (see Lanes.run).
LANE_START_S = 2.0

# How long a task with lanes goes on into what it finds (see _LaneQueue).
LANE_DESCEND_S = 1.0


class Lanes:
    """A worker's threads: many requests in flight from one process.

    On a network or FUSE filesystem every open, readdir and stat waits for a
    round trip, and Python releases the GIL while it waits: so ``n``
    threads keep ``n`` requests in flight where one process keeps one.
    Each thread is a lane with its own Scanner (its own kept directory and
    candidates for the largest files) running the same per-entry pipeline;
    the lanes of one task share a queue of directories and of chunks, and
    their records leave in the task's one message.  The names of a large
    directory are stat'ed by several lanes at once: a directory of more
    than LANE_SPLIT names is read in pieces, as the walker splits one of
    more than ``split_at`` into chunks (the collector takes each once either
    way).
    """

    def __init__(self, owner, n: int):
        self.owner = owner
        self.n = n
        self.lanes: list = []
        self.threads_failed = False
        # A task left at Ctrl-C: its threads may still be in a request,
        # holding their kept directory; each closes its own as it ends
        # (closing it from here could close a number already reused).
        self.abandoned = False

    def release(self):
        if not self.abandoned:
            for lane in self.lanes:
                lane.release()

    def run(self, dir_tasks, chunk_tasks, descend_s, stop_at=None):
        """(records, subdirs, chunks) of the tasks, as Scanner.run makes them."""
        cfg = self.owner.config
        if not self.lanes:
            for _ in range(self.n):
                lane = type(self.owner)(cfg, None)  # a Scanner without a sink
                lane.split_at = cfg.piece
                self.lanes.append(lane)
        state = _LaneQueue(
            dir_tasks, chunk_tasks, descend_s, cfg.options.split_at, cfg.piece, stop_at
        )
        if not self.threads_failed:
            # Bare threads (_thread): threading.Thread.start() waits for the
            # new thread to say it runs, and one that ran out of memory in
            # its own start-up (ulimit -v) never says so: the task hung.
            for lane in self.lanes[1:]:
                try:
                    _thread.start_new_thread(state.enter, (lane,))
                except RuntimeError:  # no thread to spare (ulimit -v): fewer lanes
                    self.threads_failed = True
                    break
                state.launched += 1
        try:
            state.serve(self.lanes[0])  # this thread is a lane too
        except BaseException:
            # Ctrl-C (raised here, in the main thread): not a moment's wait
            # for threads that may sit in a stat of a dead server.  They see
            # the task stopped and end after the piece they are reading.
            self.abandoned = True
            state.stop()
            raise
        if not state.close(LANE_START_S):
            self.threads_failed = True  # some never started: none from now on
        if state.failure is not None:
            raise state.failure
        return state.records, state.leftover(), state.leftover_chunks()


class _LaneQueue:
    """The work of one task, shared by its lanes (see Lanes)."""

    def __init__(self, dir_tasks, chunk_tasks, descend_s, split_at, piece, stop_at=None):
        self.ready = threading.Condition()
        # The task's own directories and chunks are done whatever the time,
        # a chunk in pieces (numbered as the config says); what the lanes
        # find (subdirectories, pieces of large directories) until the
        # deadline, then it goes back to the walker.
        self.given = deque(dir_tasks)
        self.given_chunks = deque(
            chunk._replace(names=chunk.names[i : i + piece], part=chunk.part + i // piece)
            for chunk in chunk_tasks
            for i in range(0, len(chunk.names), piece)
        )
        self.found = deque()
        self.made = deque()
        self.split_at, self.piece = split_at, piece
        self.descend = bool(descend_s)
        # A lane's round trip is slow (that is why there are lanes): a task
        # goes on long enough for them to overlap many, and short enough for
        # the walker to balance the work and the progress bar to move.
        self.deadline = time.monotonic() + max(descend_s, LANE_DESCEND_S)
        if stop_at is not None:
            self.deadline = min(self.deadline, stop_at)
        self.busy = 0
        self.records, self.subdirs = [], []
        self.failure = None
        # Threads started for this task, those that came (enter), those
        # that left; once closed, one that comes late leaves at once.
        self.launched = self.arrived = self.left = 0
        self.closed = False

    def enter(self, lane):
        """A lane thread's body: serve, unless the task is over already."""
        with self.ready:
            if self.closed:
                return
            self.arrived += 1
        try:
            self.serve(lane)
        finally:
            with self.ready:
                self.left += 1
                self.ready.notify_all()

    def close(self, start_s) -> bool:
        """Wait for the lanes that came to leave, and up to ``start_s`` for
        those not come yet; then no more come.  False if some never came
        (a thread that died starting)."""
        deadline = time.monotonic() + start_s
        with self.ready:
            while self.left < self.arrived or (
                self.arrived < self.launched and time.monotonic() < deadline
            ):
                self.ready.wait(0.05)
            self.closed = True
            return self.arrived == self.launched

    def _next(self):
        if self.given:
            return self.given.popleft()
        if self.given_chunks:
            return self.given_chunks.popleft()
        if time.monotonic() >= self.deadline:
            return None
        if self.made:  # before subdirectories: they finish directories begun
            return self.made.popleft()
        if self.found:
            return self.found.pop()
        return None

    def serve(self, lane):
        ready = self.ready
        while True:
            with ready:
                while True:
                    task = self._next() if self.failure is None else None
                    if task is not None or self.busy == 0 or self.failure is not None:
                        break
                    ready.wait(0.05)  # re-checks the deadline while others work
                if task is None:
                    ready.notify_all()
                    if self.failure is not None:
                        lane.release()  # see Lanes.abandoned
                    return
                self.busy += 1
            records, subdirs, chunks = [], [], []
            try:
                lane.read(task, records, subdirs, chunks)
            except Exception as exc:  # re-raised by the task's thread
                with ready:
                    self.failure = exc
                    self.busy -= 1
                    ready.notify_all()
                lane.release()
                return
            except BaseException:  # Ctrl-C in the main thread's lane: see Lanes.run
                with ready:
                    self.busy -= 1
                    ready.notify_all()
                lane.release()
                raise
            with ready:
                self.busy -= 1
                self.records += records
                self.made.extend(chunks)
                if self.descend:
                    self.found.extend(subdirs)
                else:
                    self.subdirs += subdirs
                ready.notify_all()

    def stop(self):
        """Make every lane stop taking work (the task is abandoned)."""
        with self.ready:
            self.given.clear()
            self.given_chunks.clear()
            self.failure = self.failure or RuntimeError("stopped")
            self.ready.notify_all()

    def leftover(self):
        return self.subdirs + list(self.found)

    def leftover_chunks(self):
        """Chunks not done, whole again: a lane's small chunks of one directory
        are merged into chunks of up to the walker's size (parts stay unique)."""
        out = []
        piece = self.piece
        for chunk in self.made:
            last = out[-1] if out else None
            if (
                last is not None
                and last.key == chunk.key
                and len(last.names) % piece == 0
                and last.part + len(last.names) // piece == chunk.part
                and len(last.names) < self.split_at
            ):
                out[-1] = last._replace(names=last.names + chunk.names)
            else:
                out.append(chunk)
        return out
