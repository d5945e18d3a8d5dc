"""The wire contract: what the walker, the workers and the collector exchange.

A leaf module (it imports nothing of sizescan), so every layer can speak it.
Everything that crosses a process boundary is built and read here by field
name.  These are NamedTuples: a record is sent per directory, never per
file, and a NamedTuple pickles as a tuple plus one memoised class
reference (measured: under 1 us more per record than a bare tuple, 0.03 s
for the 33,000 directories of a 1M-file tree).

Who sends what::

    walker  --DirTask/ChunkTask-->  worker  --Message(records)-->  collector
    walker  <------TaskResult------ worker

A worker never reports a single file.  For every directory (or chunk of a
very large directory) it builds one :class:`Record` and sends the records
of a whole task as one :class:`Message`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Optional, Union

from ..model.keys import dir_key, name_of, root_key

# What could not be done to a path (du's two wordings: see command.people.issue_message).
OP_READ = "read"  # du: cannot read directory (its own size is still counted)
OP_ACCESS = "access"  # du: cannot access (nothing of it is counted)

# Why an entry was left out of a scan (an export records it).
SKIP_PATTERN = 1  # --exclude or --exclude-from
SKIP_OTHER_FS = 2  # -x: on another filesystem
SKIP_KERNFS = 3  # --exclude-kernfs: a pseudo filesystem


class DirTask(NamedTuple):
    """A directory to read: the walker's unit of work.

    ``apparent`` and ``disk`` are the directory's own size, ``dev`` and
    ``ino`` its identity (as its parent saw it), ``guard`` the ids of its
    ancestors when mount points lie inside the PATHs (a bind mount can make
    a directory its own ancestor: a cycle).  ``root`` is the index of the
    PATH it is under; ``hops`` counts the symlinks followed on the way
    from it (-L), which the kernel bounds in one path.  ``parent`` is its
    parent's key (None for a PATH): see :func:`dir_key`.  ``owner`` is its
    (uid, gid) under --by-owner, else None.
    """

    path: str
    depth: int
    root: int
    apparent: int
    disk: int
    dev: int
    ino: int
    parent: Optional[bytes]
    guard: tuple = ()
    hops: int = 0
    owner: Optional[tuple] = None

    @property
    def name(self) -> str:
        """The name its record goes by: the PATH itself for a PATH."""
        return name_of(self.path, self.parent)

    @property
    def key(self) -> bytes:
        """Its key, made by whoever reads it (once), not carried: the walker
        holds every task not yet done, and siblings share their parent's key
        (0.6 MB of the caller's peak at 1M files)."""
        return self.name_and_key()[1]

    def name_and_key(self) -> tuple:
        """(name, key): the name found once for both."""
        if self.parent is None:
            return self.path, root_key(self.root)
        name = self.path[self.path.rindex("/") + 1 :]  # name_of, inlined: once per directory
        return name, dir_key(self.parent, name)


class ChunkTask(NamedTuple):
    """Names of a very large directory left for another worker to stat.

    Its first and last fields repeat DirTask's on purpose: a chunk is read
    as a part of that directory (same path, depth, root, device, guard),
    and a separate type keeps "this task counts the directory's own size"
    out of a flag.

    ``part`` is the position of its first name in the directory, counted in
    pieces of WorkerConfig.piece names (its own record is part 0), so a
    directory is cut into the same records whoever reads it; ``dev``,
    ``ino``, ``key``, ``parent``, ``guard`` and ``hops`` are the directory's
    (see DirTask): whoever opens it again checks it is still that directory.
    """

    path: str
    depth: int
    root: int
    names: list
    part: int
    dev: int
    ino: int
    key: bytes
    parent: Optional[bytes]
    guard: tuple = ()
    hops: int = 0

    @property
    def name(self) -> str:
        return name_of(self.path, self.parent)

    def name_and_key(self) -> tuple:
        return self.name, self.key


class Link(NamedTuple):
    """A file the collector must count once per scan (``st_nlink > 1``, or
    any file under ``--dereference``).  ``kind`` and ``age`` are None unless
    the scan keeps views (see tally.DirTally), ``owner`` ((uid, gid)) unless
    it counts by owner."""

    dev: int
    ino: int
    apparent: int
    disk: int
    name: Optional[str]  # None: the PATH itself is the file
    kind: Optional[str]
    age: Optional[int]
    owner: Optional[tuple] = None


class PathError(NamedTuple):
    """A path that could not be read or stat'ed: ``operation`` is OP_READ or OP_ACCESS."""

    path: str
    operation: str
    message: str


class Detail(NamedTuple):
    """What a record carries when the scan keeps views, exports or excludes caches.

    ``kinds`` is ``{kind: [count, apparent, disk]}``, ``ages`` is
    ``[count, apparent, disk]`` per age bucket (see kinds.AGES), ``largest``
    the directory's largest files as ``(apparent, disk, name)``, packed as
    the model keeps them (tree.pack_files): one object to pickle, not a
    tuple, two sizes and a name per file.  ``fragment`` and ``subdirs``
    are opaque to the engine: what the export's encoder made of the
    directory's entries and of its subdirectories (``[(name, info)]``).
    ``flags``: READ_ERROR, EXCLUDED.
    ``owners`` (--by-owner) is
    ``{(uid, gid): [entries, apparent, disk]}``, or just ``(uid, gid)``
    when one owner has everything the record counts (its directory's own
    size and its files; links say their own).
    """

    kinds: Optional[dict] = None
    ages: Optional[list] = None
    largest: Optional[bytes] = None
    fragment: Optional[str] = None
    subdirs: Optional[list] = None
    flags: int = 0
    owners: Union[dict, tuple, None] = None


class Record(NamedTuple):
    """One directory's (or one chunk's) counts, as a worker sends them.

    ``own`` is 1 for the record that carries the directory's own size and
    counts it as one directory (``part`` 0), else 0.  ``files``, ``apparent`` and ``disk`` count the
    entries counted here; ``tops`` are files that may be among the scan's
    largest, as ``(apparent, disk, name)``; ``links`` files the collector
    counts once; ``errors`` the
    paths that failed.  ``(key, part)`` is what lets the collector take
    each record exactly once when lost work is done again.

    A record names its directory by ``key``, its parent's key ``parent``
    (None for a PATH) and its ``name`` (the PATH itself for a PATH), never
    by its full path: see :func:`dir_key`.  ``tops`` and the names of
    ``links`` are names in that directory (None for a PATH that is a file).
    ``ident`` is the directory's ``(dev, ino)`` on the record that carries
    its own size, else None: one directory read under two names means the
    tree was changed under the scan (see collect.Collector.add).
    """

    key: bytes
    parent: Optional[bytes]
    name: str
    depth: int
    root: int
    own: int
    files: int
    apparent: int
    disk: int
    tops: Sequence = ()
    links: Sequence = ()
    errors: Sequence = ()
    part: int = 0
    detail: Optional[Detail] = None
    ident: Optional[tuple] = None


class Message(NamedTuple):
    """What one task sends to the collector: all its records at once."""

    task_id: Optional[int]
    records: list


class TaskResult(NamedTuple):
    """What one task returns to the walker: just what keeps the pool fed.

    ``sent`` is 1 if the task sent a Message to the collector, else 0.
    """

    task_id: Optional[int]
    sent: int
    subdirs: list
    chunks: list
