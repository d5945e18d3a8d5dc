"""The tree a scan with views keeps (``ScanModel``), and the trees drawn from it.

Bounded by directories, never by files: each directory is one slot, known
by its key (see ``keys``), holding its totals and where it sits.
``ScanResult.tree`` and ``tree_within`` (the report's treemap) are built
here from the model.
"""

from __future__ import annotations

import heapq
import marshal
from dataclasses import dataclass
from operator import itemgetter

from .keys import READ_ERROR, dir_prefix, join, path_up, root_key
from .names import path_fields

# A directory's slot (see ScanModel), by name: its totals (everything
# below it included; DIRS is 0 for an excluded directory), its depth, its
# parent's key, its name and its own key.  A list, not an object: a scan
# with views holds one per directory, and the collector adds into them.
APPARENT, DISK, FILES, DIRS, DEPTH, PARENT, NAME, KEY = range(8)

#: How deep :meth:`ScanResult.tree` goes at most: its rows are built, shown
#: and written as JSON recursively, and nobody reads a deeper tree.
MAX_TREE_DEPTH = 256


@dataclass(frozen=True)
class TreeNode:
    """One row of :meth:`ScanResult.tree`: a directory, a file, or a fold.

    ``name`` is the PATH for the top node and the entry's name below it; a
    fold (``folded > 0``) stands for that many smaller entries of its
    directory, together.  ``files`` counts the files at or below the entry.
    ``unreadable`` marks a directory that could not be read, or one with
    such a directory below it: its total is a lower bound.
    """

    name: str
    path: str
    size: int
    disk_usage: int
    files: int
    is_dir: bool
    children: tuple = ()
    folded: int = 0
    unreadable: bool = False

    def to_dict(self) -> dict:
        """This node and those below it, for ``--json --tree``."""
        doc = dict(
            path_fields(self.path),
            name=path_fields(self.name)["path"],
            size=self.size,
            disk_usage=self.disk_usage,
            files=self.files,
            type="folded" if self.folded else "dir" if self.is_dir else "file",
        )
        if self.folded:
            doc["folded"] = self.folded
        if self.unreadable:
            doc["unreadable"] = True
        if self.is_dir and not self.folded:
            doc["children"] = [child.to_dict() for child in self.children]
        return doc


def path_of(dirs: dict, key: bytes, name: str | None = None) -> str:
    """The path of the directory keyed ``key`` in ``dirs`` (slots as in
    ScanModel), or of entry ``name`` in it: built from the names up to its
    PATH, in time and memory of the path's length."""
    names = []
    while key is not None:
        slot = dirs[key]
        names.append(slot[NAME])
        key = slot[PARENT]
    return join(path_up(names), name)


def pack_files(files: list) -> bytes:
    """A directory's largest files, ``[(apparent, disk, name)]``, as
    ScanModel.files_of keeps them: one marshal string.

    A 1M-file scan with views keeps ten files for each of 33,000
    directories: as tuples, a third of a million names and twice as many
    sizes, which the collector unpickled from every message and held, and
    the caller built again from the model at the end of every scan.
    Packed, each directory's list is one object on the way, and only the
    directories a view opens are unpacked: the caller's load of that
    model went from 85 ms to 32 ms, the scan's peak memory (all its
    processes) from 145 to 88 MiB, and the command with views took 16% less
    time (benchmarks/ab.py against the commit before).
    """
    return marshal.dumps(files)


def unpack_files(packed: bytes) -> list:
    """The list :func:`pack_files` packed."""
    return marshal.loads(packed)


def _model_from_wire(data: bytes) -> ScanModel:
    return ScanModel(*marshal.loads(data))


@dataclass
class ScanModel:
    """What a scan with ``views=True`` keeps: bounded by directories, not files.

    Directories are known by key (see ``model.keys.dir_key``), not by path, so
    memory grows with their number, not with their depth.  ``dirs`` maps
    each key to ``[apparent, disk, files, dirs, depth, parent key, name,
    key]`` with everything below it included (a PATH's parent key is None
    and its name the PATH); ``direct_files`` counts the files directly in each;
    ``files_of`` holds each directory's largest files, packed (see
    :meth:`files`); ``own`` holds each directory's own ``(apparent, disk)``;
    ``flags`` marks unreadable and excluded directories.  :meth:`path`
    builds a directory's path, :meth:`children` its subdirectories' keys.
    """

    dirs: dict
    direct_files: dict
    files_of: dict
    own: dict
    flags: dict
    kinds: dict | None  # None: a scan with sums only, no views
    ages: list | None
    _children: dict | None = None

    # Pickled as one marshal string: the model is builtins only (dicts,
    # lists, tuples, ints, strings, bytes), and marshal writes a 1M-file
    # scan's model (10 MiB) in 0.03 s where pickle took 0.17 s, on the
    # collector's way to the caller at the end of every scan with views.
    def __reduce__(self):
        return _model_from_wire, (
            marshal.dumps(
                (
                    self.dirs,
                    self.direct_files,
                    self.files_of,
                    self.own,
                    self.flags,
                    self.kinds,
                    self.ages,
                )
            ),
        )

    @property
    def views(self) -> bool:
        """Whether this model has the views (else only every directory's totals)."""
        return self.kinds is not None

    def path(self, key: bytes) -> str:
        """The path of the directory keyed ``key``."""
        return path_of(self.dirs, key)

    def files(self, key: bytes) -> list:
        """The largest files directly in the directory keyed ``key``, as
        ``(apparent, disk, name)``, largest first (at most ``top``)."""
        packed = self.files_of.get(key)
        return unpack_files(packed) if packed else []

    def children(self) -> dict:
        """directory key -> its subdirectories' keys (built once)."""
        if self._children is None:
            children: dict = {}
            for key, slot in self.dirs.items():
                if slot[PARENT] is not None and slot[DIRS]:  # not a PATH, not excluded
                    children.setdefault(slot[PARENT], []).append(key)
            self._children = children
        return self._children

    def own_part(self, key: bytes) -> tuple:
        """(apparent, disk) of the directory keyed ``key`` itself and the
        files directly in it: its totals less its subdirectories'."""
        slot = self.dirs[key]
        apparent, disk = slot[APPARENT], slot[DISK]
        for child in self.children().get(key, ()):
            sub = self.dirs[child]
            apparent -= sub[APPARENT]
            disk -= sub[DISK]
        return apparent, disk

    def unreadable_below(self) -> set:
        """Keys of the directories that are unreadable or have one below them (like gdu's flag)."""
        marked = set()
        for key, flags in self.flags.items():
            if not flags & READ_ERROR:
                continue
            while key is not None and key not in marked:
                marked.add(key)
                slot = self.dirs.get(key)
                key = slot[PARENT] if slot is not None else None
        return marked


def tree(result, model: ScanModel, max_depth: int, width: int) -> list[TreeNode]:
    """See ScanResult.tree."""
    if not 0 <= max_depth <= MAX_TREE_DEPTH:
        raise ValueError(f"a tree is at most {MAX_TREE_DEPTH} levels deep, not {max_depth}")
    entries = _entries(result, model)
    return _build_trees(
        result, model, lambda here, depth: entries(here)[:width] if depth < max_depth else None
    )


def tree_within(result, model: ScanModel, budget: int) -> list[TreeNode]:
    """See ScanResult.tree_within."""
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"a tree needs a budget of at least 1 node, not {budget!r}")
    entries = _entries(result, model)
    children = model.children()
    chosen = {}  # directory key -> its entries kept, largest first
    listed: dict = {}  # directory key -> (its entries, largest first; its depth)
    heap: list = []  # the next entry of each open directory: one each, not all
    spent = 0

    def offer(here, rank):
        found, depth = listed[here]
        if rank < len(found):
            entry = found[rank]
            heapq.heappush(heap, (-entry[0], -entry[1], entry[2], rank, here))

    def open_dir(here, depth):
        # A directory opened spends one node now for the fold it may need.
        nonlocal spent
        chosen[here] = []
        if depth < MAX_TREE_DEPTH and (children.get(here) or model.files_of.get(here)):
            spent += 1
            listed[here] = (entries(here), depth)
            offer(here, 0)

    for idx, root in enumerate(result.roots):
        key = root_key(idx)
        if not root.skipped and key in model.dirs and model.dirs[key][3]:
            spent += 1
            open_dir(key, 0)
    while heap and spent < budget:
        *_, rank, here = heapq.heappop(heap)
        found, depth = listed[here]
        entry = found[rank]
        chosen[here].append(entry)
        spent += 1
        offer(here, rank + 1)
        if isinstance(entry[3], bytes) and spent < budget:
            open_dir(entry[3], depth + 1)  # else drawn whole, its entries unseen
    # Entries come off the heap largest first, so each list is in order.
    return _build_trees(result, model, lambda here, depth: chosen.get(here))


_NAME_OF, _SIZES_OF = itemgetter(2), itemgetter(0, 1)


def _entries(result, model: ScanModel):
    """``entries(key)``: a directory's subdirectories and kept files as
    ``(primary, secondary, name, key or (apparent, disk))``, largest first
    by the size the result sorts on, then by the other one, then by name."""
    children = model.children()
    dirs = model.dirs
    files_of = model.files_of
    # Measure.key's order, spelled out: this runs for every entry of every
    # directory a report opens (a 1M-file --html: 128,000 entries).
    by_apparent = result.measure.is_apparent
    first, second = (APPARENT, DISK) if by_apparent else (DISK, APPARENT)

    def entries(here):
        found = [
            (slot[first], slot[second], slot[NAME], sub)
            for sub in children.get(here, ())
            for slot in (dirs[sub],)
        ]
        packed = files_of.get(here)
        if packed:
            if by_apparent:
                found += [(a, d, name, (a, d)) for a, d, name in unpack_files(packed)]
            else:
                found += [(d, a, name, (a, d)) for a, d, name in unpack_files(packed)]
        # Largest first, ties by the other size, then by name: sorted by name,
        # then (stable) by the sizes, largest first; keys made in C, not a lambda.
        found.sort(key=_NAME_OF)
        found.sort(key=_SIZES_OF, reverse=True)
        return found

    return entries


def _build_trees(result, model: ScanModel, shown_of) -> list[TreeNode]:
    """The TreeNodes of every PATH: ``shown_of(key, depth)`` gives the
    entries (see _entries) a directory shows, or None to show none."""
    children = model.children()
    unreadable = model.unreadable_below()
    dirs = model.dirs

    def node(here, path, name, depth):
        slot = dirs[here]
        picked = shown_of(here, depth)
        shown = []
        if picked is not None:
            base = dir_prefix(path)
            for _, _, entry_name, entry in picked:
                if isinstance(entry, bytes):
                    shown.append(node(entry, base + entry_name, entry_name, depth + 1))
                else:
                    shown.append(
                        TreeNode(entry_name, base + entry_name, entry[0], entry[1], 1, False)
                    )
            hidden = model.direct_files.get(here, 0) + len(children.get(here, ())) - len(shown)
            if hidden > 0:
                # Whatever the shown rows and the directory's own size leave.
                own_size, own_disk = model.own.get(here, (0, 0))
                shown.append(
                    TreeNode(
                        f"({hidden} smaller)",
                        path,
                        slot[APPARENT] - own_size - sum(n.size for n in shown),
                        slot[DISK] - own_disk - sum(n.disk_usage for n in shown),
                        slot[FILES] - sum(n.files for n in shown),
                        False,
                        folded=hidden,
                    )
                )
        return TreeNode(
            name,
            path,
            slot[APPARENT],
            slot[DISK],
            slot[FILES],
            True,
            tuple(shown),
            unreadable=here in unreadable,
        )

    trees = []
    for idx, root in enumerate(result.roots):
        if root.skipped:
            continue  # drawn where it was counted
        here = root_key(idx)
        slot = dirs.get(here)
        if slot is not None and slot[DIRS]:
            trees.append(node(here, root.path, root.path, 0))
        else:
            trees.append(
                TreeNode(root.path, root.path, root.size, root.disk_usage, root.files, False)
            )
    return trees
