"""Trees of awkward shapes: very deep, longer than PATH_MAX, special files, cycles."""

from __future__ import annotations

import os
import stat
import subprocess

import pytest

from conftest import assert_matches_du, du_sum, write
from sizescan import scan


def make_chain(base, levels: int, name: str, file_size: int = 1234) -> str:
    """``levels`` nested directories called ``name``, a file at the bottom.

    Built relative to directory descriptors: the path soon outgrows PATH_MAX,
    where os.makedirs (and the kernel's path lookup) would give up.
    """
    root = os.path.join(str(base), "chain")
    os.mkdir(root)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(levels):
            os.mkdir(name, dir_fd=fd)
            new = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = new
        out = os.open("bottom", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, b"b" * file_size)
        os.close(out)
    finally:
        os.close(fd)
    return root


@pytest.fixture
def rm_rf():
    paths = []
    yield paths.append
    for path in paths:
        # GNU rm walks by descriptors; shutil.rmtree (pytest's clean-up)
        # recurses once per level and fails on these trees.
        subprocess.run(["rm", "-rf", path], check=True)


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
        assert bottom.endswith("/bottom") and len(bottom) == len(root) + levels * (len(name) + 1) + 7


def test_character_device_and_fifo_are_never_opened(tmp_path, force_pool):
    root = tmp_path / "t"
    write(str(root / "f"), size=10)
    os.mknod(root / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.mkfifo(root / "fifo")
    for workers in (1, 2):
        result = scan(str(root), workers=workers)
        assert result.files == 3
        assert_matches_du(result, [root])
