"""Facts from the mount table: filesystem types, pseudo filesystems, mount points."""

from __future__ import annotations

import os
import re
import time
from typing import NamedTuple

# The most symlinks the kernel follows in one path (Linux's MAXSYMLINKS).
MAX_SYMLINKS = 40

# Filesystems where every stat is a round trip to another process or host.
# There a scan waits, not computes, so it pays to have many requests in
# flight even on a 2-core machine.
_SLOW_TYPES = {
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "9p",
    "afs",
    "ceph",
    "glusterfs",
    "lustre",
    "gpfs",
    "beegfs",
    "virtiofs",
    "davfs",
    "ncpfs",
    "sshfs",
}


# Pseudo filesystems of the kernel (ncdu's --exclude-kernfs list): their
# sizes are not disk space, and some (proc) are vast and change as you look.
KERNFS_TYPES = {
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "debugfs",
    "tracefs",
    "securityfs",
    "pstore",
    "bpf",
    "binfmt_misc",
    "devpts",
    "selinuxfs",
}


class Mount(NamedTuple):
    """One line of /proc/self/mountinfo: where, what type, which device."""

    mount_point: str
    fstype: str
    dev: int


def _unescape(field: str) -> str:
    # /proc/self/mountinfo writes space, tab, newline and backslash as \ooo.
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), field)


def mounts() -> list[Mount]:
    """The mounts this process sees; empty where /proc is not there."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        left, _, right = line.partition(" - ")
        fields = left.split()
        if len(fields) < 5 or not right:
            continue
        major, _, minor = fields[2].partition(":")
        out.append(
            Mount(_unescape(fields[4]), right.split()[0], os.makedev(int(major), int(minor)))
        )
    return out


def types_at(table) -> dict:
    """{mount point: filesystem type} of a mount table (the last mount at a
    point, the one seen there, wins)."""
    return {m.mount_point: m.fstype for m in table}


def _real(path: str) -> str | None:
    """``path`` with every symlink resolved; None without a current directory
    (deleted under us: ``mkdir x; cd x; rmdir ../x``), where du still works."""
    try:
        return os.path.realpath(path)
    except OSError:
        return None


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def filesystem_type(path: str, table=None) -> str | None:
    """The type of the mount holding ``path`` (``"ext4"``, ``"fuse.bindfs"``...), or None."""
    real = _real(path)
    if real is None:
        return None
    best = None
    for mount in table if table is not None else mounts():
        if _inside(real, mount.mount_point) and (
            best is None or len(mount.mount_point) >= len(best.mount_point)
        ):
            best = mount
    return best.fstype if best else None


def kernfs_devices(table=None) -> frozenset:
    """Device numbers of the pseudo filesystems mounted now."""
    return frozenset(
        m.dev for m in (table if table is not None else mounts()) if m.fstype in KERNFS_TYPES
    )


def mount_points_inside(paths, table=None) -> list[str]:
    """Every mount point strictly inside one of ``paths``.

    Only those can be met by a scan of ``paths``; the others are never
    stat'ed (a dead network mount elsewhere must not hang the scan).
    """
    reals = [r for r in map(_real, paths) if r is not None]
    return [
        mount.mount_point
        for mount in (table if table is not None else mounts())
        if any(_inside(mount.mount_point, r) and mount.mount_point != r for r in reals)
    ]


def mount_point_ids(paths, table=None) -> frozenset:
    """(dev, ino) of every mount point strictly inside one of ``paths``."""
    ids = set()
    for mount_point in mount_points_inside(paths, table):
        try:
            st = os.stat(mount_point)
        except OSError:
            continue
        ids.add((st.st_dev, st.st_ino))
    return frozenset(ids)


def is_slow_filesystem(fstype: str | None) -> bool:
    """Network and FUSE filesystems: latency-bound, not CPU-bound."""
    if not fstype:
        return False
    return fstype in _SLOW_TYPES or fstype == "fuse" or fstype.startswith(("fuse.", "fuseblk"))


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def is_rotational(path: str, sys_root: str = "/sys") -> bool:
    """Whether ``path`` lies on a spinning disk, as the kernel tells in
    ``/sys/dev/block/MAJOR:MINOR/queue/rotational`` (a partition's is its
    disk's); False where it cannot tell (a network, FUSE or btrfs device)."""
    try:
        dev = os.stat(path).st_dev
    except OSError:
        return False
    base = os.path.join(sys_root, "dev", "block", f"{os.major(dev)}:{os.minor(dev)}")
    for flag in (
        os.path.join(base, "queue", "rotational"),
        os.path.join(base, "..", "queue", "rotational"),
    ):
        try:
            with open(flag, encoding="ascii") as f:
                return f.read().strip() == "1"
        except (OSError, UnicodeDecodeError):
            continue
    return False


# How many requests a worker keeps in flight on a network or FUSE mount,
# and how many workers, follow how long one request takes there (measured
# at the start of the scan: request_latency).  Measured on 2 cores (seconds;
# slowfs 5,000 entries, sshfs over loopback 100,000):
#
#   mount, one lstat              workers x threads: time
#   sshfs, cached, 0.09 ms        2 x 1: 1.72   8 x 1: 1.80   2 x 4: 2.81   (gdu 2.95)
#     (again, medians of 8         2 x 1: 2.23   4 x 1: 1.90   6 x 1: 1.89   8 x 1: 2.10
#      alternating runs)           2 x 2: 2.25                               (gdu 2.16)
#   sshfs, no cache, 0.37 ms      2 x 1: 20.0   8 x 1: 10.2   2 x 16: 10.8  1 x 64: 14.3 (gdu 32.0)
#   slowfs, 1 ms                  1 x 16: 0.61  1 x 64: 0.75  8 x 1: 1.22   (gdu 1.13)
#   slowfs, 5 ms                  1 x 64: 0.83  1 x 32: 1.14  8 x 1: 4.34   (gdu 5.16)
#
# Below FAST_REQUEST_S a request is CPU work (a daemon answering from its
# cache): Python threads only contend for the GIL, so such a mount is
# scanned like a local disk, but with two processes per CPU: each request
# still waits for the daemon to be scheduled, and a second process fills
# that gap (4 x 1 was 13-15% quicker than 2 x 1 in two rounds of 8).  Above it, enough threads to cover a request's
# wait with about THREAD_COST_S of Python work each, up to SLOW_IO_DEPTH;
# from SLOW_REQUEST_S on, a worker per 4 CPUs (one process's threads keep
# the requests in flight; more processes only added start-up and imbalance).
FAST_REQUEST_S = 0.25e-3
SLOW_REQUEST_S = 0.5e-3
THREAD_COST_S = 20e-6
SLOW_IO_DEPTH = 64


def request_latency(path: str, samples: int = 4) -> float | None:
    """How long one request to the filesystem of directory ``path`` takes, or
    None when it cannot tell (unreadable, empty).

    The median of up to ``samples`` lstats, one at a time, or half the time
    of listing the directory (a listing is at least two requests) if that
    is longer: names and attributes the kernel cached a moment ago (an
    ``ls -l`` just before) answer at once, a listing goes to the server.
    The quicker of two listings: a daemon whose own cache has just expired
    (sshfs keeps it 20 s) fetches the first from its server, once in a
    while, and answers the second as it will answer the scan.
    """
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
    listing: float = float("inf")
    names: list = []
    try:
        for _ in range(2):
            # Each listing of the directory opened afresh, as the scan reads
            # it: sshfs without its directory cache lists nothing the second
            # time one open directory is read.  With no names left to stat,
            # the latency was unknown and planned for as the slowest: one
            # process with 64 threads took 14.4 s for 100k files there, the
            # plan from the measured 0.4-0.6 ms (28 threads) 11.7 s.
            fd = os.open(path, flags)
            try:
                start = time.perf_counter()
                listed = os.listdir(fd)
                listing = min(listing, time.perf_counter() - start)
            finally:
                os.close(fd)
            names = max(names, listed, key=len)
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        times = []
        for name in names[:samples]:
            start = time.perf_counter()
            try:
                os.lstat(name, dir_fd=fd)
            except OSError:
                continue
            times.append(time.perf_counter() - start)
    finally:
        os.close(fd)
    if not times:
        return None
    return max(sorted(times)[len(times) // 2], listing / 2)


def _wait_bound(path, table, latency):
    """None on a local disk; else the latency to plan for (inf: unknown, slow)."""
    if not is_slow_filesystem(filesystem_type(path, table)):
        return None
    return float("inf") if latency is None else latency


def default_workers(
    path: str, table=None, sys_root: str = "/sys", latency: float | None = None
) -> int:
    """How many workers to use for a scan of ``path`` when the caller does not say.

    A local disk with a warm cache is CPU-bound: one worker per CPU, capped
    at 16 because beyond that the single walker and collector become the
    bottleneck.  So is a network or FUSE mount that answers in under
    FAST_REQUEST_S, from its daemon's cache: two workers per CPU there, as
    each request still waits for the daemon to run.  One whose requests take SLOW_REQUEST_S or more (or an
    unknown ``latency``, see request_latency) is waited on: its requests in
    flight come from each worker's threads (default_io_depth), and a
    process is needed only for the CPU they use: one worker per 4 CPUs, at
    most 16.  A spinning disk does one seek at a time: at most 2 workers, so
    a cold scan reads in near order instead of hammering it with random reads.
    """
    cpus = cpu_count()
    wait = _wait_bound(path, table, latency)
    if wait is not None and wait >= SLOW_REQUEST_S:
        return max(1, min(16, cpus // 4))
    if wait is not None and wait < FAST_REQUEST_S:
        return max(1, min(16, 2 * cpus))
    if wait is None and is_rotational(path, sys_root):
        return max(1, min(2, cpus))
    return max(1, min(16, cpus))


def default_io_depth(path: str, table=None, latency: float | None = None) -> int:
    """Requests each worker keeps in flight when the caller does not say: 1 on
    a local disk (it answers from its cache, or seeks: threads would only
    contend) and on a mount answering in under FAST_REQUEST_S; else enough
    threads to cover one request's wait, up to SLOW_IO_DEPTH (see above)."""
    wait = _wait_bound(path, table, latency)
    if wait is None or wait < FAST_REQUEST_S:
        return 1
    return max(2, round(min(SLOW_IO_DEPTH, wait / THREAD_COST_S)))
