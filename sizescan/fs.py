"""Facts from the mount table: filesystem types, pseudo filesystems, mount points."""

from __future__ import annotations

import os
import re
from typing import NamedTuple

# Filesystems where every stat is a round trip to another process or host.
# There a scan waits, not computes, so it pays to have many requests in
# flight even on a 2-core machine.
_SLOW_TYPES = {
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs",
    "lustre", "gpfs", "beegfs", "virtiofs", "davfs", "ncpfs", "sshfs",
}


# Pseudo filesystems of the kernel (ncdu's --exclude-kernfs list): their
# sizes are not disk space, and some (proc) are vast and change as you look.
KERNFS_TYPES = {
    "proc", "sysfs", "cgroup", "cgroup2", "debugfs", "tracefs", "securityfs", "pstore",
    "bpf", "binfmt_misc", "devpts", "selinuxfs",
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
        out.append(Mount(_unescape(fields[4]), right.split()[0], os.makedev(int(major), int(minor))))
    return out


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
    for mount in (table if table is not None else mounts()):
        if _inside(real, mount.mount_point) and (best is None or len(mount.mount_point) >= len(best.mount_point)):
            best = mount
    return best.fstype if best else None


def kernfs_devices(table=None) -> frozenset:
    """Device numbers of the pseudo filesystems mounted now."""
    return frozenset(m.dev for m in (table if table is not None else mounts()) if m.fstype in KERNFS_TYPES)


def mount_point_ids(paths, table=None) -> frozenset:
    """(dev, ino) of every mount point strictly inside one of ``paths``.

    Only those can be met by a scan of ``paths``; the others are never
    stat'ed (a dead network mount elsewhere must not hang the scan).
    """
    reals = [r for r in map(_real, paths) if r is not None]
    ids = set()
    for mount in (table if table is not None else mounts()):
        if any(_inside(mount.mount_point, r) and mount.mount_point != r for r in reals):
            try:
                st = os.stat(mount.mount_point)
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
    for flag in (os.path.join(base, "queue", "rotational"),
                 os.path.join(base, "..", "queue", "rotational")):
        try:
            with open(flag, encoding="ascii") as f:
                return f.read().strip() == "1"
        except (OSError, UnicodeDecodeError):
            continue
    return False


# Requests in flight per worker on a network or FUSE filesystem (threads of
# one process: Python releases the GIL while each waits).  Measured on
# slowfs, 5,000 entries, 2 cores, one process (seconds; du 27.7 and 6.0):
#   threads         8     16    32    48    64    128
#   5 ms a request  -     -     1.14  1.01  0.83  1.00
#   1 ms a request  0.92  0.61  0.67  -     0.75  -
# At 5 ms, a cloud mount's latency, 64 is best; at 1 ms the FUSE daemon's
# own CPU is the limit from about 16 on, and 64 costs a little.
SLOW_IO_DEPTH = 64


def default_workers(path: str, table=None, sys_root: str = "/sys") -> int:
    """How many workers to use for a scan of ``path`` when the caller does not say.

    A local disk with a warm cache is CPU-bound: one worker per CPU, capped
    at 16 because beyond that the single walker and collector become the
    bottleneck.  A network or FUSE filesystem is latency-bound: its
    requests in flight come from each worker's threads (see
    :func:`default_io_depth`), and a process is needed only for the CPU
    they use: one worker per 4 CPUs, at most 16 (on 2 CPUs, one process
    with 64 threads beat 2 and 4 processes with the same 64 in all: 0.83 s
    against 1.3 s on slowfs at 5 ms).  A spinning disk does one seek at a
    time: at most 2 workers, so a cold scan reads in near order instead of
    hammering it with random reads.
    """
    cpus = cpu_count()
    if is_slow_filesystem(filesystem_type(path, table)):
        return max(1, min(16, cpus // 4))
    if is_rotational(path, sys_root):
        return max(1, min(2, cpus))
    return max(1, min(16, cpus))


def default_io_depth(path: str, table=None) -> int:
    """Requests each worker keeps in flight when the caller does not say:
    SLOW_IO_DEPTH on a network or FUSE filesystem, else 1 (a local disk
    answers from its cache, or seeks: threads would only contend)."""
    return SLOW_IO_DEPTH if is_slow_filesystem(filesystem_type(path, table)) else 1
