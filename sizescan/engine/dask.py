"""Scans on a Dask cluster: the same walker, with Dask workers reading.

::

    caller's process                          Dask cluster
    +---------------------------+  submit   +-----------+     +---------------+
    | walker (engine._walk):    | --------> | scheduler | --> | Dask workers  |
    |   the frontier            |           +-----------+     | (one Scanner  |
    | DaskBackend               | <-------------------------- |  per task)    |
    | collector (in-process):   |  as_completed: a task's     +---------------+
    |   totals, links, spool    |  records, and the frontier
    +---------------------------+  it did not finish

The engine's walker stays the driver: it keeps the frontier and hands out
work through the same :class:`~sizescan.engine.Backend` seam as the local
pool.  A Dask task costs about a millisecond of scheduler time, so a task is
a time budget of work (ScanOptions.task_budget_s, 0.2 s: Dask's docs say
tasks under ~100 ms see little speed-up), never one directory: a few
directories, descended into until the budget is spent; what is left comes
back with the records, and the walker splits it among the next tasks.  No
task submits tasks.  The records reach the driver with each task's result
and go to the same Collector as on one machine, which takes each once: a
task that Dask reruns after its worker died is counted once.

**Identity across hosts.**  ``st_dev`` names a device on one host only: the
same NFS or Lustre file has a different one on every client.  Each worker
maps the devices it sees to the scan's (the driver's) by the paths where
they show: the device of each PATH to the PATH's device on the driver, and
a filesystem mounted inside a PATH to the device the driver sees at the
same mount point.  Devices leave a worker in the scan's numbers, so hard
links, -x and the PATH-inside-PATH rules work as on one machine.  Inode
numbers are taken as they are: network and cluster filesystems give a file
the same one on every client.  A device a worker sees at no such path
keeps its own number.  A worker that sees no PATH, or another directory
there (another inode), or that lacks a filesystem mounted inside a PATH on
the driver (or has one of another type there), fails the scan with
PathNotOnWorker naming the worker and the path.
"""

from __future__ import annotations

import contextlib
import copy
import os
import threading
import time
import uuid
from collections import deque
from typing import NamedTuple

from .._version import __version__
from ..errors import (
    ClusterLost,
    ClusterUnavailable,
    ClusterUnreachable,
    InvalidOption,
    PathNotOnWorker,
    WorkerFailed,
    WorkersKeptDying,
)
from ..model.result import ClusterUse
from .frontier import Backend
from .fs import kernfs_devices, mount_points_inside, mounts, types_at
from .pipeline import Scanner, WorkerConfig
from .records import Message, TaskResult

# Directories given to one task: it goes on into what it finds anyway, and a
# task's own directories are read whatever the budget says.
MAX_DIRS_PER_TASK = 16
# Tasks out per Dask worker thread: one running, one waiting, so a thread
# never idles while its next task crosses the network.
TASKS_PER_THREAD = 2
# How long to wait for the scheduler when connecting, and how long a scan
# waits with the scheduler unreachable, or with no worker, before failing.
CONNECT_TIMEOUT_S = 5.0
LOST_AFTER_S = 5.0
# How long Ctrl-C or a failure waits for the scheduler to take this scan's
# tasks back before the scan ends anyway.
CANCEL_WAIT_S = 0.5


class Site(NamedTuple):
    """What the driver sees of the PATHs, for each worker to match its own view."""

    token: str  # this scan's, unique: names its tasks and its view on each worker
    version: str
    cwd: str  # where relative PATHs are
    roots: tuple  # (path, follow symlinks, dev, ino) of each PATH read by workers
    mounts: tuple  # (mount point, dev, type) of each filesystem mounted inside a PATH


class Job(NamedTuple):
    """What every task of one scan carries: small (a few hundred bytes)."""

    site: Site
    config: WorkerConfig


def survey(roots, table) -> Site:
    """The driver's view: ``roots`` is (path as given, follow, stat) of each
    directory PATH, ``table`` the mount table."""
    inside = []
    types = types_at(table)
    for mount_point in mount_points_inside([path for path, _, _ in roots], table):
        try:
            inside.append((mount_point, os.stat(mount_point).st_dev, types.get(mount_point)))
        except OSError:
            continue
    try:
        cwd = os.getcwd()
    except OSError:  # deleted under us: only absolute PATHs can be found then
        cwd = "/"
    return Site(
        uuid.uuid4().hex,
        __version__,
        cwd,
        tuple((path, follow, st.st_dev, st.st_ino) for path, follow, st in roots),
        tuple(inside),
    )


# This process's view of each scan it has read for, by token: a Dask worker
# runs many tasks of a scan, and looks at the PATHs once.
_views: dict = {}
_views_lock = threading.Lock()
_VIEWS_KEPT = 8


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"process {os.getpid()}"


def local_view(job: Job):
    """``job.config`` for this host: its devices mapped (see the module docstring)."""
    site, config = job
    with _views_lock:
        known = _views.get(site.token)
    if known is not None:
        return known
    if site.version != __version__:
        raise WorkerFailed(
            f"Dask worker {_worker_name()} runs sizescan {__version__}, "
            f"this scan {site.version}: install the same version everywhere"
        )
    devices: dict = {}  # this host's device -> the scan's
    for path, follow, dev, ino in site.roots:
        path = os.path.join(site.cwd, path)
        try:
            st = os.stat(path, follow_symlinks=follow)
        except OSError as exc:
            raise PathNotOnWorker(_worker_name(), path, exc.strerror or str(exc)) from None
        if st.st_ino != ino:
            raise PathNotOnWorker(
                _worker_name(), path, f"another directory is there (inode {st.st_ino}, not {ino})"
            )
        devices.setdefault(st.st_dev, dev)
    # Every filesystem mounted inside a PATH on the driver must be mounted
    # there here too, of the same type: else this worker would read the
    # directory under it (another tree, or an empty one) and say nothing.
    types = types_at(mounts())
    for mount_point, dev, fstype in site.mounts:
        here = types.get(mount_point)
        if here != fstype:
            raise PathNotOnWorker(
                _worker_name(),
                mount_point,
                f"a {fstype} filesystem is mounted there on the caller, "
                + (f"a {here} one on this worker" if here else "none on this worker"),
            )
        try:
            devices.setdefault(os.stat(mount_point).st_dev, dev)
        except OSError as exc:
            raise PathNotOnWorker(_worker_name(), mount_point, exc.strerror or str(exc)) from None
    view = copy.copy(config)
    here = {scan_dev: local for local, scan_dev in devices.items()}
    view.entries = config.entries.on_host(here, kernfs_devices())  # this host's pseudo filesystems
    view.devices = {local: d for local, d in devices.items() if local != d} or None
    view.base = site.cwd
    with _views_lock:
        while len(_views) >= _VIEWS_KEPT:
            _views.pop(next(iter(_views)))
        _views[site.token] = view
    return view


def read_batch(job: Job, dir_tasks, chunk_tasks, budget_s):
    """A Dask task: read the directories and chunks given, then go on into what
    they hold until ``budget_s`` is spent.  Returns (records, subdirectories
    and chunks left, this worker's address)."""
    messages: list = []
    scanner = Scanner(local_view(job), messages.append)
    try:
        result = scanner.run(
            dir_tasks, chunk_tasks, stop_at=time.monotonic() + budget_s, descend_s=budget_s
        )
    finally:
        scanner.release()  # a Dask worker keeps no directory open between tasks
    return (messages[0].records if messages else []), result.subdirs, result.chunks, _worker_name()


def _lost_connection():
    """What a call to a scheduler that is gone raises.  asyncio is imported here,
    not with the module: a scan without a cluster does not pay for it."""
    from asyncio import CancelledError as LoopCancelled
    from concurrent.futures import CancelledError

    return OSError, TimeoutError, CancelledError, LoopCancelled


class Cluster:
    """A Dask cluster to scan with: a scheduler's address, or a ``distributed.Client``
    (used as it is, and left open)."""

    def __init__(self, scheduler, tls=None):
        try:
            import distributed
        except ModuleNotFoundError:
            raise ClusterUnavailable(
                "scanning on a Dask cluster needs dask and distributed: "
                "pip install 'sizescan[dask]'"
            ) from None
        if isinstance(scheduler, distributed.Client):
            if tls:
                raise InvalidOption(
                    "tls is for a scheduler given by its address; a Client brings its own security"
                )
            self.client, self._owned = scheduler, False
        elif isinstance(scheduler, str):
            from distributed.comm import get_address_host_port

            try:
                # Checked first: a Client that fails on a malformed address
                # stalls for 10 s in its finalizer.
                get_address_host_port(scheduler)
            except ValueError as exc:
                raise InvalidOption(f"bad scheduler address {scheduler!r}: {exc}") from None
            security = _security(scheduler, tls)
            try:
                self.client = distributed.Client(
                    scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False, security=security
                )
            except (OSError, TimeoutError, ValueError) as exc:
                raise ClusterUnreachable(scheduler, exc) from None
            except MemoryError:
                # Dask reads a frame's length from the first bytes it gets:
                # from a server that is not a Dask scheduler, a length in
                # the exabytes.
                raise ClusterUnreachable(
                    scheduler, "what answers there is not a Dask scheduler"
                ) from None
            self._owned = True
        else:
            raise InvalidOption(
                f"scheduler must be an address or a distributed.Client, not {scheduler!r}"
            )
        self.address = self.client.scheduler.address

    def backend(self, config, roots, table, sink) -> DaskBackend:
        return DaskBackend(self, Job(survey(roots, table), config), sink)

    def close(self):
        if self._owned:
            with contextlib.suppress(Exception):  # closing a client whose scheduler is gone
                self.client.close(timeout=CANCEL_WAIT_S)


# The PEM files a tls:// scheduler is reached with (scan(tls=...), the
# CLI's --tls-* options): Dask's own names for them.
TLS_FILES = {"ca_file": "tls_ca_file", "cert": "tls_client_cert", "key": "tls_client_key"}


def _security(address: str, tls):
    """The ``distributed.security.Security`` to reach ``address`` with: the
    files in ``tls`` (see TLS_FILES), else Dask's configuration's
    (``distributed.comm.tls.*``, e.g. DASK_DISTRIBUTED__COMM__TLS__CA_FILE)."""
    from distributed.security import Security

    if not tls:
        security = Security()
    else:
        unknown = set(tls) - set(TLS_FILES)
        if unknown:
            raise InvalidOption(
                f"tls takes {', '.join(TLS_FILES)}, not {', '.join(sorted(unknown))}"
            )
        for name, path in tls.items():
            if not isinstance(path, (str, os.PathLike)) or not os.path.isfile(path):
                raise InvalidOption(f"tls {name}: {path!r} is not a file")
        security = Security(
            require_encryption=True,
            **{TLS_FILES[name]: os.fspath(path) for name, path in tls.items()},
        )
    if address.startswith("tls://") and not (
        getattr(security, "tls_ca_file", None) and getattr(security, "tls_client_cert", None)
    ):
        raise ClusterUnreachable(
            address,
            "a tls:// scheduler needs a CA file and a "
            "certificate (--tls-ca-file, --tls-cert, --tls-key, or "
            "Dask's distributed.comm.tls configuration)",
        )
    return security


class DaskBackend(Backend):
    """Tasks on a Dask cluster, fed from the walker's frontier (see the module docstring)."""

    def __init__(self, cluster: Cluster, job: Job, sink):
        from distributed import as_completed

        self.cluster = cluster
        self._client = cluster.client
        self._job = job
        self._sink = sink
        self._done = as_completed([], loop=self._client.loop, with_results=True, raise_errors=False)
        self._ready: deque = deque()
        self._out: dict = {}  # key -> future
        self._next = 0
        self.tasks = 0
        self.workers_seen: set = set()
        self._nthreads: dict = {}  # every Dask worker seen connected: its threads
        self._trouble_since = None
        self._asked = 0.0
        try:
            self._size()
        except _lost_connection():
            raise ClusterLost(cluster.address, "the scheduler does not answer") from None

    def _size(self):
        """Ask the scheduler for its workers (bounded: a scheduler stopped with its
        connection open would otherwise be waited for forever)."""
        nthreads = self._client.nthreads(callback_timeout=LOST_AFTER_S)
        self._nthreads.update(nthreads)
        self.capacity = TASKS_PER_THREAD * max(1, sum(nthreads.values()))
        return nthreads

    def usage(self) -> ClusterUse:
        """Which part of the cluster took part."""
        return ClusterUse(
            self.cluster.address,
            len(self.workers_seen),
            sum(self._nthreads.get(w, 1) for w in self.workers_seen),
            self.tasks,
        )

    @property
    def inflight(self):
        return len(self._out)

    def fill(self, frontier):
        pending = frontier.pending
        while len(self._out) < self.capacity and (pending or frontier.chunks):
            if frontier.chunks:
                self._submit((), (frontier.chunks.popleft(),))
                continue
            size = max(1, min(MAX_DIRS_PER_TASK, len(pending) // self.capacity))
            self._submit(frontier.take_dirs(size), ())

    def _submit(self, dir_tasks, chunk_tasks):
        key = f"sizescan-{self._job.site.token}-{self._next}"
        self._next += 1
        future = self._client.submit(
            read_batch,
            self._job,
            dir_tasks,
            chunk_tasks,
            self._job.config.options.task_budget_s,
            key=key,
            pure=False,
        )
        self._out[key] = future
        self._done.add(future)
        self.tasks += 1

    def next_result(self, timeout):
        if not self._ready:
            deadline = time.monotonic() + timeout
            waiting = self._done.thread_condition
            while not self._done.has_ready():
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                with waiting:  # woken by each completion; short, so none is missed for long
                    waiting.wait(min(left, 0.01))
            self._ready.extend(self._done.next_batch(block=False))
        future, value = self._ready.popleft()
        self._out.pop(future.key, None)
        if future.status == "error":
            raise self._failure(value[1])
        if future.cancelled():  # by the scheduler, or with the connection to it
            raise ClusterLost(
                self.cluster.address,
                "the scheduler does not answer"
                if self._client.status != "running"
                else "the scheduler cancelled this scan's tasks",
            )
        records, subdirs, chunks, worker = value
        self.workers_seen.add(worker)
        if records:
            self._sink(Message(None, records))
        return TaskResult(None, 0, subdirs, chunks)

    def _failure(self, exc):
        from distributed import KilledWorker

        if isinstance(exc, (PathNotOnWorker, WorkerFailed)):
            return exc
        if isinstance(exc, KilledWorker):
            return WorkersKeptDying(
                f"Dask workers died every time they ran the same task ({exc}); giving up"
            )
        return WorkerFailed(f"a Dask worker failed: {exc!r}")

    def check(self):
        """Fail within LOST_AFTER_S (and a second) when the scheduler does not
        answer or no worker is left; otherwise note workers that came or went.
        Asks the scheduler at most once a second."""
        now = time.monotonic()
        if now - self._asked < 1.0:
            return
        self._asked = now
        running = self._client.status == "running"
        try:
            nthreads = self._size() if running else {}
        except _lost_connection():
            raise ClusterLost(self.cluster.address, "the scheduler does not answer") from None
        problem = (
            "the scheduler does not answer"
            if not running
            else None
            if nthreads
            else "no Dask worker is connected"
        )
        if problem is None:
            self._trouble_since = None
        elif self._trouble_since is None:
            self._trouble_since = now
        elif now - self._trouble_since > LOST_AFTER_S:
            raise ClusterLost(self.cluster.address, problem)

    def close(self):
        """Take this scan's tasks off the cluster: nothing stays queued for it.
        Bounded (CANCEL_WAIT_S), so Ctrl-C ends the scan at once even with a
        scheduler that does not answer: the cancel then goes on in a thread."""
        out, self._out = list(self._out.values()), {}
        self._done.clear()
        if not out:
            return
        client = self._client

        def cancel():
            with contextlib.suppress(Exception):  # the scheduler is gone: nothing is queued
                client.cancel(out, force=True)

        thread = threading.Thread(target=cancel, name="sizescan-cancel", daemon=True)
        thread.start()
        thread.join(CANCEL_WAIT_S)
