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
    walker.run() returns them to api.scan()

Who sends what, and waits for what:

* **walker** (``run``, ``_walk``, in the caller's process; its plan in
  ``plan``, its frontier in ``frontier``): owns the
  frontier of directories still to read.  Sends tasks to the pool, at most
  two per worker in flight; waits for their TaskResults (at most
  PROGRESS_INTERVAL_S at a time, then samples progress and checks on the
  workers and the collector).  When the walk is over, sends the collector
  the set of task ids whose message is due, then waits for the result: no
  wait is unbounded, and a silence means something is lost, never slow.
* **worker** (``pipeline.Scanner``, in each pool process made by
  ``worker.init_worker``; supervised by ``pool``): waits for a task;
  reads its directories, stats every entry, goes on into what it finds for
  a few milliseconds; sends one Message of Records to the collector's queue
  and returns a TaskResult to the walker.  Writes its pid into shared
  memory when it starts and when it takes a task.
* **collector** (``collector.CollectorProcess`` around ``collect.Collector``): waits on
  its queue; takes each Record once (work redone after a death may arrive
  twice), owns every total and hands each record to the export's spool;
  publishes running counts in shared memory.  Once it has every message
  the walker named, sends the ScanResult and the spool back and exits.
* **CLI** (``command.cli``): calls ``scan()``, draws the sampled progress, and
  turns each named failure (``errors``) into one line and an exit status.

A worker that dies costs the pool (see ``pool.PoolBackend``), never a byte
or a hang; a collector that dies fails the scan with CollectorDied.

Small trees never pay for processes: the walker first runs the same worker
code in its own process for a few tens of milliseconds, and starts the pool
and the collector only if work is left, handing over what it has counted so
far.  The pool sits behind the small ``frontier.Backend`` seam (``fill`` it
from the frontier, take the ``next_result``, ``check`` for lost work), so
another executor can run the same walker.  The engine knows no output
format: the export's encoder and spool are handed in (see ``api``).
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass, replace

from .._version import __version__
from ..errors import PoolFailed
from .collect import Collector
from .collector import CollectorProcess
from .frontier import Backend, Frontier
from .lanes import BATCH_CHUNK_NAMES, BATCH_DIRS
from .pipeline import Scanner
from .plan import Plan, first_tasks, plan_scan
from .pool import PoolBackend, children_can_start

# How often progress is sampled, and the walk looks at its workers and its
# collector; never per file.
PROGRESS_INTERVAL_S = 0.1


@dataclass(frozen=True)
class ScanProgress:
    """Counts so far, handed to the ``progress`` callback a few times a second."""

    files: int
    dirs: int
    size: int
    disk_usage: int
    elapsed_s: float


class InlineBackend(Backend):
    """Runs worker code in the calling process, one task at a time."""

    def __init__(self, scanner: Scanner, stop_at=None):
        self._scanner = scanner
        self._stop_at = stop_at  # when the pool takes over (see run)
        self._result = None

    def fill(self, frontier):
        if self._result is not None:
            return
        depth = self._scanner.io_depth
        if depth > 1 and self._stop_at is None:
            # The only scanner, with threads: given a batch of the frontier
            # for all of them, chunks included (see lanes.BATCH_DIRS).
            batch = frontier.take_dirs(BATCH_DIRS * depth)
            chunks = frontier.take_chunks(BATCH_CHUNK_NAMES * depth)
            self._result = self._scanner.run(batch, chunks)
        elif frontier.chunks:
            self._result = self._scanner.run((), (frontier.chunks.popleft(),))
        elif frontier.pending:
            # A scanner with threads gets enough directories to keep them
            # busy; what it is given it reads whatever the time, so no more
            # while the pool waits to take over (stop_at).
            batch = frontier.take_dirs(self._scanner.io_depth)
            self._result = self._scanner.run(batch, stop_at=self._stop_at)

    def next_result(self, timeout):
        result, self._result = self._result, None
        return result


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


def run(
    paths, options, *, progress=None, encoder=None, spool=None, slashed=frozenset(), cluster=None
):
    """Scan the normalized ``paths`` with ``options``: plan, walk, result.

    ``encoder`` and ``spool`` are the export's (see ``files.ncdu``), or
    None: the workers hand each entry to the encoder, the collector each
    record to the spool.  Returns the ScanResult and the spool as the
    collector left it (it may have travelled to the collector process and
    back).  ``slashed`` holds the indexes of the PATHs given with a
    trailing slash (see plan_scan).  ``cluster`` (a ``dask.Cluster``) runs
    the worker code on a Dask cluster instead of local processes; the
    walker and the collector stay here.
    """
    started = time.monotonic()
    plan = plan_scan(paths, options, slashed=slashed, encoder=encoder)
    collector = Collector(paths, options, spool)
    collector.errors.extend(plan.errors)
    collector.skipped_roots = plan.skipped
    collector.bound_devs = plan.bound_devs
    frontier = Frontier(options.dereference)
    tasks, records = first_tasks(plan)
    for task in tasks:
        frontier.add_root(task)
    if records:
        collector.add(records)
    tick = _ProgressSampler(progress, collector, started)
    if cluster is not None:
        result, used = _scan_on_cluster(cluster, frontier, collector, plan, tick)
    else:
        result, spool, used = _scan_here(frontier, collector, plan, options, tick)
    return _finished(result, used, plan, started, options), spool


def _finished(result, used, plan: Plan, started: float, options):
    """The result, complete: how it was made, under which rules, and when."""
    return replace(
        result,
        rules=options.rules(),
        workers=used,
        io_depth=plan.io_depth,
        started_at=plan.now,
        elapsed_s=time.monotonic() - started,
    )


def _scan_here(frontier, collector, plan: Plan, options, tick):
    """(result, spool, workers used) of a walk on this machine.

    The walker starts alone: the worker code runs here, its records go
    straight to the local collector.  A tree that fits in the inline budget
    is done faster than a pool could start (one worker: the tree was done
    before a pool was worth starting).  Its threads, if any, end with each
    task: none is running when the pool is forked.
    """
    scanner = Scanner(plan.config, collector.take)
    deadline = None if plan.workers == 1 else tick.started + options.inline_budget_s
    try:
        finished = _walk(InlineBackend(scanner, deadline), frontier, tick, deadline)
    finally:
        scanner.release()  # the caller's process keeps no directory open
    if finished:
        return collector.result(__version__), collector.spool, 1
    spool = collector.spool
    if spool is not None:
        spool.close()  # the collector process writes from here on
    try:
        result, spool = _scan_with_pool(frontier, collector, plan, options.start_method, tick)
        return result, spool, plan.workers
    except _PoolNotStarted:
        # Out of descriptors, memory, processes or threads before anything
        # was handed over: the walk goes on here, slower but whole.
        tick.counts = collector
        try:
            _walk(InlineBackend(scanner), frontier, tick)
        finally:
            scanner.release()
        return collector.result(__version__), spool, 1


class _PoolNotStarted(Exception):
    """The pool or the collector could not be started: nothing was handed over yet."""


def _scan_on_cluster(cluster, frontier, collector, plan: Plan, tick):
    """(result, workers used) of the whole walk on a Dask cluster (see
    ``dask``): no local phase, as the cluster was asked for; the records
    come back to this process's collector."""
    roots = [
        (root.spelled, root.follow, root.stat)
        for root in plan.roots
        if root.stat is not None and not root.counted_earlier and root.is_dir
    ]
    backend = cluster.backend(plan.config, roots, plan.mount_table, collector.take)
    try:
        _walk(backend, frontier, tick, check=backend.check)
    finally:
        backend.close()  # after a failure or Ctrl-C: nothing left queued for this scan
    usage = backend.usage()
    return replace(collector.result(__version__), cluster=usage), usage.workers


def _scan_with_pool(frontier, collector, plan: Plan, start_method, tick):
    """The rest of the walk with worker processes and the collector process."""
    ctx = multiprocessing.get_context(start_method)
    if not children_can_start(ctx):
        raise _PoolNotStarted("the main module cannot be loaded again")
    process = CollectorProcess(ctx, collector, __version__)
    backend = None
    finished = False
    try:
        try:
            process.start()
        except (OSError, RuntimeError, MemoryError) as exc:
            raise _PoolNotStarted(exc) from None
        tick.counts = process.counters

        def check():
            process.check()
            backend.check()

        backend = PoolBackend(ctx, plan.workers, plan.config, process.queue)
        try:
            backend.start()
        except PoolFailed as exc:
            raise _PoolNotStarted(exc) from None
        _walk(backend, frontier, tick, check=check)
        result = process.result(backend.delivered, backend.any_died, tick)
        # The collector has every message: nothing the workers hold matters.
        backend.terminate()
        backend = None
        finished = True
        return result
    finally:
        if backend is not None:  # failed or interrupted: nothing the workers hold matters
            backend.terminate(kill=True)
        process.close(finished)
