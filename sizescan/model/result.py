"""What a scan returns: plain, typed, documented values."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from . import tree
from .kinds import AGES
from .measure import Measure
from .names import path_fields
from .tree import APPARENT, DEPTH, DIRS, DISK, FILES, ScanModel, TreeNode

#: Version of the ``--json`` / :meth:`ScanResult.to_dict` document layout.
#: Bumped on any change that can break a reader.
SCHEMA = 1


@dataclass(frozen=True)
class FileTotal:
    """One file among the largest: its path, apparent size and disk usage in bytes."""

    path: str
    size: int
    disk_usage: int


@dataclass(frozen=True)
class DirTotal:
    """One directory's totals, everything below it included (like ``du``)."""

    path: str
    size: int
    disk_usage: int
    files: int
    depth: int


@dataclass(frozen=True)
class RootTotal:
    """The totals of one PATH argument: what ``du -sb PATH`` / ``du -sB1 PATH`` print.

    ``skipped``: counted inside an earlier PATH (its totals are 0 here, and
    du prints no line for it).
    """

    path: str
    size: int
    disk_usage: int
    files: int
    dirs: int
    skipped: bool = False


@dataclass(frozen=True)
class ScanIssue:
    """A problem with one path; the scan went on without it.

    ``operation`` is ``"read"`` when a directory could not be listed (its own
    size is still counted, as du does) and ``"access"`` when an entry could
    not be stat'ed (it is not counted).
    """

    path: str
    operation: str
    message: str


@dataclass(frozen=True)
class KindTotal:
    """Totals of one kind of entry: an extension such as ``.log``, or
    ``(no extension)``, ``(directory)`` (directories' own sizes),
    ``(symlink)``, ``(other)`` (devices, sockets, FIFOs)."""

    kind: str
    count: int
    size: int
    disk_usage: int


@dataclass(frozen=True)
class AgeTotal:
    """Totals of the non-directory entries last modified within ``label``
    (before the scan started)."""

    label: str
    count: int
    size: int
    disk_usage: int


# ScanResult.owners: {(USER, uid) or (GROUP, gid): [entries, apparent, disk]}.
USER, GROUP = 0, 1


@dataclass(frozen=True)
class OwnerTotal:
    """Everything one user or group owns below the PATHs (--by-owner): ``kind``
    is "user" or "group", ``name`` from the password or group database (the
    number where it has none), ``count`` the entries, directories included."""

    kind: str
    id: int
    name: str
    count: int
    size: int
    disk_usage: int


def owner_name(kind: int, ident: int) -> str:
    try:
        if kind == USER:
            import pwd

            return pwd.getpwuid(ident).pw_name
        import grp

        return grp.getgrgid(ident).gr_name
    except (KeyError, ImportError, OverflowError):
        return str(ident)


def largest(items, n: int | None, path, up=None) -> list:
    """``[(path, item)]`` for the ``n`` items of largest size (``item[0]``),
    largest first, equal sizes by path (all of them if ``n`` is None).

    ``path(item)`` is asked only of the items that can make the list: those
    at least as large as the n-th largest, ties included.  Items that are
    directories keyed ``item[1]`` may say so with ``up(key)``, the key of
    the directory's parent (None for a PATH): then a tie below too many
    other ties to make the list is not asked for its path either.
    """
    items = list(items)
    if n is not None:
        best = heapq.nlargest(n, items, key=lambda item: item[0])
        if len(best) == n and n:
            floor = best[-1][0]
            items = [item for item in items if item[0] >= floor]
            if up is not None and len(items) > n:
                items = _fewest_ties(items, floor, n, up)
        else:
            items = best
    ranked = sorted(((path(item), item) for item in items), key=lambda p: (-p[1][0], p[0]))
    return ranked if n is None else ranked[:n]


def _fewest_ties(items, floor, n, up):
    """``items`` without the ties at ``floor`` that cannot make the first
    ``n``: a path sorts after its directory's, so a directory below as many
    tied ones as there are places left for ties is out.

    Every path ranked is built whole: a chain of 20,000 directories that
    weigh nothing (a crafted export; a mount that gives directories no
    size), each a tie, took 17 s and 440 MB to rank, quadratic in depth.
    """
    tied = {item[1] for item in items if item[0] == floor}
    room = n - (len(items) - len(tied))
    above = {}  # a directory's key -> how many tied directories it is below

    def below(key):
        chain = []
        parent = up(key)
        while parent is not None and parent not in above:
            chain.append(parent)
            parent = up(parent)
        count = 0 if parent is None else above[parent] + (parent in tied)
        for k in reversed(chain):
            above[k] = count
            count += k in tied
        return count

    return [item for item in items if item[0] > floor or below(item[1]) < room]


@dataclass(frozen=True)
class ClusterUse:
    """The part of a Dask cluster a scan used: its scheduler's address, the Dask
    workers that ran its tasks and their threads, and how many tasks it took."""

    scheduler: str
    workers: int
    threads: int
    tasks: int


@dataclass
class ScanResult:
    """The outcome of :func:`sizescan.scan`.

    ``total_size`` is the apparent size (``du -sb``), ``disk_usage`` the
    allocated bytes (``du -sB1``), summed over every PATH with hard links
    counted once.  ``files`` counts non-directories, ``dirs`` directories
    (the PATHs included).  ``top_files`` and ``top_dirs`` are sorted by disk
    usage, or by apparent size when the scan was asked for ``apparent``;
    ``top_dirs`` never lists a PATH itself (see ``roots``) and, with
    ``max_depth``, only directories at most that deep.  ``errors`` holds
    every per-path problem; the totals leave out what they name.
    ``imported`` is true for a result read from an export (``workers`` is
    then 0).  ``workers`` worker processes took part, each keeping up to
    ``io_depth`` requests in flight (its threads); on a Dask cluster they
    are Dask workers, and ``cluster`` says more.  ``started_at`` is when
    the scan started, in seconds since the epoch (from an export: its
    timestamp, None when it has none).  ``rules`` are the settings that
    changed the numbers (:meth:`ScanOptions.rules`; None from an export).
    """

    paths: list[str]
    roots: list[RootTotal]
    total_size: int
    disk_usage: int
    files: int
    dirs: int
    top_files: list[FileTotal]
    top_dirs: list[DirTotal]
    errors: list[ScanIssue]
    apparent: bool = False
    max_depth: int | None = None
    workers: int = 1
    io_depth: int = 1
    cluster: ClusterUse | None = None
    elapsed_s: float = 0.0
    started_at: float | None = None
    version: str = field(default="")
    imported: bool = False
    model: ScanModel | None = field(default=None, repr=False)
    owners: dict | None = field(default=None, repr=False)
    rules: dict | None = field(default=None, repr=False)

    @property
    def measure(self) -> Measure:
        """What this result is sorted by (see :class:`sizescan.Measure`)."""
        return Measure.of(self.apparent)

    def size_of(self, item) -> int:
        """The size this result is sorted by, of anything with ``size`` and ``disk_usage``."""
        return self.measure.of_item(item)

    def _need_model(self, what, views=True):
        if self.model is None or (views and not self.model.views):
            raise ValueError(f"{what}() needs a scan made with views=True")
        return self.model

    def tree(self, max_depth: int = 3, width: int = 10) -> list[TreeNode]:
        """Each PATH as a tree, largest first, ``max_depth`` levels below it.

        Each directory shows at most ``width`` entries (directories and
        files alike, by the size the result sorts on); the rest are folded
        into one ``(N smaller)`` row.  Memory is bounded: only the largest
        ``top`` files of each directory were kept by the scan.
        """
        return tree.tree(self, self._need_model("tree"), max_depth, width)

    def tree_within(self, budget: int = 20000) -> list[TreeNode]:
        """Each PATH as a tree of at most about ``budget`` nodes, for a treemap.

        The largest entries of the whole scan are kept, wherever they are
        (what a treemap could draw large enough to see); each directory
        folds the rest of its entries into one ``(N smaller)`` node, which
        counts against the budget too.  Sizes still add up: a directory's
        children and its own size make its total.
        """
        return tree.tree_within(self, self._need_model("tree_within"), budget)

    def by_type(self) -> list[KindTotal]:
        """Totals by kind of entry, largest first; they add up to the scan's totals."""
        model = self._need_model("by_type")
        rows = [KindTotal(kind, *values) for kind, values in model.kinds.items()]
        rows.sort(key=lambda r: (-self.size_of(r), r.kind))
        return rows

    def by_age(self) -> list[AgeTotal]:
        """Totals of non-directories by modification time, newest bucket first."""
        model = self._need_model("by_age")
        if model.ages is None:
            raise ValueError(
                "no modification times: this export was written without them "
                "(ncdu -e, sizescan --extended)"
            )
        return [AgeTotal(label, *values) for (label, _), values in zip(AGES, model.ages)]

    def by_owner(self) -> list[OwnerTotal]:
        """Totals by user, then by group, largest first (a scan with ``by_owner``,
        or an export written with uid and gid: ``--extended``)."""
        if self.owners is None:
            raise ValueError(
                "no owners: scan with --by-owner, or read an export written "
                "with uid and gid (sizescan --extended, ncdu -e)"
            )
        pick = self.measure.pick
        totals = [
            OwnerTotal(
                "user" if kind == USER else "group",
                ident,
                owner_name(kind, ident),
                count,
                apparent,
                disk,
            )
            for (kind, ident), (count, apparent, disk) in self.owners.items()
        ]
        totals.sort(key=lambda t: (t.kind != "user", -pick(t.size, t.disk_usage), t.id))
        return totals

    def directories(self) -> dict[str, DirTotal]:
        """Every directory's totals (everything below it included), by path
        (a scan with ``views`` or ``sums``)."""
        model = self._need_model("directories", views=False)
        totals = {}
        for key, slot in model.dirs.items():
            if slot[DIRS]:
                path = model.path(key)
                totals[path] = DirTotal(path, slot[APPARENT], slot[DISK], slot[FILES], slot[DEPTH])
        return totals

    def to_dict(
        self,
        *,
        tree_depth: int | None = None,
        tree_width: int = 10,
        by_type: bool = False,
        by_age: bool = False,
        by_owner: bool = False,
    ) -> dict:
        """The ``--json`` document: only JSON types, valid UTF-8 once encoded.

        A path that is not valid UTF-8 is given twice: ``path`` with each
        bad byte replaced by U+FFFD, for people, and ``path_b64``, the exact
        bytes in base64, for programs.  With ``tree_depth`` the document
        has the tree (see :meth:`tree`), with ``by_type``, ``by_age`` and
        ``by_owner`` those views.
        """
        doc = {
            "schema": SCHEMA,
            "version": self.version,
        }
        if len(self.paths) == 1:
            doc.update(path_fields(self.paths[0]))
        doc["paths"] = [path_fields(p)["path"] for p in self.paths]
        doc.update(
            total_size=self.total_size,
            disk_usage=self.disk_usage,
            files=self.files,
            dirs=self.dirs,
            sorted_by=self.measure.json_name,
            max_depth=self.max_depth,
            roots=[
                dict(
                    path_fields(r.path),
                    size=r.size,
                    disk_usage=r.disk_usage,
                    files=r.files,
                    dirs=r.dirs,
                )
                for r in self.roots
            ],
            top_files=[
                dict(path_fields(f.path), size=f.size, disk_usage=f.disk_usage)
                for f in self.top_files
            ],
            top_dirs=[
                dict(
                    path_fields(d.path),
                    size=d.size,
                    disk_usage=d.disk_usage,
                    files=d.files,
                    depth=d.depth,
                )
                for d in self.top_dirs
            ],
            errors=[
                dict(path_fields(e.path), operation=e.operation, error=e.message)
                for e in self.errors
            ],
            workers=self.workers,
            io_depth=self.io_depth,
            cluster=None
            if self.cluster is None
            else dict(
                scheduler=self.cluster.scheduler,
                workers=self.cluster.workers,
                threads=self.cluster.threads,
                tasks=self.cluster.tasks,
            ),
            elapsed_s=round(self.elapsed_s, 3),
        )
        if tree_depth is not None:
            doc["tree"] = [node.to_dict() for node in self.tree(tree_depth, tree_width)]
            doc["tree_depth"] = tree_depth
        if by_type:
            doc["by_type"] = [
                dict(type=k.kind, count=k.count, size=k.size, disk_usage=k.disk_usage)
                for k in self.by_type()
            ]
        if by_age:
            doc["by_age"] = [
                dict(modified=a.label, count=a.count, size=a.size, disk_usage=a.disk_usage)
                for a in self.by_age()
            ]
        if by_owner:
            doc["by_owner"] = [
                dict(
                    kind=o.kind,
                    id=o.id,
                    name=o.name,
                    count=o.count,
                    size=o.size,
                    disk_usage=o.disk_usage,
                )
                for o in self.by_owner()
            ]
        return doc
