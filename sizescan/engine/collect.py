"""The collector: the one owner of a scan's shared state.

Every record of every worker ends up in :meth:`Collector.add`, in whatever
order the pool finishes them.  The collector alone keeps the totals, the
per-directory sums, the largest files, the hard-link set and the errors, so
nothing is locked and nothing is counted twice.  Its results do not depend
on that order: a file reached through several links is counted at its link
nearest its PATH (see :meth:`Collector._add_link`), and ties in the top
lists are broken by a fixed order.

Directories are kept by key, each with its parent's key and its name
(model.keys.dir_key): memory grows with the number of directories, not with
the length of their paths.  A path is built only for what is shown.
"""

from __future__ import annotations

import heapq
from operator import add

from ..model.keys import root_key
from ..model.kinds import AGES, DIRECTORY_KIND, add_counts, merge_suffixes
from ..model.result import (
    GROUP,
    USER,
    DirTotal,
    FileTotal,
    RootTotal,
    ScanIssue,
    ScanResult,
    largest,
)
from ..model.tree import (
    APPARENT,
    DEPTH,
    DIRS,
    DISK,
    FILES,
    KEY,
    PARENT,
    ScanModel,
    pack_files,
    path_of,
    unpack_files,
)
from .records import OP_ACCESS, OP_READ, Message
from .tally import Largest

# What a directory read under two names is reported with (see Collector.add).
MOVED = "Directory moved during the scan"


class Collector:
    """Aggregates worker records into a :class:`ScanResult`.

    ``options`` is the scan's ScanOptions (what to rank by, how many to
    keep, whether to keep views).  ``spool``, if given, is told of every
    record taken (``spool.add(record)``), once each: the export keeps its
    text there, opaque to the collector.
    """

    def __init__(self, paths, options, spool=None):
        self.paths = list(paths)
        self.top = options.top
        self.measure = options.measure
        self.max_depth = options.max_depth
        self.dirs = {}
        # Indexes of PATHs inside an earlier PATH: du counts them there only.
        self.skipped_roots = set()
        # (dev, ino) -> [owner (root, depth, name, directory key), apparent, disk]
        self.links = {}
        # (size ranked by, directory key, name, apparent, disk): the order
        # the workers rank their own candidates by (worker.Scanner).
        self._top = Largest(self.top)
        self.errors = []
        # Per PATH index, {dev << 64 | ino: key} of every directory read (one
        # int a directory, and the slot's key), and the keys of directories
        # read a second time under another name: see add().
        self.idents = {}
        self.moved = set()
        # Devices where one directory may legitimately be reached twice (a
        # bind mount of a filesystem inside itself): not checked there.
        self.bound_devs = frozenset()
        # (key, part) of every chunk record taken: see add().
        self._parts = set()
        # Task ids of the messages taken, for the walker's count.
        self.received = set()
        # Running sums for the progress bar (links counted on first sight).
        self.files = 0
        self.dirs_seen = 0
        self.apparent = 0
        self.disk = 0
        # Views (see ScanModel): memory grows with directories and kinds.
        self.views = options.views
        self.sums = options.sums
        self.kinds = {}
        self.ages = [0] * (3 * len(AGES))
        # directory -> its largest files: a record's packed list as it came
        # (tree.pack_files), or a Largest once several records of it are merged
        self.files_of = {}
        self.own = {}  # directory -> its own (apparent, disk)
        self.flags = {}  # directory -> READ_ERROR | EXCLUDED
        # --by-owner: {(USER, uid) or (GROUP, gid): [entries, apparent, disk]}
        self.owners = {} if options.by_owner else None
        self.spool = spool

    def progress_counts(self) -> tuple:
        """(files, dirs, apparent, disk) counted so far, links on first sight."""
        return self.files, self.dirs_seen, self.apparent, self.disk

    def take(self, message: Message):
        """Take one worker message."""
        self.received.add(message.task_id)
        self.add(message.records)

    def add(self, records):
        """Add records; a record seen before is ignored.

        Work lost with a dead worker is done again, and the lost attempt may
        have delivered some of it already: taking each directory's own
        record, and each chunk's, once is what keeps every byte counted once.
        """
        dirs = self.dirs
        for record in records:
            key = record.key
            slot = dirs.get(key)
            if slot is None:
                parent = record.parent
                # Each record from a worker brings its own copy of its parent's
                # key: the parent's slot holds the one kept (a key is 49 bytes,
                # a reference 8: 1.6 MB at 1M files).
                known = dirs.get(parent) if parent is not None else None
                if known is not None:
                    parent = known[KEY]
                slot = dirs[key] = [0, 0, 0, 0, record.depth, parent, record.name, key]
            elif record.own and slot[DIRS]:
                continue
            ident = record.ident
            if ident is not None and ident[0] not in self.bound_devs:
                # Without -L a directory has one name, so one directory read
                # under two names was moved or swapped under the scan (after
                # its stat, whose check at its open it passed): counting it
                # twice would be silently wrong.  Its first reading is kept;
                # the second is reported.  Under -L the walker enters each
                # directory once; across PATHs du's own rules apply.
                seen = self.idents.get(record.root)
                if seen is None:
                    seen = self.idents[record.root] = {}
                if seen.setdefault(ident[0] << 64 | ident[1], slot[KEY]) != key:
                    self.moved.add(key)
                    continue
            if record.part:
                if (key, record.part) in self._parts:
                    continue
                self._parts.add((key, record.part))
            slot[APPARENT] += record.apparent
            slot[DISK] += record.disk
            slot[FILES] += record.files
            slot[DIRS] += record.own
            self.files += record.files
            self.dirs_seen += record.own
            self.apparent += record.apparent
            self.disk += record.disk
            if self.top:
                pick = self.measure.pick
                for apparent, disk, name in record.tops:
                    self._top.offer((pick(apparent, disk), key, name, apparent, disk))
            for link in record.links:
                self._add_link(link, (record.root, record.depth, link.name, key))
            if record.errors:
                self.errors.extend(record.errors)
            if record.detail is not None:
                self._add_detail(key, record.detail)
                owners = record.detail.owners
                if owners and self.owners is not None:
                    if type(owners) is tuple:  # one owner for all of the record
                        self._add_owner(
                            *owners, record.own + record.files, record.apparent, record.disk
                        )
                    else:
                        for (uid, gid), counts in owners.items():
                            self._add_owner(uid, gid, *counts)
                if self.spool is not None:
                    self.spool.add(record)

    def _add_detail(self, key, detail):
        kinds = detail.kinds
        if kinds:
            # Kinds already (DirTally.detail merged the suffixes): added as
            # they are, once per record.
            for kind, counts in kinds.items():
                add_counts(self.kinds, kind, *counts)
            own = kinds.get(DIRECTORY_KIND)
            if own is not None:  # only a directory's own record counts its own size
                self.own[key] = (own[1], own[2])
        if detail.ages:
            self.ages = list(map(add, self.ages, detail.ages))
        packed = detail.largest
        if packed:
            if key not in self.files_of:
                # A directory's first record (most have one): its list is
                # kept as it came, packed, already the model's (DirTally.detail).
                self.files_of[key] = packed
            else:
                # Chunks of one directory each send their largest: keep the
                # largest of all.
                for apparent, disk, name in unpack_files(packed):
                    self._offer_dir_file(key, apparent, disk, name)
        if detail.flags:
            self.flags[key] = self.flags.get(key, 0) | detail.flags

    def _add_owner(self, uid, gid, count, apparent, disk):
        """Count entries of one (uid, gid) to the user's totals and to the group's."""
        add_counts(self.owners, (USER, uid), count, apparent, disk)
        add_counts(self.owners, (GROUP, gid), count, apparent, disk)

    def _offer_dir_file(self, key, apparent, disk, name):
        kept = self.files_of.get(key)
        if kept is None:
            kept = self.files_of[key] = Largest(self.top)
        elif type(kept) is bytes:  # one record's list, as it came: ranked from now on
            kept = self.files_of[key] = Largest.of(
                self.top, [(*self.measure.key(a, d), n) for a, d, n in unpack_files(kept)]
            )
        kept.offer((*self.measure.key(apparent, disk), name))

    def _add_link(self, link, owner):
        """Count a file with several links once, at the link nearest its PATH.

        ``owner`` is ``(root, depth, name, directory key)``: an earlier PATH
        first (du's rule), then the fewest directories below it, then the
        name, then a fixed order of directories.  du charges the link its
        readdir order meets first; this order needs no full paths and never
        depends on which worker finished first.
        """
        seen = self.links.get((link.dev, link.ino))
        if seen is None:
            self.links[(link.dev, link.ino)] = [owner, link.apparent, link.disk]
            self._move(owner, link.apparent, link.disk, 1)
            self.files += 1
            self.apparent += link.apparent
            self.disk += link.disk
            if link.owner is not None and self.owners is not None:
                self._add_owner(*link.owner, 1, link.apparent, link.disk)
            if link.kind is not None:
                merge_suffixes({link.kind: (1, link.apparent, link.disk)}, into=self.kinds)
                self.ages[link.age] += 1
                self.ages[link.age + 1] += link.apparent
                self.ages[link.age + 2] += link.disk
        elif owner < seen[0]:
            # The same file seen from a place that sorts first: count it
            # there instead, so the attribution never depends on timing.  With
            # the sizes it was counted with: one inode has one size, and the
            # kinds and ages already hold those (two names of a file that grew
            # between their stats, or of a crafted export, may disagree).
            self._move(seen[0], -seen[1], -seen[2], -1)
            self._move(owner, seen[1], seen[2], 1)
            seen[0] = owner

    def _move(self, owner, apparent, disk, files):
        slot = self.dirs[owner[3]]  # the record naming the link made it
        slot[APPARENT] += apparent
        slot[DISK] += disk
        slot[FILES] += files

    def result(self, version="", *, imported=False) -> ScanResult:
        """Roll the per-directory sums up to every ancestor and build the result."""
        # Before the roll-up: the models read direct counts.
        model = self._model() if self.views else self._sums() if self.sums else None
        self._roll_up()
        roots = self._roots()
        errors = [ScanIssue(e.path, e.operation, e.message) for e in self.errors]
        # A moved directory's subdirectories were read twice too: the
        # topmost one is the news.
        errors += [
            ScanIssue(path_of(self.dirs, key), OP_READ, MOVED)
            for key in self.moved
            if self.dirs[key][PARENT] not in self.moved
        ]
        errors.sort(key=lambda e: (e.path, e.operation != OP_ACCESS))
        return ScanResult(
            paths=self.paths,
            roots=roots,
            total_size=sum(r.size for r in roots),
            disk_usage=sum(r.disk_usage for r in roots),
            files=sum(r.files for r in roots),
            dirs=sum(r.dirs for r in roots),
            top_files=self._top_files(),
            top_dirs=self._top_dirs(),
            errors=errors,
            apparent=self.measure.is_apparent,
            max_depth=self.max_depth,
            version=version,
            imported=imported,
            model=model,
            owners=self.owners or None,
        )

    def _roll_up(self):
        """Add every directory's sums to its parent's, deepest first.

        Memory and time grow with directories, not files.
        """
        dirs = self.dirs
        # Deepest first by depth buckets, each freed once added: a sort of
        # every key held them all at once, and a key list besides (0.8 MB of
        # the collector's peak at 1M files, against 0.3 MB).
        levels = {}
        for slot in dirs.values():
            if slot[PARENT] is not None:
                levels.setdefault(slot[DEPTH], []).append(slot)
        for depth in sorted(levels, reverse=True):
            for slot in levels.pop(depth):
                parent = dirs[slot[PARENT]]
                parent[APPARENT] += slot[APPARENT]
                parent[DISK] += slot[DISK]
                parent[FILES] += slot[FILES]
                parent[DIRS] += slot[DIRS]

    def _roots(self):
        roots = []
        for idx, path in enumerate(self.paths):
            empty = (0, 0, 0, 0, 0)
            skipped = idx in self.skipped_roots
            slot = empty if skipped else self.dirs.get(root_key(idx), empty)
            roots.append(
                RootTotal(path, slot[APPARENT], slot[DISK], slot[FILES], slot[DIRS], skipped)
            )
        return roots

    def _top_dirs(self):
        dirs, max_depth, top = self.dirs, self.max_depth, self.top
        if not top:
            return []
        key = APPARENT if self.measure.is_apparent else DISK

        def listed():
            return (
                slot
                for slot in dirs.values()
                if slot[DIRS]
                and 0 < slot[DEPTH]
                and (max_depth is None or slot[DEPTH] <= max_depth)
            )

        # Two passes over the directories, the top sizes and then what
        # reaches them, instead of a list of every directory: that list was
        # the collector's peak (2 MB at 1M files).
        sizes = heapq.nlargest(top, (slot[key] for slot in listed()))
        floor = sizes[-1] if len(sizes) == top else 0
        candidates = [(slot[key], slot[KEY]) for slot in listed() if slot[key] >= floor]
        return [
            DirTotal(path, *dirs[k][:3], dirs[k][DEPTH])
            for path, (_, k) in largest(
                candidates, top, lambda c: path_of(dirs, c[1]), up=lambda k: dirs[k][PARENT]
            )
        ]

    def _top_files(self):
        # Files with one link were ranked as they came; the others are ranked here.
        pick = self.measure.pick
        linked = (
            (pick(apparent, disk), owner[3], owner[2], apparent, disk)
            for owner, apparent, disk in self.links.values()
        )
        dirs = self.dirs
        best = largest(
            [*self._top.heap, *linked], self.top, lambda item: path_of(dirs, item[1], item[2])
        )
        return [FileTotal(path, apparent, disk) for path, (_, _, _, apparent, disk) in best]

    def _sums(self):
        """Every directory's totals and flags, without the views' detail."""
        return ScanModel(
            dirs=self.dirs,  # rolled up in place by result()
            direct_files={key: slot[FILES] for key, slot in self.dirs.items()},
            files_of={},
            own={},
            flags=self.flags,
            kinds=None,
            ages=None,
        )

    def _model(self):
        """The views' data (call before the roll-up: it reads direct counts)."""
        # A file with several links is listed where it was counted.
        for owner, apparent, disk in self.links.values():
            if owner[2] is not None:  # None: a PATH that is a file
                self._offer_dir_file(owner[3], apparent, disk, owner[2])
        measure = self.measure
        files_of = self.files_of
        apparent_first = measure.is_apparent
        for key, kept in files_of.items():
            if type(kept) is bytes:
                continue  # one record's list: the model's already
            # Back from (ranked by, other, name) to (apparent, disk, name), in
            # place: each directory's heap is freed as its list is made, so the
            # two are never held whole at once.
            ranked = kept.largest_first()
            files_of[key] = pack_files(
                ranked if apparent_first else [(a, d, name) for d, a, name in ranked]
            )
        return ScanModel(
            dirs=self.dirs,  # rolled up in place by result()
            direct_files={key: slot[FILES] for key, slot in self.dirs.items()},
            files_of=files_of,
            own=self.own,
            flags=self.flags,
            kinds={kind: tuple(v) for kind, v in self.kinds.items()},
            ages=[tuple(self.ages[i : i + 3]) for i in range(0, len(self.ages), 3)],
        )
