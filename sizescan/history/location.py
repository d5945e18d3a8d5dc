"""Where the history database is when no --db names it.

Apart from ``schema`` so that asking (``--html`` looks for a history of its
PATH) does not import sqlite3 when there is no database.
"""

from __future__ import annotations

import os


def default_path() -> str:
    """$SIZESCAN_DB, else $XDG_DATA_HOME/sizescan/history.db (~/.local/share/...)."""
    named = os.environ.get("SIZESCAN_DB")
    if named:
        return named
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return os.path.join(data, "sizescan", "history.db")
