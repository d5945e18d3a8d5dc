"""The history database's tables, its version, and how it is opened.

docs/history.md shows these tables and says what a snapshot costs; a test
keeps the two the same.  ``PRAGMA application_id`` marks the file as a
sizescan history and ``PRAGMA user_version`` holds the layout's version:
an older layout is upgraded in one transaction when opened, a newer one
is refused, never written.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse

from ..errors import HistoryError
from ..files.atomic import resolve_for_writing
from ..model.names import display_path

#: The layout this sizescan writes (``PRAGMA user_version``).
VERSION = 1
#: "szsc": what tells a sizescan history from any other SQLite file.
APPLICATION_ID = 0x737A7363

# Two cron jobs saving at once take turns: the second waits for the first's
# transaction (a save of 330,000 directories writes in seconds).
BUSY_TIMEOUT_S = 600

TABLES = (
    """CREATE TABLE tree (
    id INTEGER PRIMARY KEY,
    host TEXT NOT NULL,             -- the machine the PATH is on
    path BLOB NOT NULL,             -- the PATH resolved (realpath), exact bytes
    UNIQUE (host, path)
)""",
    """CREATE TABLE snapshot (
    id INTEGER PRIMARY KEY,         -- grows with every save: versions are ranged by it
    tree INTEGER NOT NULL REFERENCES tree (id),
    taken_at REAL NOT NULL,         -- when the scan started (an export: its timestamp), Unix time
    duration REAL,                  -- seconds the scan took; NULL for an export
    given BLOB NOT NULL,            -- the PATH as it was given
    source TEXT NOT NULL,           -- 'scan', or 'export' (sizescan -o, ncdu -o, gdu -o)
    version TEXT NOT NULL,          -- sizescan's version (an export: its writer's)
    rules TEXT,                     -- JSON: the settings that change numbers; NULL: unknown
    size INTEGER NOT NULL,          -- apparent size of everything below the PATH (du -sb)
    disk_usage INTEGER NOT NULL,    -- disk usage (du -sB1)
    files INTEGER NOT NULL,
    dirs INTEGER NOT NULL,
    errors INTEGER NOT NULL         -- paths that could not be read: totals are lower bounds
)""",
    "CREATE INDEX snapshot_of_tree ON snapshot (tree, taken_at)",
    """CREATE TABLE dir (
    id INTEGER PRIMARY KEY,         -- a directory of a tree, kept once for all its snapshots
    tree INTEGER NOT NULL REFERENCES tree (id),
    parent INTEGER REFERENCES dir (id),  -- NULL for the PATH itself
    name BLOB NOT NULL              -- exact bytes; '' for the PATH itself
)""",
    """CREATE TABLE version (
    tree INTEGER NOT NULL,
    first INTEGER NOT NULL,         -- the first snapshot (id) in which the directory had these totals
    dir INTEGER NOT NULL REFERENCES dir (id),
    until INTEGER,                  -- the tree's first later snapshot without them; NULL: none yet
    size INTEGER NOT NULL,          -- everything at and below the directory, as du counts it
    disk_usage INTEGER NOT NULL,
    files INTEGER NOT NULL,
    dirs INTEGER NOT NULL,          -- itself included
    own_size INTEGER NOT NULL,      -- the directory itself and the files directly in it
    own_disk_usage INTEGER NOT NULL,
    own_files INTEGER NOT NULL,
    unreadable INTEGER NOT NULL,    -- 1: it could not be read (its totals are lower bounds)
    PRIMARY KEY (tree, first, dir)
) WITHOUT ROWID""",
    "CREATE INDEX version_closed ON version (tree, until) WHERE until IS NOT NULL",
    """CREATE TABLE large_file (
    snapshot INTEGER NOT NULL REFERENCES snapshot (id),
    path BLOB NOT NULL,             -- relative to the PATH, exact bytes
    size INTEGER NOT NULL,
    disk_usage INTEGER NOT NULL,
    PRIMARY KEY (snapshot, path)
) WITHOUT ROWID""",
    """CREATE TABLE kind_total (
    snapshot INTEGER NOT NULL REFERENCES snapshot (id),
    kind TEXT NOT NULL,             -- as --by-type: '.log', '(no extension)', '(directory)'...
    count INTEGER NOT NULL,
    size INTEGER NOT NULL,
    disk_usage INTEGER NOT NULL,
    PRIMARY KEY (snapshot, kind)
) WITHOUT ROWID""",
    """CREATE TABLE owner_total (
    snapshot INTEGER NOT NULL REFERENCES snapshot (id),
    kind TEXT NOT NULL,             -- 'user' or 'group'
    id INTEGER NOT NULL,            -- uid or gid
    name TEXT NOT NULL,             -- from the password or group database when saved
    count INTEGER NOT NULL,
    size INTEGER NOT NULL,
    disk_usage INTEGER NOT NULL,
    PRIMARY KEY (snapshot, kind, id)
) WITHOUT ROWID""",
)

# UPGRADES[n]: the statements that take a layout of version n to n + 1,
# run in one transaction with the version's change.  Version 1 is the first.
UPGRADES: dict = {}


def failure(path: str, exc: BaseException) -> HistoryError:
    """The one line a failed database call is said with."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    return HistoryError(f"history database {display_path(path)}: {text}")


def connect(path: str, *, write: bool) -> sqlite3.Connection:
    """A connection to the history at ``path``, at this sizescan's layout.

    For ``write``, a missing database is made (its folder too, both
    readable by their owner only: a root's history names every user's
    directories), never through a link another user planted.  Without
    ``write`` a missing database is an error and nothing is made.
    """
    try:
        if write:
            path = resolve_for_writing(path)
            folder = os.path.dirname(path)
            if folder and not os.path.isdir(folder):
                os.makedirs(folder, mode=0o700)
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
        elif not os.path.exists(path):
            raise HistoryError(
                f"no history database at {display_path(path)} (save a scan with --save first)"
            )
        con = _open(path, write)
        try:
            if _prepare(con, path, write) and not write:
                con.close()  # an older layout: upgraded once, by a connection that may write
                con = _open(path, True)
                _prepare(con, path, True)
        except BaseException:
            con.close()
            raise
    except HistoryError:
        raise
    except (OSError, sqlite3.Error) as exc:
        raise failure(path, exc) from None
    return con


def _open(path, write) -> sqlite3.Connection:
    uri = "file:" + urllib.parse.quote(os.fsencode(os.path.abspath(path)))
    return sqlite3.connect(
        uri + ("" if write else "?mode=ro"),
        uri=True,
        timeout=BUSY_TIMEOUT_S,
        isolation_level=None,  # transactions are begun and ended here, explicitly
        check_same_thread=False,
    )


def _state(con) -> tuple:
    app = con.execute("PRAGMA application_id").fetchone()[0]
    version = con.execute("PRAGMA user_version").fetchone()[0]
    empty = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    return app, version, empty


def _prepare(con, path, write) -> bool:
    """Check what the file is; make or upgrade it when ``write``.  True when
    it is of an older layout that a reader must have upgraded first."""
    app, version, empty = _state(con)
    if empty and app == 0:
        if not write:
            raise HistoryError(f"history database {display_path(path)}: empty (nothing saved)")
        _create(con)
        return False
    if app != APPLICATION_ID:
        raise HistoryError(
            f"{display_path(path)}: a SQLite database, but not a sizescan history; "
            "give another file with --db"
        )
    if version > VERSION:
        raise HistoryError(
            f"history database {display_path(path)}: made by a newer sizescan "
            f"(layout {version}; this one knows up to {VERSION}); it was not changed"
        )
    if version < VERSION and write:
        _upgrade(con)
    return version < VERSION


def _create(con) -> None:
    with transaction(con):
        app, version, empty = _state(con)
        if empty and app == 0:  # not made meanwhile by another save
            for statement in TABLES:
                con.execute(statement)
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            con.execute(f"PRAGMA user_version = {VERSION}")
    # Readers never wait for a writer, and a writer's commit is one append.
    con.execute("PRAGMA journal_mode = WAL")


def _upgrade(con) -> None:
    """Take an older layout to VERSION: every step or none."""
    with transaction(con):
        version = con.execute("PRAGMA user_version").fetchone()[0]
        for step in range(version, VERSION):
            for statement in UPGRADES[step]:
                con.execute(statement)
        con.execute(f"PRAGMA user_version = {VERSION}")


class transaction:
    """``with transaction(con):`` one write transaction, committed whole or
    rolled back whole (an exception, a signal's, included)."""

    def __init__(self, con):
        self.con = con

    def __enter__(self):
        # IMMEDIATE: the write lock is taken now, so two saves take turns
        # (the busy timeout) instead of one failing at its first write.
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, kind, exc, tb):
        if kind is None:
            self.con.execute("COMMIT")
        elif self.con.in_transaction:
            self.con.execute("ROLLBACK")
        return False
