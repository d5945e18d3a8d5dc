"""The exceptions :func:`sizescan.scan` raises: unusable input, or a scan that failed.

Problems with single paths met during a scan are never raised; they are
listed in :attr:`sizescan.ScanResult.errors`.  Every way the engine itself
can fail has a class of its own, so a caller (the CLI) can say what
happened without guessing from a bare ``OSError``.
"""

from __future__ import annotations

import signal
from typing import Optional


class ScanError(Exception):
    """Base class: the scan could not be done at all."""


class InvalidOption(ScanError, ValueError):
    """An option value makes no sense (``workers=0``, ``top=-1``, ...)."""


class CannotAccess(ScanError):
    """The only PATH given cannot be stat'ed (missing, or a parent unsearchable).

    With several PATHs, one that cannot be accessed is an entry in
    ``result.errors`` instead, and the others are still scanned (as du does).
    """

    def __init__(self, path: str, message: str):
        super().__init__(f"cannot access {path!r}: {message}")
        self.path = path
        self.message = message


class EngineFailure(ScanError):
    """The scan engine itself failed; the subclasses say how."""


class WorkerFailed(EngineFailure):
    """Worker code raised, or a task's result could not be sent back."""


class WorkersKeptDying(EngineFailure):
    """Workers died every time they took the same directories (the OOM killer, a
    filesystem that kills its readers): the scan gave up instead of looping."""


def describe_exit(exitcode) -> str:
    """A process's end in words: "exit status 3", "killed by SIGKILL"."""
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}"


class CollectorDied(EngineFailure):
    """The collector process, which holds every total, is gone before the result."""

    def __init__(self, exitcode=None):
        super().__init__(f"the collector process died ({describe_exit(exitcode)})")
        self.exitcode = exitcode


class ResultsLost(EngineFailure):
    """Records a worker sent never reached the collector (a worker killed while
    writing them)."""


class PoolFailed(EngineFailure):
    """The worker pool or the collector could not be started (out of
    descriptors, memory or processes)."""


class ExportFailed(ScanError):
    """The export (or the report: ``what``) could not be written: ``target``
    is the file's name, ``errno`` and ``strerror`` say why."""

    def __init__(self, target: Optional[str], error: OSError, what: str = "export"):
        self.target = target
        self.what = what
        self.errno = error.errno
        self.strerror = error.strerror or str(error)
        super().__init__(f"cannot write the {what} to {target!r}: {self.strerror}")


class BadExport(ScanError):
    """An export file that cannot be read: the message says what and where."""


class ClusterUnavailable(ScanError):
    """A Dask cluster was asked for, and dask or distributed is not installed."""


class ClusterUnreachable(EngineFailure):
    """No Dask scheduler answers at the address given."""

    def __init__(self, address: str, reason):
        super().__init__(f"cannot reach the Dask scheduler at {address}: {reason}")
        self.address = address


class ClusterLost(EngineFailure):
    """The Dask scheduler stopped answering during the scan, or no worker was left."""

    def __init__(self, address: str, reason: str):
        super().__init__(f"lost the Dask cluster at {address}: {reason}")
        self.address, self.reason = address, reason

    def __reduce__(self):
        return type(self), (self.address, self.reason)


class PathNotOnWorker(EngineFailure):
    """A Dask worker cannot see a PATH (not mounted there, or another directory)."""

    def __init__(self, worker: str, path: str, reason: str):
        super().__init__(f"Dask worker {worker} cannot scan {path!r}: {reason}")
        self.worker, self.path, self.reason = worker, path, reason

    def __reduce__(self):  # raised on a worker, pickled back to the driver
        return type(self), (self.worker, self.path, self.reason)


class HistoryError(Exception):
    """The history database cannot be used as asked: missing, not a sizescan
    history, damaged, made by a newer sizescan, read-only, full, or a
    snapshot that is not there.  The message says which, naming the file;
    nothing in the database was changed by the failed call."""


class NotInHistory(HistoryError):
    """The history has no snapshot of that PATH, or none that holds that directory."""
