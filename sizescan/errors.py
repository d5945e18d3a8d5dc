"""The exceptions :func:`sizescan.scan` raises: only for input it cannot use.

Problems with single paths met during a scan are never raised; they are
listed in :attr:`sizescan.ScanResult.errors`.
"""


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
    """The scan engine itself failed (a worker or the collector broke)."""


class BadExport(ScanError):
    """An export file that cannot be read: the message says what and where."""
