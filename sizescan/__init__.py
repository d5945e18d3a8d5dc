"""sizescan: where did my disk space go?  A parallel disk-usage scanner.

>>> from sizescan import scan
>>> result = scan("/var/log")          # doctest: +SKIP
>>> result.total_size, result.disk_usage  # == du -sb, du -sB1  # doctest: +SKIP
"""

from ._version import __version__
from .engine import ScanProgress, scan
from .errors import CannotAccess, EngineFailure, InvalidOption, ScanError
from .result import DirTotal, FileTotal, RootTotal, ScanIssue, ScanResult

__all__ = [
    "scan",
    "ScanResult",
    "ScanError",
    "ScanProgress",
    "ScanIssue",
    "FileTotal",
    "DirTotal",
    "RootTotal",
    "InvalidOption",
    "CannotAccess",
    "EngineFailure",
    "__version__",
]
