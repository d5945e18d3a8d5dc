"""scan() totals equal GNU du's on every kind of tree, for every pool size."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import assert_matches_du, du, du_sum, make_mixed_tree, run_cli, write

from sizescan import scan

WORKERS = [1, 2, 8, 32]


@pytest.mark.parametrize("workers", WORKERS)
@pytest.mark.parametrize("descend", ["0", "0.005", "10"])
def test_mixed_tree_equals_du(mixed_tree, force_pool, workers, descend, monkeypatch):
    # descend: how long a task goes on into the subdirectories it found
    # (0: every directory goes back through the walker; 10: a task does all).
    monkeypatch.setenv("SIZESCAN_DESCEND_S", descend)
    result = scan(mixed_tree, workers=workers)
    assert_matches_du(result, [mixed_tree])
    assert result.errors == []


def test_mixed_tree_counts(mixed_tree):
    result = scan(mixed_tree, workers=1)
    # 60 files in d*/sub*, 1 hard-linked inode (3 links), sparse.img,
    # 3 symlinks, fifo, socket.
    assert result.files == 60 + 1 + 1 + 3 + 2
    # root, a, a/deep, a/deep/deeper, z, z/far, z/far/away, d0..d4,
    # 30 sub*, empty1, empty2, empty2/nested, empty2/nested/deeper
    assert result.dirs == 1 + 3 + 3 + 5 + 30 + 1 + 3


def test_sparse_file_apparent_and_disk(tmp_path):
    path = tmp_path / "sparse"
    with open(path, "wb") as f:
        f.seek(10 * 1024 * 1024)
        f.write(b"!")
    result = scan(str(path))
    st = os.lstat(path)
    assert result.total_size == 10 * 1024 * 1024 + 1
    assert result.disk_usage == st.st_blocks * 512 < result.total_size
    assert_matches_du(result, [path])


def test_hard_links_counted_once_in_far_apart_dirs(tmp_path, force_pool):
    a = tmp_path / "t" / "one" / "two" / "three"
    b = tmp_path / "t" / "x" / "y"
    write(str(a / "big"), size=1_000_000)
    os.makedirs(b)
    for i in range(5):
        os.link(a / "big", b / f"link{i}")
    for workers in (1, 2, 8):
        result = scan(str(tmp_path / "t"), workers=workers)
        assert_matches_du(result, [tmp_path / "t"])
        assert result.files == 1
        # The file is listed once, at its link nearest the PATH (by name
        # among equals).
        assert [f.path for f in result.top_files] == [str(b / "link0")]


def test_count_links_counts_every_link(tmp_path, force_pool):
    write(str(tmp_path / "t" / "f"), size=5000)
    os.link(tmp_path / "t" / "f", tmp_path / "t" / "g")
    for workers in (1, 2):
        result = scan(str(tmp_path / "t"), workers=workers, count_links=True)
        assert_matches_du(result, [tmp_path / "t"], "-l")
        assert result.files == 2


def test_hard_links_across_several_paths(tmp_path, force_pool):
    write(str(tmp_path / "a" / "f"), size=70_000)
    os.makedirs(tmp_path / "b")
    os.link(tmp_path / "a" / "f", tmp_path / "b" / "f")
    paths = [str(tmp_path / "a"), str(tmp_path / "b")]
    for workers in (1, 2):
        result = scan(paths, workers=workers)
        assert_matches_du(result, paths)
        # du counts it under the first PATH; so does sizescan, whatever the timing.
        assert result.roots[0].size > result.roots[1].size


@pytest.mark.parametrize("order", ["outer-first", "inner-first"])
def test_nested_paths_like_du(mixed_tree, force_pool, order):
    outer, inner = mixed_tree, os.path.join(mixed_tree, "d1")
    paths = [outer, inner] if order == "outer-first" else [inner, outer]
    for workers in (1, 2):
        result = scan(paths, workers=workers)
        assert_matches_du(result, paths)


def test_same_path_twice_counts_once(mixed_tree):
    result = scan([mixed_tree, mixed_tree], workers=2)
    assert (result.total_size, result.disk_usage) == du_sum([mixed_tree, mixed_tree])


def test_symlink_counts_the_link_not_the_target(tmp_path):
    write(str(tmp_path / "t" / "target"), size=100_000)
    os.symlink("target", tmp_path / "t" / "link")
    result = scan(str(tmp_path / "t"))
    assert result.files == 2
    assert_matches_du(result, [tmp_path / "t"])
    # A symlink given as PATH is the link itself too (du without -L/-D).
    result = scan(str(tmp_path / "t" / "link"))
    assert result.total_size == len("target")
    assert_matches_du(result, [tmp_path / "t" / "link"])


def test_dereference_follows_and_skips_loops(tmp_path, force_pool):
    root = tmp_path / "t"
    write(str(root / "a" / "f"), size=12_345)
    write(str(root / "c" / "big"), size=200_000)
    os.symlink("..", root / "a" / "up")  # a loop back to the root
    os.symlink("../c", root / "a" / "to-c")  # a second way into c
    os.symlink("c/big", root / "big-again")  # a second way to a file
    os.symlink("nowhere", root / "dangling")
    for workers in (1, 2, 8):
        result = scan(str(root), workers=workers, dereference=True)
        assert_matches_du(result, [root], "-L")
        # du -L reports the dangling link and exits 1; so does sizescan.
        assert [(e.path, e.operation) for e in result.errors] == [
            (str(root / "dangling"), "access")
        ]


def test_fifo_and_socket_are_never_opened(tmp_path, force_pool):
    # A reader opening the fifo would block forever: the timeout would fail.
    root = make_mixed_tree(tmp_path)
    result = scan(root, workers=2)
    assert_matches_du(result, [root])


def test_deep_chain_of_1000_levels(tmp_path, force_pool):
    path = tmp_path / "deep"
    current = str(path)
    os.mkdir(current)
    for _ in range(1000):
        current = os.path.join(current, "d")
        os.mkdir(current)  # os.makedirs recurses once per level
    write(os.path.join(current, "bottom"), size=4242)
    try:
        for workers in (1, 2):
            result = scan(str(path), workers=workers, top=3)
            assert_matches_du(result, [path])
            assert result.dirs == 1001
    finally:
        # pytest's own clean-up (shutil.rmtree) recurses once per level.
        subprocess.run(["rm", "-rf", str(path)], check=True)


def test_empty_dirs_and_empty_root(tmp_path):
    (tmp_path / "e" / "a" / "b").mkdir(parents=True)
    result = scan(str(tmp_path / "e"))
    assert result.files == 0 and result.dirs == 3
    assert_matches_du(result, [tmp_path / "e"])


def test_file_as_path(tmp_path):
    write(str(tmp_path / "f"), size=777)
    result = scan(str(tmp_path / "f"))
    assert (result.total_size, result.files, result.dirs) == (777, 1, 0)
    assert_matches_du(result, [tmp_path / "f"])


def test_exclude_like_du(mixed_tree, force_pool):
    for patterns in (["*.bin"], ["d1"], ["sub1?"], ["a/deep"], ["*/d[0-2]/*"], ["mixed"]):
        flags = [f"--exclude={p}" for p in patterns]
        for workers in (1, 2):
            result = scan(mixed_tree, workers=workers, exclude=patterns)
            assert (result.total_size, result.disk_usage) == du_sum([mixed_tree], *flags), patterns


def test_large_directory_split_across_workers(tmp_path, monkeypatch, force_pool):
    # Split every directory of more than 50 entries into chunks of 50.
    monkeypatch.setenv("SIZESCAN_SPLIT_AT", "50")
    root = tmp_path / "wide"
    root.mkdir()
    for i in range(1234):
        (root / f"f{i:05d}").write_bytes(b"y" * (i % 300))
    for i in range(7):
        write(str(root / f"dir{i}" / "inner"), size=i * 1000)
    os.link(root / "f00299", root / "hl")
    for workers in (1, 2, 5):
        result = scan(str(root), workers=workers)
        assert_matches_du(result, [root])
        assert result.files == 1234 + 7
        assert result.dirs == 8


def _without_cross_dir_links(root):
    # Which directory du charges a multiply-linked file to depends on its
    # readdir order; sizescan charges the link nearest the PATH.  Totals
    # agree either way; per-directory lines agree only without such links.
    os.unlink(os.path.join(root, "z", "far", "away", "linked-again.dat"))
    os.unlink(os.path.join(root, "d3", "third-link.dat"))
    return root


def test_max_depth_limits_listed_dirs_not_totals(mixed_tree):
    _without_cross_dir_links(mixed_tree)
    full = scan(mixed_tree, top=100)
    shallow = scan(mixed_tree, top=100, max_depth=1)
    assert (shallow.total_size, shallow.disk_usage) == (full.total_size, full.disk_usage)
    assert {d.depth for d in shallow.top_dirs} == {1}
    # Each listed directory's totals equal `du -d 1`'s line for it.
    expected = du("-B1", "-d", "1", mixed_tree)
    assert {d.path: d.disk_usage for d in shallow.top_dirs} == {
        p: n for p, n in expected.items() if p != mixed_tree
    }


def test_every_directory_total_equals_du(mixed_tree, force_pool):
    _without_cross_dir_links(mixed_tree)
    result = scan(mixed_tree, workers=2, top=1000, apparent=True)
    expected = du("-b", mixed_tree)
    assert {d.path: d.size for d in result.top_dirs} == {
        p: n for p, n in expected.items() if p != mixed_tree
    }


def test_unreadable_dir_as_nobody(public_tmp):
    root = os.path.join(public_tmp, "t")
    write(os.path.join(root, "open", "f"), size=1000)
    write(os.path.join(root, "locked", "inner", "secret"), size=50_000)
    os.chmod(os.path.join(root, "locked"), 0o700)  # root's: nobody cannot list it
    for workers in ("1", "2"):
        proc = run_cli(
            root,
            "--json",
            "--workers",
            workers,
            user="nobody",
            env={"SIZESCAN_INLINE_BUDGET_S": "0"},
        )
        assert proc.returncode == 1, proc.stderr
        doc = json.loads(proc.stdout)
        du_proc = run_du_as_nobody(root)
        assert (doc["total_size"], doc["disk_usage"]) == du_proc
        assert doc["errors"] == [
            {
                "path": os.path.join(root, "locked"),
                "operation": "read",
                "error": "Permission denied",
            }
        ]
        assert proc.stderr.decode() == (
            f"sizescan: cannot read directory '{root}/locked': Permission denied\n"
        )


def run_du_as_nobody(path):
    import subprocess

    from conftest import NOBODY

    out = []
    for flag in ("-sb", "-sB1"):
        proc = subprocess.run(NOBODY + ["du", flag, path], capture_output=True, text=True)
        assert proc.returncode == 1
        out.append(int(proc.stdout.split("\t")[0]))
    return tuple(out)


def test_unstatable_entries_as_nobody(public_tmp):
    # A directory nobody may list but not search: every entry's stat fails.
    root = os.path.join(public_tmp, "t")
    write(os.path.join(root, "noexec", "a"), size=10)
    write(os.path.join(root, "noexec", "b"), size=20)
    os.chmod(os.path.join(root, "noexec"), 0o744)
    proc = run_cli(root, "--json", user="nobody")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert (doc["total_size"], doc["disk_usage"]) == run_du_as_nobody(root)
    assert sorted(e["path"] for e in doc["errors"]) == [
        os.path.join(root, "noexec", "a"),
        os.path.join(root, "noexec", "b"),
    ]
    assert {e["operation"] for e in doc["errors"]} == {"access"}


def test_repeated_scans_identical(mixed_tree, force_pool):
    first = scan(mixed_tree, workers=8, top=5)
    for _ in range(3):
        again = scan(mixed_tree, workers=8, top=5)
        assert again.top_files == first.top_files
        assert again.top_dirs == first.top_dirs
        assert again.roots == first.roots
