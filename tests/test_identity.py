"""A tree changed under the scan by someone else: directories are opened by
identity (docs/semantics.md), so a scan never reads outside its PATH and is
never silently wrong.

Two attacks run in a loop while the same tree is scanned again and again,
with every backend: two sibling directories swapped in place
(renameat2(RENAME_EXCHANGE): the total cannot change), and, by user nobody,
a directory swapped with a symlink to a root-only directory elsewhere.
Every scan is exact, or says the tree changed (an error, exit 1); none
shows a name from outside PATH.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import NOBODY, du_sum, need_dask, require, run_cli, write

from sizescan import scan

SCANS = 20

# Swaps ``a`` and ``b`` (directories or symlinks) with renameat2's
# RENAME_EXCHANGE until killed: atomic, so each name always exists.
SWAPPER = textwrap.dedent("""
    import ctypes, os, sys
    libc = ctypes.CDLL(None, use_errno=True)
    a, b = os.fsencode(sys.argv[1]), os.fsencode(sys.argv[2])
    print("ready", flush=True)
    while True:
        if libc.renameat2(-100, a, -100, b, 2) != 0:  # AT_FDCWD, RENAME_EXCHANGE
            sys.exit(os.strerror(ctypes.get_errno()))
""")


def _renameat2_works(path) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    a, b = os.path.join(path, ".x"), os.path.join(path, ".y")
    os.mkdir(a)
    os.mkdir(b)
    try:
        return libc.renameat2(-100, os.fsencode(a), -100, os.fsencode(b), 2) == 0
    finally:
        os.rmdir(a)
        os.rmdir(b)


class _Swapping:
    """The swapper running (as ``user``) for the duration of a ``with``."""

    def __init__(self, a, b, user=()):
        self.argv = [*user, sys.executable, "-c", SWAPPER, str(a), str(b)]

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.proc.stdout.readline() == b"ready\n", self.proc.stderr.read()
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        _, err = self.proc.communicate()
        assert self.proc.returncode == -9, err  # it swapped until the end


BACKENDS = {
    "in-process": dict(workers=1),
    "pool": dict(workers=2, env={"SIZESCAN_INLINE_BUDGET_S": "0"}),
    "pool, every directory a task": dict(
        workers=2, env={"SIZESCAN_INLINE_BUDGET_S": "0", "SIZESCAN_DESCEND_S": "0"}
    ),
    "threads": dict(workers=2, io_depth=8, env={"SIZESCAN_INLINE_BUDGET_S": "0"}),
    "chunks": dict(
        workers=2,
        env={"SIZESCAN_INLINE_BUDGET_S": "0", "SIZESCAN_SPLIT_AT": "7", "SIZESCAN_DESCEND_S": "0"},
    ),
}


def _backend(name, monkeypatch, client=None):
    if name == "dask":
        monkeypatch.setenv("SIZESCAN_TASK_BUDGET_S", "0")
        return {"scheduler": client}
    options = dict(BACKENDS[name])
    for var, value in options.pop("env", {}).items():
        monkeypatch.setenv(var, value)
    return options


def _swap_tree(base):
    """t/a and t/b, of files only (a has 40: cut into chunks): swapping them
    changes where bytes are, never how many, and a scan that opens them by
    path without checking finds no error to report."""
    root = os.path.join(base, "t")
    for i in range(40):
        write(os.path.join(root, "a", f"f{i}"), 3000 + i)
    for i in range(12):
        write(os.path.join(root, "b", f"g{i}"), 50_000 + i)
    write(os.path.join(root, "c", "still"), 10)
    return root


def _inside(path, root):
    return path == root or path.startswith(root + "/")


def _exact_or_told(result, root, expected):
    for listed in [*result.top_files, *result.top_dirs, *result.errors]:
        assert _inside(listed.path, root), listed
    if not result.errors:
        assert (result.total_size, result.disk_usage) == expected
        return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("backend", [*BACKENDS, "dask"])
def test_directories_swapped_during_scans(tmp_path, monkeypatch, backend, request):
    if not _renameat2_works(str(tmp_path)):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not supported here")
    client = None
    if backend == "dask":
        need_dask()
        client = request.getfixturevalue("client")
    root = _swap_tree(str(tmp_path))
    expected = du_sum([root])
    options = _backend(backend, monkeypatch, client)
    exact = 0
    with _Swapping(os.path.join(root, "a"), os.path.join(root, "b")):
        for _ in range(SCANS):
            exact += _exact_or_told(scan(root, top=10_000, **options), root, expected)
    assert du_sum([root]) == expected
    print(f"{backend}: {exact} of {SCANS} scans exact, the others said the tree changed")


def test_a_swap_is_exit_1_with_one_line_a_directory(tmp_path):
    """The command: exit 0 and du's total, or exit 1 naming what changed."""
    if not _renameat2_works(str(tmp_path)):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not supported here")
    root = _swap_tree(str(tmp_path))
    expected = du_sum([root])
    seen = set()
    with _Swapping(os.path.join(root, "a"), os.path.join(root, "b")):
        for _ in range(10):
            proc = run_cli(root, "--json", "--workers", "1")
            doc = json.loads(proc.stdout)
            assert proc.returncode in (0, 1), proc.stderr
            seen.add(proc.returncode)
            if proc.returncode == 0:
                assert not proc.stderr
                assert (doc["total_size"], doc["disk_usage"]) == expected
            else:
                assert proc.stderr.count(b"\n") == len(doc["errors"]) > 0
                for line in proc.stderr.decode().splitlines():
                    assert line.startswith(f"sizescan: cannot read directory '{root}/"), line
    assert 1 in seen  # the swaps were seen at least once in 10


def _symlink_attack_tree(public):
    """A tree of nobody's, and a root-only directory elsewhere that has the
    same layout (d0 ... d39), with names that must never be shown."""
    secret = os.path.join(public, "secret")
    for i in range(40):
        write(os.path.join(secret, f"d{i}", "SECRET-PAYROLL"), 1_000_000)
        os.makedirs(os.path.join(secret, f"d{i}", "SECRET-DIR"))
    os.chmod(secret, 0o700)
    root = os.path.join(public, "home")
    for i in range(40):
        write(os.path.join(root, "a", f"d{i}", "mine"), 100)
        os.makedirs(os.path.join(root, "a", f"d{i}", "sub"))
    subprocess.run(["chown", "-R", "65534:65534", root], check=True)
    link = os.path.join(root, "link")
    subprocess.run([*NOBODY, "ln", "-s", secret, link], check=True)
    return root, secret, link


@pytest.mark.slow
@pytest.mark.parametrize("backend", [*BACKENDS, "dask"])
def test_a_symlink_swapped_in_by_a_user_is_never_followed(
    public_tmp, monkeypatch, backend, request, tmp_path
):
    """As root over nobody's tree, while nobody swaps a directory with a
    symlink to a root-only directory: nothing of it is read, in the result
    or in the export."""
    require("setpriv", "the attacker runs as nobody")
    if not _renameat2_works(public_tmp):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not supported here")
    client = None
    if backend == "dask":
        need_dask()
        client = request.getfixturevalue("client")
    root, secret, link = _symlink_attack_tree(public_tmp)
    options = _backend(backend, monkeypatch, client)
    export = str(tmp_path / "t.json")
    told = 0
    with _Swapping(os.path.join(root, "a"), link, user=NOBODY):
        for _ in range(SCANS):
            result = scan(root, top=10_000, export=export, **options)
            for listed in [*result.top_files, *result.top_dirs, *result.errors]:
                assert _inside(listed.path, root) and "SECRET" not in listed.path, listed
            with open(export, "rb") as f:
                assert b"SECRET" not in f.read()
            # 40 directories of 1 MB files, each 100 bytes here: never counted.
            assert result.total_size < 1_000_000
            told += bool(result.errors)
    assert told  # the swaps were met
