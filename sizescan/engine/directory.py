"""One directory's pass through the per-entry pipeline: the cold half.

``Scanner._size_entries`` (engine.pipeline) is the loop every entry runs
through; it sums what the common entry needs and hands everything else
to the directory's DirectoryPass: entries left out, errors,
subdirectories, hard links, owners, views and the export's text, and at
the end the directory's Record.
"""

from __future__ import annotations

import errno
import os
import stat as _stat
from typing import Optional

from ..model.keys import dir_prefix
from ..model.kinds import add_counts, add_owner, tally_key
from ..model.measure import disk_usage
from .entries import COUNTED_EARLIER, link_floor
from .fs import MAX_SYMLINKS
from .records import OP_ACCESS, SKIP_PATTERN, Detail, DirTask, Link, PathError, Record
from .tally import DirTally

# A threshold no size reaches: --top 0 keeps no largest file.
NEVER = float("inf")


def _stat_near_limit(name, dir_fd):
    """os.stat under -L where one more symlink is past the kernel's limit."""
    if _stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode):
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))
    return os.stat(name, dir_fd=dir_fd)


def out_of_memory(exc: OSError) -> None:
    """Raise MemoryError for an OSError that says the process is out of
    memory (ENOMEM from an open, a listing or a stat under ulimit -v): the
    scan ends with one line, never goes on with directories reported
    unreadable that are not."""
    if exc.errno == errno.ENOMEM:
        raise MemoryError(exc.strerror) from exc


class PassSettings:
    """What every directory's pass of one scan shares, read once per scan
    (by the Scanner) instead of once per directory: on a tree of small
    directories (``/usr``: nine entries each) the per-directory work weighs
    as much as the per-entry work."""

    __slots__ = (
        "cfg",
        "follow",
        "exclude",
        "reason",
        "relative_from",
        "views",
        "encoder",
        "by_owner",
        "has_extra",
        "devices",
        "track_ancestors",
        "detailed",
        "floor",
        "by_apparent",
        "keep",
    )

    def __init__(self, cfg):
        options = cfg.options
        self.cfg = cfg
        self.follow = options.dereference
        entries = cfg.entries
        self.exclude = entries.exclude
        self.reason = entries.by_stat
        # Where a path relative to its PATH starts (gitignore patterns), per PATH.
        self.relative_from = [len(dir_prefix(root)) for root in cfg.roots]
        self.views = options.views
        self.encoder = cfg.encoder
        self.by_owner = options.by_owner
        self.has_extra = self.encoder is not None or self.by_owner
        self.devices = cfg.devices
        self.track_ancestors = cfg.track_ancestors
        self.detailed = cfg.detailed
        self.floor = link_floor(options)
        self.by_apparent = options.apparent
        self.keep = options.top  # the largest files each directory's views keep

    def device(self, st) -> int:
        """An entry's device in the scan's numbers (see WorkerConfig.devices)."""
        devices = self.devices
        return st.st_dev if devices is None else devices.get(st.st_dev, st.st_dev)


class DirectoryPass:
    """One directory's pass through the pipeline: everything an entry needs
    that the common one does not (exclusions, errors, subdirectories, links,
    owners, views, the export)."""

    __slots__ = (
        "s",
        "fd",
        "task",
        "subdirs",
        "own",
        "name",
        "key",
        "prefix",
        "tops",
        "links",
        "errors",
        "skipped",
        "stat_",
        "tally",
        "fragment",
        "subinfo",
        "owners",
        "owner",
        "others",
    )

    def __init__(self, settings: PassSettings, fd, task, subdirs):
        self.s, self.fd, self.task, self.subdirs = settings, fd, task, subdirs
        self.own = own = isinstance(task, DirTask)
        # A DirTask makes its key when asked (a hash): asked once here.
        self.name, self.key = task.name_and_key()
        self.prefix = dir_prefix(task.path)
        self.tops: list = []
        self.links: list = []
        self.errors: list = []
        self.skipped: list = []  # (name, reason): told to the encoder at the end
        # os.stat follows symlinks, os.lstat does not; positional-only calls
        # are measurably cheaper than follow_symlinks=... in the loop.  -L:
        # du stats full paths, and the kernel follows at most MAX_SYMLINKS
        # symlinks in one: past that an entry is "cannot access" there too.
        self.stat_ = (
            os.lstat
            if not settings.follow
            else (_stat_near_limit if task.hops >= MAX_SYMLINKS else os.stat)
        )
        self.tally = None
        if settings.views:  # views count through one DirTally
            self.tally = DirTally(settings.cfg.now, settings.keep, settings.by_apparent)
            if own:
                self.tally.own(task.apparent, task.disk)
        # The export's text: this directory's entries, its subdirectories.
        self.fragment: list = []
        self.subinfo: list = []
        # --by-owner: every entry counted here, by uid and by gid.
        self.owners: Optional[dict] = {} if settings.by_owner else None
        self.owner: Optional[tuple] = None  # the first file's (uid, gid)
        self.others = [0, 0, 0]  # files not of the first file's owner: counted as they come

    def excluded(self, name) -> bool:
        if self.s.exclude(self.prefix + name):
            self.skipped.append((name, SKIP_PATTERN))
            return True
        return False

    def left_out(self, name, st) -> bool:
        is_dir = _stat.S_ISDIR(st.st_mode)
        root = self.task.root
        relative = (self.prefix + name)[self.s.relative_from[root] :]
        reason = self.s.reason(st, root, relative, is_dir)
        if reason is None:
            return False
        if reason != COUNTED_EARLIER:
            self.skipped.append((name, reason))
        return True

    def unreachable(self, name, exc) -> None:
        # A vanished entry, or a dangling symlink under -L: du reports it
        # and counts nothing.
        out_of_memory(exc)
        self.errors.append(PathError(self.prefix + name, OP_ACCESS, exc.strerror))

    def subdir(self, name, st) -> None:
        s, task = self.s, self.task
        dev = s.device(st)
        guard = task.guard
        if s.track_ancestors:
            # A bind mount can make a directory its own ancestor: a cycle.
            # du skips it, uncounted.
            ident = (dev, st.st_ino)
            if ident in guard:
                return
            guard = guard + (ident,)
        hops = task.hops
        if s.follow and _stat.S_ISLNK(os.lstat(name, dir_fd=self.fd).st_mode):
            hops += 1  # one lstat per directory, under -L only
        self.subdirs.append(
            DirTask(
                self.prefix + name,
                task.depth + 1,
                task.root,
                st.st_size,
                disk_usage(st),
                dev,
                st.st_ino,
                self.key,
                guard,
                hops,
                None if self.owners is None else (st.st_uid, st.st_gid),
            )
        )
        if s.encoder is not None:
            self.subinfo.append((name, s.encoder.directory(name, st, dev, task.dev)))

    def link(self, name, st) -> None:
        s = self.s
        if s.encoder is not None:
            self.fragment.append(s.encoder.sized(name, st))
        kind = age = None
        if self.tally is not None:
            kind, age = self.tally.link_view(tally_key(name, st.st_mode), st.st_mtime)
        self.links.append(
            Link(
                s.device(st),
                st.st_ino,
                st.st_size,
                disk_usage(st),
                name,
                kind,
                age,
                None if self.owners is None else (st.st_uid, st.st_gid),
            )
        )

    def extra(self, name, st, size, blocks) -> None:
        """A counted file, for the export and the owners (the views count
        in the loop itself: see Scanner._size_entries)."""
        encoder = self.s.encoder
        if encoder is not None:
            self.fragment.append(encoder.sized(name, st))
        if self.owners is not None:
            owner = (st.st_uid, st.st_gid)
            # A directory's files mostly share one owner, the first file's:
            # they get what the others leave of the directory's sums at the end.
            if self.owner is None:
                self.owner = owner
            elif owner != self.owner:
                add_owner(self.owners, *owner, size, blocks)
                others = self.others
                others[0] += 1
                others[1] += size
                others[2] += blocks

    def _owners(self, files, apparent, disk):
        """The record's owners (see Detail.owners): files, sizes counted here."""
        owners, task = self.owners, self.task
        mine = task.owner if self.own else None
        first = self.owner
        if not owners and (mine is None or first is None or mine == first):
            # One owner for the whole record, the common case: said as the
            # pair alone, no counters.
            return first or mine
        if first is not None:
            others = self.others
            add_counts(owners, first, files - others[0], apparent - others[1], disk - others[2])
        if mine is not None:  # the directory itself
            add_owner(owners, *mine, task.apparent, task.disk)
        return owners

    def _detail(self, owners):
        text = subdirs_text = None
        encoder = self.s.encoder
        if encoder is not None:
            fragment = self.fragment
            fragment += [encoder.skipped(name, reason) for name, reason in self.skipped]
            fragment += [encoder.unreadable(e.path[len(self.prefix) :]) for e in self.errors]
            text, subdirs_text = "".join(fragment) or None, self.subinfo or None
        if self.tally is None:
            return Detail(fragment=text, subdirs=subdirs_text, owners=owners)
        detail = self.tally.detail(text, subdirs_text)
        return detail._replace(owners=owners) if owners else detail

    def record(self, files, apparent, disk) -> Record:
        """The directory's record, from the sums of its counted files."""
        task, own = self.task, self.own
        owners = self._owners(files, apparent, disk) if self.owners is not None else None
        detail = self._detail(owners) if self.s.detailed else None
        if own:
            apparent += task.apparent
            disk += task.disk
        return Record(
            self.key,
            task.parent,
            self.name,
            task.depth,
            task.root,
            1 if own else 0,
            files,
            apparent,
            disk,
            self.tops,
            self.links,
            self.errors,
            0 if own else task.part,
            detail,
            (task.dev, task.ino) if own else None,
        )
