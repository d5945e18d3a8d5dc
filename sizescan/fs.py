"""Facts about the filesystem under a path, for choosing a default pool size."""

from __future__ import annotations

import os
import re

# Filesystems where every stat is a round trip to another process or host.
# There a scan waits, not computes, so it pays to have many requests in
# flight even on a 2-core machine.
_SLOW_TYPES = {
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs",
    "lustre", "gpfs", "beegfs", "virtiofs", "davfs", "ncpfs", "sshfs",
}


def _unescape(field: str) -> str:
    # /proc/self/mountinfo writes space, tab, newline and backslash as \ooo.
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), field)


def filesystem_type(path: str) -> str | None:
    """The type of the mount holding ``path`` (``"ext4"``, ``"fuse.bindfs"``...), or None."""
    try:
        real = os.path.realpath(path)
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    best, best_len = None, -1
    for line in lines:
        left, _, right = line.partition(" - ")
        fields = left.split()
        if len(fields) < 5 or not right:
            continue
        mount_point = _unescape(fields[4])
        inside = real == mount_point or real.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= best_len:
            best, best_len = right.split()[0], len(mount_point)
    return best


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


def default_workers(path: str) -> int:
    """How many workers to use for a scan of ``path`` when the caller does not say.

    A local disk with a warm cache is CPU-bound: one worker per CPU, capped
    at 16 because beyond that the single walker and collector become the
    bottleneck.  A network or FUSE filesystem is latency-bound: four
    requests in flight per CPU, at least 8 and at most 32, because such
    servers rarely gain from more concurrent requests from one client.
    """
    cpus = cpu_count()
    if is_slow_filesystem(filesystem_type(path)):
        return max(8, min(32, 4 * cpus))
    return max(1, min(16, cpus))
