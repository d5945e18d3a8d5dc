"""Trees of awkward shapes: very deep, longer than PATH_MAX, special files, cycles."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from conftest import assert_matches_du, du_sum, make_chain, write

from sizescan import scan


@pytest.mark.slow
@pytest.mark.parametrize("levels,name", [(5000, "d"), (52, "n" * 200)])
def test_deep_and_longer_than_path_max(tmp_path, monkeypatch, rm_rf, levels, name):
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")  # the pool, at once
    root = make_chain(tmp_path, levels, name)
    rm_rf(root)
    for workers in (1, 2):
        result = scan(root, workers=workers, top=2)
        assert result.errors == []
        assert result.dirs == levels + 1
        assert result.files == 1
        assert_matches_du(result, [root])
        bottom = result.top_files[0].path
        assert (
            bottom.endswith("/bottom") and len(bottom) == len(root) + levels * (len(name) + 1) + 7
        )


def test_character_device_and_fifo_are_never_opened(tmp_path, force_pool):
    root = tmp_path / "t"
    write(str(root / "f"), size=10)
    os.mknod(root / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.mkfifo(root / "fifo")
    for workers in (1, 2):
        result = scan(str(root), workers=workers)
        assert result.files == 3
        assert_matches_du(result, [root])


def _mount(*args):
    proc = subprocess.run(["mount", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"mount is not permitted here: {proc.stderr.strip()}")


def test_bind_mount_cycle_is_not_followed(tmp_path, force_pool):
    root = tmp_path / "t"
    write(str(root / "f"), size=3000)
    write(str(root / "sub" / "g"), size=5000)
    (root / "sub" / "loop").mkdir()
    _mount("--bind", str(root), str(root / "sub" / "loop"))  # root is now inside itself
    try:
        for workers in (1, 2):
            result = scan(str(root), workers=workers, top=50)
            # du skips the directory that is its own ancestor, uncounted, and
            # does not call it an error.
            assert_matches_du(result, [root])
            assert result.errors == [] and result.files == 2
    finally:
        subprocess.run(["umount", str(root / "sub" / "loop")], check=True)


def test_exclude_kernfs_skips_pseudo_filesystems(tmp_path, force_pool):
    root = tmp_path / "t"
    write(str(root / "f"), size=3000)
    (root / "proc").mkdir()
    _mount("-t", "proc", "proc", str(root / "proc"))
    try:
        for workers in (1, 2):
            result = scan(str(root), workers=workers, exclude_kernfs=True)
            # The proc mount point is counted nowhere, like du --exclude of it.
            assert (result.total_size, result.disk_usage) == du_sum(
                [root], f"--exclude={root}/proc"
            )
            assert result.errors == []
    finally:
        subprocess.run(["umount", str(root / "proc")], check=True)


def test_proc_finishes_quickly_and_sanely():
    proc = subprocess.run(
        ["timeout", "60", sys.executable, "-m", "sizescan", "/proc", "--json", "--top", "3"],
        capture_output=True,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]  # 1: some entries vanish or refuse
    doc = json.loads(proc.stdout)
    assert doc["files"] > 1000 and doc["dirs"] > 100
    assert b"Traceback" not in proc.stderr
    kernfs = json.loads(
        subprocess.run(
            [sys.executable, "-m", "sizescan", "/proc", "--json", "--exclude-kernfs"],
            capture_output=True,
        ).stdout
    )
    # Everything below /proc is on procfs: only the directory itself is left.
    assert (kernfs["files"], kernfs["dirs"]) == (0, 1)


def test_dereference_self_loop_is_an_error_like_du(tmp_path, force_pool):
    root = tmp_path / "t"
    write(str(root / "f"), size=10)
    os.symlink("self", root / "self")
    os.symlink("..", root / "up")
    for workers in (1, 2):
        result = scan(str(root), workers=workers, dereference=True)
        assert_matches_du(result, [root], "-L")
        assert [(e.path, e.operation, e.message) for e in result.errors] == [
            (str(root / "self"), "access", "Too many levels of symbolic links")
        ]
