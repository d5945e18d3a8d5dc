"""sizescan: where did my disk space go?  A parallel disk-usage scanner.

>>> from sizescan import scan
>>> result = scan("/var/log")          # doctest: +SKIP
>>> result.total_size, result.disk_usage  # == du -sb, du -sB1  # doctest: +SKIP
"""

from ._version import __version__
from .compare import DirChange, ScanDiff, diff
from .engine import ScanProgress, scan
from .errors import BadExport, CannotAccess, EngineFailure, InvalidOption, ScanError
from .ncdu import read_export
from .result import AgeTotal, DirTotal, FileTotal, KindTotal, RootTotal, ScanIssue, ScanResult, TreeNode

__all__ = [
    "scan",
    "read_export",
    "diff",
    "ScanResult",
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
    "BadExport",
    "__version__",
]
