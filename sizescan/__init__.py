"""sizescan: where did my disk space go?  A parallel disk-usage scanner.

>>> from sizescan import scan
>>> result = scan("/var/log")          # doctest: +SKIP
>>> result.total_size, result.disk_usage  # == du -sb, du -sB1  # doctest: +SKIP
"""

from ._version import __version__
from .api import scan
from .compare import DirChange, ScanDiff, diff
from .engine import ScanProgress
from .errors import (BadExport, CannotAccess, CollectorDied, EngineFailure, ExportFailed,
                     InvalidOption, PoolFailed, ResultsLost, ScanError, WorkerFailed,
                     WorkersKeptDying)
from .measure import Measure
from .ncdu import read_export
from .options import ScanOptions
from .result import AgeTotal, DirTotal, FileTotal, KindTotal, RootTotal, ScanIssue, ScanResult, TreeNode

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
    "__version__",
]
