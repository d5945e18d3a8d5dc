"""sizescan diff OLD NEW: exports and live trees, compared directory by directory."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from conftest import du, run_cli, write

from sizescan import diff, scan
from sizescan.command.cli import main
from sizescan.files.ncdu_read import read_export


@pytest.fixture
def before(tmp_path):
    root = str(tmp_path / "proj")
    write(f"{root}/logs/app.log", size=100_000)
    write(f"{root}/cache/blob", size=50_000)
    write(f"{root}/src/main.py", size=4000)
    write(f"{root}/media/movie.mkv", size=400_000)
    return root


def change(root):
    """What happens between two scans: growth, shrinkage, a new and a gone directory."""
    write(f"{root}/logs/app.log", size=300_000)
    write(f"{root}/media/movie.mkv", size=100_000)
    shutil.rmtree(f"{root}/cache")
    write(f"{root}/build/out.whl", size=60_000)


def test_diff_export_against_live_tree(before, tmp_path):
    old_sizes = du("-B1", before)
    export = str(tmp_path / "old.json")
    scan(before, export=export)
    change(before)
    new_sizes = du("-B1", before)
    res = CliRunner().invoke(main, ["diff", export, before, "--json", "--top", "0"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    got = {
        c["path"]: (c["status"], c["old_disk_usage"], c["new_disk_usage"], c["change"])
        for c in doc["changes"]
    }

    def expect(rel, status):
        old = old_sizes.get(f"{before}/{rel}" if rel != "." else before, 0)
        new = new_sizes.get(f"{before}/{rel}" if rel != "." else before, 0)
        return status, old, new, new - old

    assert got == {
        ".": expect(".", "shrank"),
        "logs": expect("logs", "grew"),
        "media": expect("media", "shrank"),
        "cache": expect("cache", "gone"),
        "build": expect("build", "new"),
    }  # src did not change: not listed
    order = [c["path"] for c in doc["changes"]]
    assert order == sorted(order, key=lambda p: (-abs(got[p][3]), p))
    assert doc["old_total"]["disk_usage"] == old_sizes[before]
    assert doc["new_total"]["disk_usage"] == new_sizes[before]
    assert doc["old_total"]["files"] == 4 and doc["new_total"]["files"] == 4


def test_diff_people_output(before, tmp_path):
    export = str(tmp_path / "old.json")
    scan(before, export=export)
    change(before)
    proc = run_cli("diff", export, before, "-b", "--top", "2", "--apparent-size")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    old_a = read_export(export).total_size
    new_a = scan(before).total_size
    assert lines[0] == f"old: {before}: {old_a}, 4 files"
    assert lines[1] == f"new: {before}: {new_a}, 4 files"
    assert new_a - old_a == -90_000
    assert lines[2] == "change: -90000 apparent size, +0 files"
    assert lines[4] == "Changed directories (by apparent size; largest change first)"
    rows = [line.split() for line in lines[6:]]
    # logs grew by 200,000 bytes; media shrank by 300,000 (the largest change).
    assert rows == [
        ["-300000", "404096", "104096", "shrank", "media"],
        ["+200000", "104096", "304096", "grew", "logs"],
    ]


def test_diff_two_live_trees_and_depth(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    write(f"{a}/x/y/z/deep.bin", size=10_000)
    write(f"{b}/x/y/z/deep.bin", size=90_000)
    result = diff(scan(a, views=True), scan(b, views=True), max_depth=1)
    assert [(c.path, c.status) for c in result.changes] == [(".", "grew"), ("x", "grew")]
    full = diff(scan(a, views=True), scan(b, views=True))
    assert [c.path for c in full.changes] == [".", "x", "x/y", "x/y/z"]
    assert full.total_change == 90_112 - 12_288


def test_diff_of_a_bad_export_is_one_line(tmp_path, before):
    bad = tmp_path / "bad.json"
    bad.write_text('[1,2,{},[{"name":"/x"},{"name":"a","asize":1e3}]]')
    proc = run_cli("diff", str(bad), before)
    assert proc.returncode == 2
    assert proc.stderr.decode() == f'sizescan: {bad}: /x/a: "asize" is not a byte count: 1000.0\n'


def test_a_directory_named_diff_is_still_scanned(tmp_path):
    write(str(tmp_path / "diff" / "f"), size=100)
    proc = run_cli("./diff", "-b", "--top", "0", cwd=str(tmp_path))
    assert proc.returncode == 0 and proc.stdout.decode().startswith("./diff: ")
