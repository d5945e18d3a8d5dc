"""Counting entries into a directory's views: one accumulator for every source.

The per-entry pipeline (``worker``), the export reader (``ncdu``) and a
file given as PATH (``engine``) all count a non-directory through
:attr:`DirTally.add`, so a scan and an import group, bucket and rank
alike.  :class:`Largest` is the one "keep the N largest" of the package.
"""

from __future__ import annotations

import heapq
from operator import itemgetter
from typing import Optional

from ..model.kinds import AGES, DIRECTORY_KIND, add_counts, key_kind
from ..model.tree import pack_files
from .records import Detail

# Floats: a float compares faster with a float than with an int (once per file).
_DAY, _WEEK, _MONTH, _YEAR = (float(bound) for _, bound in AGES[:-1])

# A DirTally entry (key, apparent, disk, mtime, name) ranked among the
# largest: by the size ranked by, then the other, then the name.
_BY_APPARENT, _BY_DISK = itemgetter(1, 2, 4), itemgetter(2, 1, 4)


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
    """One directory's kinds, ages and largest files, from its entries.

    Every source counts a non-directory by handing :attr:`add` one tuple,
    ``(key, apparent, disk, mtime, name)``: ``key`` is a regular file's raw
    suffix (``".TXT"``, ``""``) or an entry's kind (``"(symlink)"``...: see
    kinds.tally_key).  ``add`` is the list's own append, a call without a
    Python frame, and the sums are made once per record, by :meth:`detail`,
    in one loop bumping one sum per file.  With views this is the per-file
    cost of a scan: a method call per file, bumping six counters and a heap,
    took 12-15% more instructions on the views' share of a scan (callgrind).

    Ages are measured from ``now``; an mtime of None (an export written
    without them) is counted as new and remembered in ``mtimes_missing``.
    ``keep`` bounds the largest files kept, ranked by apparent size if
    ``by_apparent``, else by disk usage.
    """

    __slots__ = ("entries", "add", "own_size", "keep", "now", "by_apparent", "mtimes_missing")

    def __init__(self, now: float, keep: int, by_apparent: bool):
        self.entries: list = []
        self.add = self.entries.append
        self.own_size: Optional[list] = None
        self.keep = keep
        self.now = now
        self.by_apparent = by_apparent
        self.mtimes_missing = False

    def own(self, apparent: int, disk: int) -> None:
        """Count the directory's own size (only its own record does)."""
        self.own_size = [1, apparent, disk]

    def bucket(self, mtime) -> int:
        if mtime is None:
            self.mtimes_missing = True
            return 0
        return age_bucket(self.now, mtime)

    def link_view(self, key: str, mtime) -> tuple:
        """(kind, age bucket) of a file counted once by the collector (a Link)."""
        return key_kind(key), self.bucket(mtime)

    def detail(self, fragment=None, subdirs=None, flags=0) -> Detail:
        """The record's detail: the entries summed by kind and by age, the
        largest files first."""
        entries, now = self.entries, self.now
        # {(age bucket, key): [count, apparent, disk]}: one sum to bump per
        # file; the kinds and the ages are both made of these.
        sums: dict = {}
        for key, apparent, disk, mtime, _ in entries:
            # A test, not a try: an export written without mtimes has none
            # for any entry, and an exception per entry cost 1 us each.
            if mtime is None:
                self.mtimes_missing = True
                age = 0.0
            else:
                age = now - mtime
            # age_bucket, inlined: once per file.
            at = (
                0
                if age < _DAY
                else 3
                if age < _WEEK
                else 6
                if age < _MONTH
                else 9
                if age < _YEAR
                else 12,
                key,
            )
            slot = sums.get(at)
            if slot is None:
                sums[at] = [1, apparent, disk]
            else:
                slot[0] += 1
                slot[1] += apparent
                slot[2] += disk
        kinds: dict = {}
        if self.own_size is not None:
            kinds[DIRECTORY_KIND] = self.own_size
        ages = [0] * (3 * len(AGES))
        for (i, key), (count, apparent, disk) in sums.items():
            ages[i] += count
            ages[i + 1] += apparent
            ages[i + 2] += disk
            add_counts(kinds, key_kind(key), count, apparent, disk)
        return Detail(kinds or None, ages, self._largest(), fragment, subdirs, flags)

    def _largest(self) -> Optional[bytes]:
        """The ``keep`` largest files as (apparent, disk, name), largest first,
        ties by the other size, then by name; packed as the model keeps them
        (None for none)."""
        keep, entries = self.keep, self.entries
        if not keep or not entries:
            return None
        rank = _BY_APPARENT if self.by_apparent else _BY_DISK
        # A few times keep: one sort in C; more: a bounded heap, which turns
        # most files away with one comparison.
        top = (
            sorted(entries, key=rank, reverse=True)[:keep]
            if len(entries) <= 8 * keep
            else heapq.nlargest(keep, entries, key=rank)
        )
        return pack_files([(apparent, disk, name) for _, apparent, disk, _, name in top])
