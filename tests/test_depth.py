"""Memory and paths linear in depth: a deep chain costs what a flat tree of
as many directories costs, on disk, in views, in exports and when read back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import du_sum, make_chain

from sizescan import diff, scan
from sizescan.files.ncdu_read import read_export

LEVELS = 20_000


# Forks sizescan from a small Python, not from pytest: a child's peak RSS
# starts at its parent's at the fork (pytest's 60-100 MB late in a run,
# which an exec does not reset), and waits for it to report its rusage.
_MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.execv(sys.executable, [sys.executable, "-m", "sizescan", *sys.argv[1:]])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def _run_measured(*args: str):
    """Run ``python -m sizescan ARGS``: its peak memory in MB, pool and
    collector included (wait4's rusage counts the children it waited for),
    and its exit status."""
    quiet = [] if args[0] == "diff" else ["--no-progress"]
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *quiet, *args], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]) / 1024, int(out[1])


def _flat(base, count):
    root = os.path.join(str(base), "flat")
    for i in range(count):
        os.makedirs(os.path.join(root, str(i // 100), str(i)))
    # As many directories as the chain: its top, groups of 100, the leaves.
    with open(os.path.join(root, "0", "0", "bottom"), "wb") as f:
        f.write(b"b" * 1234)
    return root


@pytest.mark.slow
def test_a_deep_chain_takes_the_memory_of_a_flat_tree(tmp_path, rm_rf):
    # 0.1 kept every directory's full path: 420 MB for this chain, 1.6 GB
    # with -o.  Keys and names keep it to a flat tree's.
    chain = make_chain(tmp_path, LEVELS, "d")
    rm_rf(chain)
    flat = _flat(tmp_path, LEVELS)
    for option in ("plain", "views", "export"):
        peaks = []
        for name, root in (("chain", chain), ("flat", flat)):
            extra = {
                "plain": [],
                "views": ["--tree", "--by-type"],
                "export": ["-o", str(tmp_path / f"{name}.json")],
            }[option]
            peak_mb, status = _run_measured(*extra, root)
            assert status == 0
            peaks.append(peak_mb)
        assert peaks[0] <= 3 * peaks[1], (option, peaks)
    # The export of the chain reads back whole.
    again = read_export(str(tmp_path / "chain.json"))
    assert again.dirs == LEVELS + 1 and (again.total_size, again.disk_usage) == du_sum([chain])


@pytest.mark.slow
def test_an_export_200000_levels_deep_is_read_in_bounded_memory(tmp_path):
    # A few MB of text; 0.1 grew to 24 GB on it.  The bound (docs/exports.md):
    # about 2 KB for each directory open on the way down, 1.2 KB for each kept.
    levels = 200_000
    export = tmp_path / "deep.json"
    with open(export, "w") as f:
        f.write(
            '[1,2,{"progname":"x","progver":"1","timestamp":1700000000},\n'
            '[{"name":"/deep","asize":4096,"dsize":4096}'
        )
        for _ in range(levels):
            f.write(',\n[{"name":"d","asize":4096,"dsize":4096},{"name":"f","asize":10}')
        f.write("]" * (levels + 1) + "]\n")
    peak_mb, status = _run_measured("-f", str(export), "--tree", "--by-type")
    assert status == 0
    assert peak_mb < levels * 5 / 1024, peak_mb  # under 5 KB a level, everything included
    result = read_export(str(export))
    assert (result.files, result.dirs, result.total_size) == (
        levels,
        levels + 1,
        4096 * (levels + 1) + 10 * levels,
    )


def _weightless_chain(path, levels, bottom_file=False):
    """An export of a chain of directories of no size, as a mount that gives
    directories none (or a crafted file) has: every one ties with every other."""
    with open(path, "w") as f:
        f.write('[1,2,{"progname":"x","progver":"1","timestamp":1700000000},\n[{"name":"/r"}')
        f.write(',\n[{"name":"d"}' * levels)
        if bottom_file:
            f.write(',{"name":"f","asize":100,"dsize":4096}')
        f.write("]" * (levels + 1) + "]\n")


@pytest.mark.slow
def test_tied_directories_deep_in_a_chain_are_ranked_in_linear_memory(tmp_path):
    # Ties are ranked by path, and each path ranked is built whole: this
    # chain took 440 MB and 17 s to list its largest directories, and as
    # much to diff.  A directory below as many ties as the list has room for
    # is never ranked.
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    _weightless_chain(old, LEVELS)
    _weightless_chain(new, LEVELS, bottom_file=True)
    for args in (["-f", str(old)], ["-f", str(new), "--json"], ["diff", str(old), str(new)]):
        peak_mb, status = _run_measured(*args)
        assert status == 0
        assert peak_mb < LEVELS * 5 / 1024, (args, peak_mb)  # as test_an_export_200000_levels_deep
    result = read_export(str(old), top=3)
    assert [d.path for d in result.top_dirs] == ["/r/d", "/r/d/d", "/r/d/d/d"]
    changes = diff(result, read_export(str(new)), top=3).changes
    assert [(c.path, c.status) for c in changes] == [(".", "grew"), ("d", "grew"), ("d/d", "grew")]


@pytest.mark.slow
def test_paths_past_path_max_are_shown_whole(tmp_path, rm_rf):
    # Paths are built from names only for what is shown: each must still be
    # the whole path, in the largest lists, the tree, directories() and diff.
    chain = make_chain(tmp_path, 3000, "d", file_size=5000)
    rm_rf(chain)
    bottom_dir = chain + "/d" * 3000
    before = scan(chain, views=True, top=3)
    assert [f.path for f in before.top_files] == [bottom_dir + "/bottom"]
    assert [d.path for d in before.top_dirs] == [chain + "/d" * n for n in (1, 2, 3)]
    assert len(before.directories()) == 3001 and bottom_dir in before.directories()
    fd = os.open(chain, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(3000):
            new = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = new
        with open(os.open("more", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as f:
            f.write(b"m" * 100_000)
    finally:
        os.close(fd)
    after = scan(chain, views=True, top=3)
    # Every directory grew alike: equal changes are listed by path.
    assert [c.path for c in diff(before, after, top=2).changes] == [".", "d"]
    changes = diff(before, after).changes
    assert len(changes) == 3001 and changes[-1].path == "/".join(["d"] * 3000)
