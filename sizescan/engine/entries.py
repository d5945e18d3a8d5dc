"""The entry filter: whether an entry is left out of a scan, and why.

One place decides it for both readers of the disk: the per-entry
pipeline (each entry a worker stats) and the plan (whether an earlier
PATH's walk reaches a later PATH, the same rules tried on each step of
the way).  An export needs none of it: it says itself what was left out.
The pipeline asks only what the scan's options make possible:
``exclude`` is None without --exclude, ``by_stat`` None without -x,
--exclude-kernfs, --exclude-from or several PATHs that hold one another.
"""

from __future__ import annotations

import copy

from .exclude import ExcludeMatcher, GitignoreMatcher
from .records import SKIP_KERNFS, SKIP_OTHER_FS, SKIP_PATTERN

# An entry an earlier PATH counts (du's rule for several PATHs): left out
# and not reported, as du says nothing of it either.
COUNTED_EARLIER = -1


def counted_once(nlink: int, options) -> bool:
    """Whether a file is counted by the collector, once per scan, rather
    than where it is found: it has other hard links (unless -l counts each),
    or -L may reach it through several symlinks (du's "hash_all")."""
    if options.count_links:
        return False
    return options.dereference or nlink > 1


def link_floor(options) -> float:
    """The link count above which a file is counted once (see counted_once):
    one comparison per entry in the pipeline's loop."""
    if options.count_links:
        return float("inf")
    return 0 if options.dereference else 1


class EntryFilter:
    """The exclusions of one scan, decided per entry.

    ``exclude`` (--exclude: du's patterns on the whole path) needs only the
    path; the others need the entry's stat: another filesystem (-x), a
    pseudo filesystem (--exclude-kernfs), a PATH counted earlier, a
    gitignore pattern (--exclude-from, on the path relative to its PATH).
    """

    __slots__ = (
        "exclude",
        "gitignore",
        "root_devs",
        "skip_ids",
        "kernfs_devs",
    )

    def __init__(self, options, *, root_devs=None, kernfs_devs=None):
        self.exclude = ExcludeMatcher(options.exclude) if options.exclude else None
        self.gitignore = GitignoreMatcher(options.gitignore) if options.gitignore else None
        self.root_devs = root_devs  # one device per PATH under -x, else None
        # {(dev, ino): index of the PATH from which on it is left out}
        self.skip_ids = None
        self.kernfs_devs = kernfs_devs  # None without --exclude-kernfs

    def skip_earlier(self, skip_ids) -> None:
        """Leave out the PATHs that later PATHs count (see plan)."""
        self.skip_ids = skip_ids or None

    def on_host(self, here: dict, kernfs_devs) -> EntryFilter:
        """This filter on another host (a Dask worker): the devices in that
        host's numbers (``here``: scan's -> host's), its own pseudo
        filesystems."""
        other = copy.copy(self)
        if self.root_devs is not None:
            other.root_devs = [None if d is None else here.get(d, d) for d in self.root_devs]
        if self.kernfs_devs is not None:
            other.kernfs_devs = kernfs_devs
        other.skip_earlier(
            {(here.get(d, d), ino): i for (d, ino), i in self.skip_ids.items()}
            if self.skip_ids
            else None
        )
        return other

    @property
    def by_stat(self):
        """What the pipeline calls per entry that has a stat (``reason``),
        or None when nothing the stat says can leave an entry out."""
        if self.root_devs is not None or self.skip_ids or self.kernfs_devs or self.gitignore:
            return self.reason
        return None

    def reason(self, st, root: int, relative: str, is_dir: bool):
        """Why the entry with stat ``st``, under the PATH at index ``root``
        and at ``relative`` below it, is left out (a SKIP_* or
        COUNTED_EARLIER), or None: it is counted."""
        if self.root_devs is not None and st.st_dev != self.root_devs[root]:
            return SKIP_OTHER_FS
        if self.skip_ids and self.skip_ids.get((st.st_dev, st.st_ino), root) < root:
            return COUNTED_EARLIER
        if self.kernfs_devs and st.st_dev in self.kernfs_devs:
            return SKIP_KERNFS
        if self.gitignore is not None and self.gitignore(relative, is_dir):
            return SKIP_PATTERN
        return None
