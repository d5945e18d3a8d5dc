"""The plan of a scan: each PATH as a :class:`Root`, and the settings resolved.

``plan_scan`` is the walk's first step: it stats each PATH, applies du's
rules for several PATHs (a PATH an earlier one counts is skipped), reads
the mount table once, and turns the options the caller gave (``workers``,
``io_depth``: None means "choose") into the numbers the scan runs with,
for the filesystems found and within what this process can afford.
"""

from __future__ import annotations

import os
import stat as _stat
import time
from dataclasses import dataclass
from typing import NamedTuple, Optional

from ..errors import CannotAccess
from ..model.keys import join, root_key
from ..model.kinds import tally_key
from ..model.measure import disk_usage
from .budget import affordable_io_depth, affordable_workers
from .entries import counted_once
from .fs import (
    default_io_depth,
    default_workers,
    filesystem_type,
    is_slow_filesystem,
    kernfs_devices,
    mount_point_ids,
    mount_points_inside,
    mounts,
    request_latency,
    types_at,
)
from .pipeline import WorkerConfig, has_cache_tag
from .records import OP_ACCESS, Detail, DirTask, Link, PathError, Record
from .tally import DirTally


class Root(NamedTuple):
    """One PATH as the scan takes it."""

    position: int  # its index among the PATHs
    path: str  # normalized: the name the results use
    spelled: str  # as opened: with the trailing slash it was given, if any
    follow: bool  # a symlink PATH is entered, not counted as a link (-L, or "link/")
    stat: Optional[os.stat_result]  # None: it could not be accessed (plan.errors says why)
    counted_earlier: bool  # inside an earlier PATH whose walk counts it (du's rule)
    excluded: bool  # matched by --exclude

    @property
    def walked(self) -> bool:
        """Whether the scan counts this PATH itself."""
        return self.stat is not None and not self.counted_earlier and not self.excluded

    @property
    def is_dir(self) -> bool:
        return self.stat is not None and _stat.S_ISDIR(self.stat.st_mode)


@dataclass
class Plan:
    """What a scan will do, decided before the walk begins."""

    roots: list  # a Root per PATH, in order
    workers: int  # resolved: what the scan runs with (options.workers is what was asked)
    io_depth: int  # resolved, as workers
    config: WorkerConfig  # what every worker must know
    mount_table: list
    bound_devs: frozenset  # devices mounted twice where the scan goes (see Collector.add)
    errors: list  # a PathError per PATH that could not be accessed
    now: float  # the scan's start, in seconds since the epoch

    @property
    def skipped(self) -> set:
        """Indexes of the PATHs an earlier PATH counts."""
        return {root.position for root in self.roots if root.counted_earlier}


def plan_scan(paths, options, *, slashed=frozenset(), encoder=None) -> Plan:
    """The plan for a scan of the normalized ``paths`` with ``options``.

    ``slashed`` holds the indexes of the PATHs given with a trailing slash
    (such a PATH is the directory a symlink points to, not the link);
    ``encoder`` is the export's (see files.ncdu), handed to the workers.
    Raises CannotAccess when the only PATH cannot be accessed.
    """
    now = time.time()
    spelled = [path + "/" if i in slashed else path for i, path in enumerate(paths)]
    stats, errors = _stat_roots(paths, spelled, options)
    table = mounts()
    reached = [p for p, st in zip(paths, stats) if st is not None]
    mount_ids = mount_point_ids(reached, table)
    workers, io_depth = options.workers, options.io_depth
    if workers is None or io_depth is None:
        chosen_workers, chosen_depth = _settings_for(
            [spelled[i] for i, st in enumerate(stats) if st is not None] or spelled[:1],
            None if options.one_file_system else mount_ids,
            table,
        )  # -x enters none
        workers, io_depth = workers or chosen_workers, io_depth or chosen_depth
    workers = affordable_workers(workers)
    io_depth = affordable_io_depth(io_depth, workers)
    config = WorkerConfig(
        options,
        roots=paths,
        root_devs=[st.st_dev if st else None for st in stats] if options.one_file_system else None,
        track_ancestors=bool(mount_ids),
        kernfs_devs=kernfs_devices(table) if options.exclude_kernfs else None,
        now=now,
        encoder=encoder,
        follow_roots=slashed,
        io_depth=io_depth,
    )
    skipped, skip_ids = _roots_counted_earlier(spelled, stats, config)
    config.entries.skip_earlier(skip_ids)
    # A filesystem mounted twice where the scan goes (a bind mount) shows
    # one directory under two names: no sign of a tree changed under the
    # scan there (see Collector.add).
    devs = [dev for dev, _ in mount_ids] + [st.st_dev for st in stats if st is not None]
    roots = [
        Root(
            i,
            path,
            spelled[i],
            options.dereference or i in slashed,
            stats[i],
            i in skipped,
            config.entries.exclude is not None and config.entries.exclude(spelled[i]),
        )
        for i, path in enumerate(paths)
    ]
    return Plan(
        roots,
        workers,
        io_depth,
        config,
        table,
        frozenset(dev for dev in devs if devs.count(dev) > 1),
        errors,
        now,
    )


def first_tasks(plan: Plan) -> tuple:
    """(DirTasks of the PATHs to walk, Records of the PATHs that are files)."""
    options = plan.config.options
    track = plan.config.track_ancestors
    tasks, records = [], []
    for root in plan.roots:
        if not root.walked:
            continue
        st = root.stat
        if root.is_dir:
            ident = (st.st_dev, st.st_ino)
            tasks.append(
                DirTask(
                    root.path,
                    0,
                    root.position,
                    st.st_size,
                    disk_usage(st),
                    st.st_dev,
                    st.st_ino,
                    None,
                    (ident,) if track else (),
                    0,
                    (st.st_uid, st.st_gid) if options.by_owner else None,
                )
            )
        else:
            records.append(_file_record(root.path, root.position, st, options, plan.now))
    return tasks, records


# Slow filesystems whose latency is measured before a scan, at most: each
# probe is a few round trips (see fs.request_latency).
_PROBES = 4


def _settings_for(paths, mount_ids, table):
    """(workers, io_depth) for a scan of ``paths`` when the caller does not say.

    Workers follow the first PATH's filesystem, as before (a spinning disk
    there caps them).  Requests in flight follow every filesystem the walk
    may enter, not only the first PATH's: the PATHs' own and those mounted
    inside them (NFS home directories under a local /home), the most any
    of them wants (the local part then runs with threads too; the network
    part without them ran 13x slower).  Latencies are measured on up to
    _PROBES slow filesystems.
    """
    types = types_at(table)
    places = [(path, filesystem_type(path, table)) for path in paths]
    if mount_ids:
        places += [(point, types.get(point)) for point in mount_points_inside(paths, table)]
    workers = io_depth = None
    probed = 0
    for place, fstype in places:
        latency = None
        if is_slow_filesystem(fstype):
            if probed >= _PROBES:
                continue
            probed += 1
            # A network mount: do its requests wait on a round trip, or on a CPU?
            latency = request_latency(place)
        if workers is None:
            workers = default_workers(place, table, latency=latency)
        io_depth = max(io_depth or 1, default_io_depth(place, table, latency))
    return workers or 1, io_depth or 1


def _stat_roots(paths, spelled, options):
    """(each PATH's stat or None where it failed, a PathError per failure);
    CannotAccess if there is only one PATH."""
    stats, errors = [], []
    for path, as_given in zip(paths, spelled):
        try:
            if not path:
                raise FileNotFoundError(2, "No such file or directory")
            st = os.stat(as_given, follow_symlinks=options.dereference)
        except OSError as exc:
            if len(paths) == 1:
                raise CannotAccess(path, exc.strerror) from None
            errors.append(PathError(path, OP_ACCESS, exc.strerror))
            st = None
        stats.append(st)
    return stats, errors


def _roots_counted_earlier(paths, stats, config):
    """du's rules for several PATHs, for a walk that scans them all at once.

    du walks its PATHs one after the other and, given several, skips any
    entry whose (dev, ino) an earlier PATH's walk already counted (its
    "hash_all"); with -l it hashes nothing.  Without -L, two PATHs share
    entries only when one holds the other: a PATH inside an earlier one is
    skipped if that walk reaches it (nothing on the way is excluded), and a
    later PATH skips the earlier ones inside it (``skip_ids``, checked by
    the workers).  Under -L the PATHs are walked in turn instead (see
    walker's Frontier), so this is not needed.

    Returns (indexes of the PATHs skipped, {(dev, ino): index} of the others).
    """
    options = config.options
    if len(paths) < 2 or options.count_links or options.dereference:
        return set(), None
    ids = {}
    skipped = set()
    for idx, (path, st) in enumerate(zip(paths, stats)):
        if st is None:
            continue
        earlier = _earlier_root_holding(path, st, ids)
        if earlier is not None and _walk_reaches(paths, earlier, path, config):
            skipped.add(idx)
            continue
        ids.setdefault((st.st_dev, st.st_ino), idx)
    return skipped, ids


def _as_walked(path):
    """``path`` with its directories resolved and its last component as it is:
    without -L a symlink PATH is the link, not what it points to."""
    head, tail = os.path.split(os.path.abspath(path))
    return os.path.join(os.path.realpath(head), tail)


def _earlier_root_holding(path, st, ids):
    """The index of an earlier PATH that is ``path`` or one of its directories."""
    if (st.st_dev, st.st_ino) in ids:
        return ids[(st.st_dev, st.st_ino)]
    try:
        probe = os.path.dirname(_as_walked(path))
    except OSError:  # no current directory (deleted): nothing to compare with
        return None
    while True:
        try:
            pst = os.stat(probe)
        except OSError:
            return None
        if (pst.st_dev, pst.st_ino) in ids:
            return ids[(pst.st_dev, pst.st_ino)]
        if probe == "/":
            return None
        probe = os.path.dirname(probe)


def _walk_reaches(paths, earlier, path, config):
    """Whether the walk of the PATH at index ``earlier`` counts ``path``,
    inside it: the entry filter the workers apply, tried on each step of
    the way."""
    entries = config.entries
    top = paths[earlier]
    try:
        base = os.path.realpath(top)
        relative = os.path.relpath(_as_walked(path), base)
    except OSError:
        return True
    if relative == "." or relative.startswith(".."):
        return True  # the same directory, or held through a bind mount: counted there
    parts = relative.split("/")
    walked = top
    for depth, part in enumerate(parts, 1):
        walked = join(walked, part)
        step = "/".join(parts[:depth])
        try:
            st = os.lstat(os.path.join(base, step))
        except OSError:
            return True
        is_dir = _stat.S_ISDIR(st.st_mode)
        if (
            (entries.exclude is not None and entries.exclude(walked))
            or entries.reason(st, earlier, step, is_dir) is not None
            or (
                config.options.exclude_caches
                and is_dir
                and _cache_directory(os.path.join(base, step))
            )
        ):
            return False
    return True


def _cache_directory(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return has_cache_tag(fd)
    finally:
        os.close(fd)


def _file_record(path, idx, st, options, now) -> Record:
    """The record of a PATH that is not a directory: made here, not by a worker."""
    apparent, disk = st.st_size, disk_usage(st)
    tally = DirTally(now, 0, options.apparent) if options.views else None
    key = tally_key(path, st.st_mode)
    owner = (st.st_uid, st.st_gid) if options.by_owner else None
    if counted_once(st.st_nlink, options):
        kind, age = tally.link_view(key, st.st_mtime) if tally is not None else (None, None)
        return Record(
            root_key(idx),
            None,
            path,
            0,
            idx,
            0,
            0,
            0,
            0,
            links=[Link(st.st_dev, st.st_ino, apparent, disk, None, kind, age, owner)],
        )
    detail = None
    if tally is not None:
        tally.add((key, apparent, disk, st.st_mtime, None))
        detail = tally.detail()
    if owner is not None:  # one owner for the whole record (see Detail.owners)
        detail = (detail or Detail())._replace(owners=owner)
    return Record(
        root_key(idx),
        None,
        path,
        0,
        idx,
        0,
        1,
        apparent,
        disk,
        tops=[(apparent, disk, None)],
        detail=detail,
    )
