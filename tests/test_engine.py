"""The engine's processes: start methods, progress, bad input, no leftovers."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import assert_matches_du, du_sum, write

from sizescan import CannotAccess, EngineFailure, InvalidOption, ScanProgress, scan


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_every_start_method(mixed_tree, force_pool, method, monkeypatch):
    monkeypatch.setenv("SIZESCAN_SPLIT_AT", "7")  # the map path too
    result = scan(mixed_tree, workers=3, start_method=method)
    assert result.workers == 3
    assert_matches_du(result, [mixed_tree])
    assert multiprocessing.active_children() == []


def test_spawn_from_a_script_with_main_guard(tmp_path, mixed_tree):
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(f"""
        from sizescan import scan

        if __name__ == "__main__":
            r = scan({mixed_tree!r}, workers=2, start_method="spawn")
            print(r.total_size, r.disk_usage)
    """)
    )
    env = dict(os.environ, SIZESCAN_INLINE_BUDGET_S="0")
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    expected = scan(mixed_tree, workers=1)
    assert proc.stdout.split() == [str(expected.total_size), str(expected.disk_usage)]


def test_small_tree_needs_no_pool(tmp_path):
    write(str(tmp_path / "t" / "f"), size=10)
    result = scan(str(tmp_path / "t"), workers=8)
    assert result.workers == 1  # done in-process before a pool was worth it
    assert multiprocessing.active_children() == []


def test_progress_is_sampled(tmp_path, force_pool, monkeypatch):
    monkeypatch.setattr("sizescan.engine.walker.PROGRESS_INTERVAL_S", 0.0)
    root = tmp_path / "t"
    for i in range(200):
        write(str(root / f"d{i}" / "f"), size=100)
    seen = []
    result = scan(str(root), workers=2, progress=seen.append)
    assert seen and all(isinstance(p, ScanProgress) for p in seen)
    assert [p.files for p in seen] == sorted(p.files for p in seen)
    assert seen[-1].files <= result.files == 200


def test_invalid_options_raise():
    for kwargs in (
        {"workers": 0},
        {"workers": -3},
        {"workers": "many"},
        {"top": -1},
        {"max_depth": -1},
        {"start_method": "teleport"},
    ):
        with pytest.raises(InvalidOption):
            scan(".", **kwargs)
    with pytest.raises(InvalidOption):
        scan([])


def test_missing_only_path_raises(tmp_path):
    with pytest.raises(CannotAccess) as info:
        scan(str(tmp_path / "missing"))
    assert info.value.path == str(tmp_path / "missing")
    assert info.value.message == "No such file or directory"


def test_missing_path_among_several_is_an_error(tmp_path, mixed_tree):
    missing = str(tmp_path / "missing")
    result = scan([missing, mixed_tree])
    assert [(e.path, e.operation, e.message) for e in result.errors] == [
        (missing, "access", "No such file or directory")
    ]
    assert result.roots[0].size == 0
    assert result.total_size == scan(mixed_tree).total_size


def test_to_dict_is_json_with_exact_bytes_of_bad_names(tmp_path):
    import base64
    import json

    root = os.fsencode(str(tmp_path / "t"))
    os.makedirs(root)
    bad = root + b"/caf\xe9-\xff.txt"
    with open(bad, "wb") as f:
        f.write(b"z" * 5000)
    result = scan(str(tmp_path / "t"))
    doc = json.loads(json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8"))
    [entry] = doc["top_files"]
    assert base64.b64decode(entry["path_b64"]) == bad
    assert entry["path"].endswith("caf\ufffd-\ufffd.txt")


def test_a_task_that_raises_fails_the_scan_without_hanging(mixed_tree, force_pool, monkeypatch):
    def broken(*args):
        raise RuntimeError("broken worker code")

    # Under fork the workers inherit the patched class: the task really raises.
    monkeypatch.setattr("sizescan.engine.pipeline.Scanner._size_entries", broken)
    with pytest.raises(EngineFailure, match="broken worker code"):
        scan(mixed_tree, workers=2, start_method="fork")
    assert multiprocessing.active_children() == []


def test_one_file_system_skips_other_mounts(tmp_path, force_pool):
    root = tmp_path / "t"
    write(str(root / "here"), size=5000)
    (root / "mnt").mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(root / "mnt")], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"mount is not permitted here: {mounted.stderr.decode().strip()}")
    try:
        write(str(root / "mnt" / "there"), size=100_000)
        for workers in (1, 2):
            assert_matches_du(scan(str(root), workers=workers, one_file_system=True), [root], "-x")
            assert_matches_du(scan(str(root), workers=workers), [root])
    finally:
        subprocess.run(["umount", str(root / "mnt")], check=True)


def test_no_descriptor_left_open_in_the_caller(mixed_tree):
    before = sorted(os.listdir("/proc/self/fd"))
    scan(mixed_tree, workers=1)
    scan(mixed_tree, workers=2)
    assert sorted(os.listdir("/proc/self/fd")) == before


def _library(root, files, seed):
    for i in range(files):
        ext = (".txt", ".py", ".so")[(i + seed) % 3]
        write(
            os.path.join(root, f"pkg{i % 12}", f"mod{i // 12}", f"f{i}{ext}"),
            size=(i * 7919 + seed * 131) % 9000,
        )
    os.link(
        os.path.join(root, "pkg0", "mod0", f"f0{(('.txt', '.py', '.so')[seed % 3])}"),
        os.path.join(root, "pkg1", "hardlink"),
    )
    return root


def test_concurrent_scans_in_threads_are_each_exact(tmp_path):
    # The inline phase runs in the caller's process: scans in threads must
    # not share a configuration, a record sink or a kept directory.
    import threading

    from conftest import du_sum

    lib1 = _library(str(tmp_path / "lib1"), 300, 1)
    lib2 = _library(str(tmp_path / "lib2"), 300, 2)
    cases = [
        (lib1, dict(workers=1), ()),
        (lib2, dict(workers=1, exclude="*.txt"), ("--exclude=*.txt",)),
        (lib1, dict(workers=1, count_links=True), ("-l",)),
        (lib2, dict(workers=2, apparent=True, views=True), ()),
        (lib1, dict(workers=1, exclude=["*.py", "mod3"]), ("--exclude=*.py", "--exclude=mod3")),
    ]
    expected = [du_sum([root], *flags) for root, _, flags in cases]
    for _ in range(8):
        got = [None] * len(cases)
        failures = []

        def run(i, root, kwargs):
            try:
                r = scan(root, **kwargs)
                got[i] = (r.total_size, r.disk_usage)
            except BaseException as exc:  # reported below, with the case
                failures.append((i, repr(exc)))

        threads = [
            threading.Thread(target=run, args=(i, root, kwargs))
            for i, (root, kwargs, _) in enumerate(cases)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert failures == []
        assert got == expected
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_a_script_read_from_stdin_scans_under_every_start_method(tmp_path, start_method):
    """``python -`` has no main file for spawn and forkserver children to
    load again (every child died with a traceback, and the scan said "the
    collector process died"): the scan goes on in the calling process."""
    root = tmp_path / "t"
    for i in range(300):
        write(str(root / f"d{i % 7}" / f"f{i}"), size=i * 13)
    script = (
        f"from sizescan import scan\n"
        f"r = scan({str(root)!r}, workers=2, start_method={start_method!r})\n"
        f"print(r.total_size, r.disk_usage)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-"],
        input=script.encode(),
        capture_output=True,
        env=dict(os.environ, SIZESCAN_INLINE_BUDGET_S="0"),
        timeout=120,
        cwd=str(tmp_path),
    )
    assert (proc.returncode, proc.stderr) == (0, b"")
    assert tuple(map(int, proc.stdout.split())) == du_sum([root])
