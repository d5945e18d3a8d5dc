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

from ..model.keys import dir_prefix
from ..model.kinds import add_counts, add_owner, tally_key
from ..model.measure import disk_usage
from .entries import COUNTED_EARLIER
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


class DirectoryPass:
    """One directory's pass through the pipeline: its settings, read once,
    and everything an entry needs that the common one does not (exclusions,
    errors, subdirectories, links, owners, views, the export)."""

    def __init__(self, cfg, fd, task, subdirs):
        options = cfg.options
        self.cfg, self.fd, self.task, self.subdirs = cfg, fd, task, subdirs
        self.own = isinstance(task, DirTask)
        # A DirTask makes its key when asked (a hash): asked once here.
        self.key = task.key
        self.prefix = dir_prefix(task.path)
        self.tops, self.links, self.errors = [], [], []
        self.skipped = []  # (name, reason): told to the encoder at the end
        self.follow = options.dereference
        # os.stat follows symlinks, os.lstat does not; positional-only calls
        # are measurably cheaper than follow_symlinks=... in the loop.  -L:
        # du stats full paths, and the kernel follows at most MAX_SYMLINKS
        # symlinks in one: past that an entry is "cannot access" there too.
        self.stat_ = (
            os.lstat
            if not self.follow
            else (_stat_near_limit if task.hops >= MAX_SYMLINKS else os.stat)
        )
        entries = cfg.entries
        self.exclude = entries.exclude
        self.reason = entries.by_stat
        if self.reason is not None:
            self.relative_from = len(dir_prefix(cfg.roots[task.root]))
        # Views count through one DirTally.
        self.tally = DirTally(cfg.now, options.top, options.measure) if options.views else None
        if self.tally is not None and self.own:
            self.tally.own(task.apparent, task.disk)
        self.encoder = cfg.encoder
        self.fragment, self.subinfo = [], []
        # --by-owner: every entry counted here, by uid and by gid.
        self.owners = {} if options.by_owner else None
        self.owner = None  # the first file's (uid, gid)
        self.others = [0, 0, 0]  # files not of the first file's owner: counted as they come
        self.has_extra = self.encoder is not None or self.owners is not None

    def excluded(self, name) -> bool:
        if self.exclude(self.prefix + name):
            self.skipped.append((name, SKIP_PATTERN))
            return True
        return False

    def left_out(self, name, st) -> bool:
        is_dir = _stat.S_ISDIR(st.st_mode)
        reason = self.reason(st, self.task.root, (self.prefix + name)[self.relative_from :], is_dir)
        if reason is None:
            return False
        if reason != COUNTED_EARLIER:
            self.skipped.append((name, reason))
        return True

    def unreachable(self, name, exc) -> None:
        # A vanished entry, or a dangling symlink under -L: du reports it
        # and counts nothing.
        self.errors.append(PathError(self.prefix + name, OP_ACCESS, exc.strerror))

    def _device(self, st) -> int:
        devices = self.cfg.devices
        return st.st_dev if devices is None else devices.get(st.st_dev, st.st_dev)

    def subdir(self, name, st) -> None:
        task = self.task
        dev = self._device(st)
        guard = task.guard
        if self.cfg.track_ancestors:
            # A bind mount can make a directory its own ancestor: a cycle.
            # du skips it, uncounted.
            ident = (dev, st.st_ino)
            if ident in guard:
                return
            guard = guard + (ident,)
        hops = task.hops
        if self.follow and _stat.S_ISLNK(os.lstat(name, dir_fd=self.fd).st_mode):
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
        if self.encoder is not None:
            self.subinfo.append((name, self.encoder.directory(name, st, dev, task.dev)))

    def link(self, name, st) -> None:
        if self.encoder is not None:
            self.fragment.append(self.encoder.sized(name, st))
        kind = age = None
        if self.tally is not None:
            kind, age = self.tally.link_view(tally_key(name, st.st_mode), st.st_mtime)
        self.links.append(
            Link(
                self._device(st),
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
        if self.encoder is not None:
            self.fragment.append(self.encoder.sized(name, st))
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
        encoder = self.encoder
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
        detail = self._detail(owners) if self.cfg.detailed else None
        if own:
            apparent += task.apparent
            disk += task.disk
        return Record(
            self.key,
            task.parent,
            task.name,
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
