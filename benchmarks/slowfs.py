"""A read-only passthrough FUSE filesystem that answers after a fixed delay.

    python benchmarks/slowfs.py SOURCE MOUNTPOINT --delay-ms 1

It stands in for a network filesystem (NFS, SMB, sshfs, a cloud mount),
where every lookup and stat waits for a round trip.  On this project's
2-core machines bindfs is no such stand-in: its daemon and the scanner
share the CPUs, so a scan of a bindfs mount is CPU-bound and more requests
in flight cannot help.  Here each request sleeps (without holding the CPU
or the GIL) before it answers, as a remote server's round trip would, so
what a scanner gains from overlapping round trips can be measured.

Only what a disk-usage scan needs is implemented: getattr, readdir,
readlink.  The daemon is multithreaded, so concurrent requests overlap.
Needs the ``mfusepy`` package (pip) and libfuse (Debian's fuse3 or libfuse2).
"""

from __future__ import annotations

import argparse
import errno
import os
import time

import mfusepy as fuse

STAT_FIELDS = (
    "st_mode",
    "st_ino",
    "st_dev",
    "st_nlink",
    "st_uid",
    "st_gid",
    "st_size",
    "st_blocks",
    "st_atime",
    "st_mtime",
    "st_ctime",
)


class SlowPassthrough(fuse.Operations):
    """Mirror ``source``; sleep ``delay`` seconds before answering each request."""

    def __init__(self, source: str, delay: float):
        self.source = source
        self.delay = delay

    def _real(self, path: str) -> str:
        return os.path.join(self.source, path.lstrip("/"))

    def getattr(self, path, fh=None):
        time.sleep(self.delay)
        try:
            st = os.lstat(self._real(path))
        except OSError as exc:
            raise fuse.FuseOSError(exc.errno or errno.EIO) from None
        return {field: getattr(st, field) for field in STAT_FIELDS}

    def readdir(self, path, fh):
        time.sleep(self.delay)
        try:
            return [".", "..", *os.listdir(self._real(path))]
        except OSError as exc:
            raise fuse.FuseOSError(exc.errno or errno.EIO) from None

    def readlink(self, path):
        time.sleep(self.delay)
        return os.readlink(self._real(path))


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("source")
    ap.add_argument("mountpoint")
    ap.add_argument("--delay-ms", type=float, default=1.0)
    args = ap.parse_args()
    fuse.FUSE(
        SlowPassthrough(os.path.abspath(args.source), args.delay_ms / 1000),
        args.mountpoint,
        foreground=True,
        nothreads=False,
        ro=True,
    )


if __name__ == "__main__":
    main()
