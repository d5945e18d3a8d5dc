"""A real network filesystem: sshfs over loopback to the tests' own sshd.

Totals through the mount equal du's through the same mount, with sshfs's
caches and without them (every stat a round trip, like NFS with
actimeo=0), with threads and with processes.  (Through sshfs a file's
blocks and links are sshfs's: SFTP carries neither, so the comparison is
with du through the mount, and the apparent size with the source too.)
"""

from __future__ import annotations

import os

import pytest
from conftest import du_sum, sshfs_mount, write
from sshd import NO_CACHE  # benchmarks/sshd.py: sshfs 3 has no "cache=no"

from sizescan import scan
from sizescan.engine.fs import request_latency

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def remote_tree(tmp_path_factory):
    src = tmp_path_factory.mktemp("remote") / "src"
    for d in range(40):
        for f in range(5):
            write(str(src / f"d{d % 4}" / f"s{d}" / f"f{f}.log"), size=(d * 211 + f * 37) % 12000)
    for i in range(700):
        write(str(src / "wide" / f"w{i:04d}"), size=i % 97)
    os.symlink("../wide", src / "d0" / "link")
    write(str(src / "empty" / "deep" / "er" / "zero"))
    return str(src)


@pytest.mark.parametrize("options", [(), NO_CACHE], ids=["cached", "no-cache"])
@pytest.mark.parametrize("workers,io_depth", [(None, None), (2, 8), (1, 1)])
def test_totals_through_sshfs_equal_du(
    sshd, remote_tree, tmp_path, monkeypatch, options, workers, io_depth
):
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with sshfs_mount(sshd, remote_tree, mnt, *options) as mounted:
        result = scan(mounted, workers=workers, io_depth=io_depth)
        assert (result.total_size, result.disk_usage) == du_sum([mounted])
        assert result.total_size == du_sum([remote_tree])[0]
        assert (result.files, result.dirs, result.errors) == (40 * 5 + 700 + 2, 1 + 4 + 40 + 4, [])


@pytest.mark.parametrize("options", [(), NO_CACHE], ids=["cached", "no-cache"])
def test_the_latency_probe_sees_the_directory_through_sshfs(sshd, remote_tree, tmp_path, options):
    """Without its directory cache, sshfs lists nothing the second time one
    open directory is read: a probe reading it twice had no name left to
    stat, said "unknown" and the scan planned for the slowest mount."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with sshfs_mount(sshd, remote_tree, mnt, *options) as mounted:
        latency = request_latency(mounted)
        assert latency is not None and 0 < latency < 1.0
        assert request_latency(os.path.join(mounted, "wide")) is not None
