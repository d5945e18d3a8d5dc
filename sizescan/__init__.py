"""sizescan: where did my disk space go?  A parallel disk-usage scanner.

>>> from sizescan import scan
>>> result = scan("/var/log")          # doctest: +SKIP
>>> result.total_size, result.disk_usage  # == du -sb, du -sB1  # doctest: +SKIP
"""

from ._version import __version__

# Imported when first used (PEP 562): the command installs its signal
# handlers before any of this is imported (see _launch), and a library
# user who needs only read_export does not pay for the engine.
_HOMES = {
    "scan": "api",
    "read_export": "files.ncdu_read",
    "diff": "model.diff",
    "ScanDiff": "model.diff",
    "DirChange": "model.diff",
    "ScanProgress": "engine.walker",
    "Measure": "model.measure",
    "ScanOptions": "model.options",
    "ScanResult": "model.result",
    "ScanIssue": "model.result",
    "FileTotal": "model.result",
    "DirTotal": "model.result",
    "RootTotal": "model.result",
    "TreeNode": "model.tree",
    "KindTotal": "model.result",
    "AgeTotal": "model.result",
    "ScanError": "errors",
    "InvalidOption": "errors",
    "CannotAccess": "errors",
    "EngineFailure": "errors",
    "WorkerFailed": "errors",
    "WorkersKeptDying": "errors",
    "CollectorDied": "errors",
    "ResultsLost": "errors",
    "PoolFailed": "errors",
    "ExportFailed": "errors",
    "BadExport": "errors",
    "ClusterUnavailable": "errors",
    "ClusterUnreachable": "errors",
    "ClusterLost": "errors",
    "PathNotOnWorker": "errors",
    "ClusterUse": "model.result",
    "OwnerTotal": "model.result",
    "History": "history.store",
    "HistoryError": "errors",
    "Snapshot": "history.snapshots",
    "TrendPoint": "history.snapshots",
    "Growth": "history.growth",
    "DirGrowth": "history.growth",
    "FileChange": "history.growth",
    "TotalChange": "history.growth",
}


def __getattr__(name):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sizescan' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *_HOMES])


__all__ = [
    "scan",
    "read_export",
    "diff",
    "ScanResult",
    "ScanOptions",
    "Measure",
    "ScanError",
    "ScanProgress",
    "ScanIssue",
    "FileTotal",
    "DirTotal",
    "RootTotal",
    "TreeNode",
    "KindTotal",
    "AgeTotal",
    "ScanDiff",
    "DirChange",
    "InvalidOption",
    "CannotAccess",
    "EngineFailure",
    "WorkerFailed",
    "WorkersKeptDying",
    "CollectorDied",
    "ResultsLost",
    "PoolFailed",
    "ExportFailed",
    "BadExport",
    "ClusterUnavailable",
    "ClusterUnreachable",
    "ClusterLost",
    "PathNotOnWorker",
    "ClusterUse",
    "OwnerTotal",
    "History",
    "HistoryError",
    "Snapshot",
    "TrendPoint",
    "Growth",
    "DirGrowth",
    "FileChange",
    "TotalChange",
    "__version__",
]
