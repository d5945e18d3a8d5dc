"""Counting entries into a directory's views: one accumulator for every source.

The per-entry pipeline (``worker``), the export reader (``ncdu``) and a
file given as PATH (``engine``) all count a non-directory through
:meth:`DirTally.add`, so a scan and an import group, bucket and rank
alike.  :class:`Largest` is the one "keep the N largest" of the package.
"""

from __future__ import annotations

import heapq
from heapq import heappush, heapreplace
from typing import Optional

from ..model.kinds import AGES, DIRECTORY_KIND, merge_suffixes, suffix_kind
from .records import Detail

# Floats: a float compares faster with a float than with an int (once per file).
_DAY, _WEEK, _MONTH, _YEAR = (float(bound) for _, bound in AGES[:-1])


class Largest:
    """The ``n`` largest items seen so far (compared as tuples): a bounded min-heap.

    Items compare by their first fields, so callers put the size they rank
    by first and a tie-breaker (the other size, a name or path) after it:
    the same items give the same list whatever order they came in.
    """

    __slots__ = ("n", "heap")

    def __init__(self, n: int):
        self.n = n
        self.heap: list = []

    @classmethod
    def of(cls, n: int, items) -> Largest:
        """The ``n`` largest of ``items``, taken at once (a list already ranked
        costs one heapify, not a call of offer() per item)."""
        kept = cls(n)
        heap = list(items)
        kept.heap = heapq.nlargest(n, heap) if len(heap) > n else heap
        heapq.heapify(kept.heap)
        return kept

    def offer(self, item) -> bool:
        """Keep ``item`` if it is among the ``n`` largest so far."""
        heap = self.heap
        if len(heap) < self.n:
            heapq.heappush(heap, item)
            return True
        if heap and item > heap[0]:
            heapq.heapreplace(heap, item)
            return True
        return False

    @property
    def full(self) -> bool:
        return len(self.heap) >= self.n

    @property
    def floor(self):
        """The smallest item kept (valid once ``full``)."""
        return self.heap[0]

    def largest_first(self) -> list:
        return sorted(self.heap, reverse=True)


def age_bucket(now: float, mtime: float) -> int:
    """Where a file modified at ``mtime`` is counted in ``ages`` (see kinds.AGES)."""
    age = now - mtime
    # Comparisons, not a loop over AGES: this runs for every file of a scan with views.
    return (
        0 if age < _DAY else 3 if age < _WEEK else 6 if age < _MONTH else 9 if age < _YEAR else 12
    )


class DirTally:
    """One directory's kinds, ages and largest files, as its entries are counted.

    ``key`` is a regular file's raw suffix (``".TXT"``, ``""``) or an
    entry's kind (``"(symlink)"``...: see kinds.kind_of); suffixes become
    kinds once per directory, in :meth:`detail`.  Ages are measured from
    ``now``; an mtime of None (an export written without them) is counted
    as new and remembered in ``mtimes_missing``.  ``keep`` bounds the
    largest files kept, ranked by ``measure``.
    """

    __slots__ = ("suffixes", "ages", "files", "keep", "now", "by_apparent", "mtimes_missing")

    def __init__(self, now: float, keep: int, measure):
        self.suffixes: dict = {}
        self.ages = [0] * (3 * len(AGES))
        self.files = Largest(keep)
        self.keep = keep
        self.now = now
        self.by_apparent = measure.is_apparent
        self.mtimes_missing = False

    def own(self, apparent: int, disk: int) -> None:
        """Count the directory's own size (only its own record does)."""
        self.suffixes[DIRECTORY_KIND] = [1, apparent, disk]

    def bucket(self, mtime) -> int:
        if mtime is None:
            self.mtimes_missing = True
            return 0
        return age_bucket(self.now, mtime)

    def link_view(self, key: str, mtime) -> tuple:
        """(kind, age bucket) of a file counted once by the collector (a Link)."""
        return (key if key[:1] == "(" else suffix_kind(key)), self.bucket(mtime)

    def add(self, key: str, apparent: int, disk: int, mtime, name: Optional[str]) -> None:
        """Count one non-directory entry of this directory."""
        slot = self.suffixes.get(key)
        if slot is None:
            self.suffixes[key] = [1, apparent, disk]
        else:
            slot[0] += 1
            slot[1] += apparent
            slot[2] += disk
        if mtime is None:
            self.mtimes_missing = True
            i = 0
        else:
            # age_bucket, inlined: this runs once per file of a scan with views.
            age = self.now - mtime
            i = (
                0
                if age < _DAY
                else 3
                if age < _WEEK
                else 6
                if age < _MONTH
                else 9
                if age < _YEAR
                else 12
            )
        ages = self.ages
        ages[i] += 1
        ages[i + 1] += apparent
        ages[i + 2] += disk
        keep = self.keep
        if not keep:
            return
        heap = self.files.heap  # Largest.offer, inlined: once per file
        rank, other = (apparent, disk) if self.by_apparent else (disk, apparent)
        if len(heap) < keep:
            heappush(heap, (rank, other, name, apparent, disk))
        elif rank >= heap[0][0]:
            # Most files are smaller than the smallest kept: one comparison of ints says no.
            item = (rank, other, name, apparent, disk)
            if item > heap[0]:
                heapreplace(heap, item)

    def detail(self, fragment=None, subdirs=None, flags=0) -> Detail:
        """The record's detail: kinds merged, largest files first."""
        files = [(f[3], f[4], f[2]) for f in self.files.largest_first()]
        return Detail(
            merge_suffixes(self.suffixes) if self.suffixes else None,
            self.ages,
            files or None,
            fragment,
            subdirs,
            flags,
        )
