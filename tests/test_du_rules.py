"""du's rules at the edges no other test names (issue: never a wrong number,
never a lost file).  Every number is compared with GNU du on the same tree."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import threading
import time

import pytest
from click.testing import CliRunner
from conftest import NOBODY, du, du_sum, run_cli, write

from sizescan import InvalidOption, read_export, scan
from sizescan.command.cli import main


def _roots(result):
    return [r.size for r in result.roots]


# -- -o never loses the file it replaces ------------------------------------


def test_failed_scan_leaves_the_old_export_untouched(tmp_path):
    keep = tmp_path / "keep.json"
    keep.write_text('{"last":"week"}')
    proc = run_cli(str(tmp_path / "nonexistent"), "-o", str(keep))
    assert proc.returncode == 1
    assert keep.read_text() == '{"last":"week"}'
    assert sorted(os.listdir(tmp_path)) == ["keep.json"]  # no temporary file left


def test_export_replaces_the_file_whole_and_keeps_its_mode(tmp_path):
    write(str(tmp_path / "t" / "f"), size=100)
    keep = tmp_path / "keep.json"
    keep.write_text("old")
    os.chmod(keep, 0o640)
    scan(str(tmp_path / "t"), export=str(keep))
    assert json.loads(keep.read_bytes())[0] == 1
    assert oct(os.stat(keep).st_mode & 0o777) == "0o640"
    assert sorted(os.listdir(tmp_path)) == ["keep.json", "t"]


def test_export_to_a_device_is_written_in_place(tmp_path):
    write(str(tmp_path / "t" / "f"), size=100)
    scan(str(tmp_path / "t"), export="/dev/null")
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


def test_full_disk_leaves_the_old_export_and_says_which_file(tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"mount is not permitted here: {mounted.stderr.decode().strip()}")
    try:
        keep = small / "keep.json"
        keep.write_text("last week")
        for i in range(3000):  # an export far larger than 64k
            write(str(tmp_path / "t" / f"d{i % 30}" / f"file-with-a-long-name-{i}"), size=1)
        proc = run_cli(str(tmp_path / "t"), "-o", str(keep))
        assert proc.returncode == 2
        assert proc.stderr.decode() == (
            f"sizescan: cannot write the export to '{keep}': No space left on device\n"
        )
        assert keep.read_text() == "last week"
        assert os.listdir(small) == ["keep.json"]
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_interrupted_export_leaves_the_old_file(slow_tree, tmp_path, monkeypatch):
    mnt, _ = slow_tree
    keep = tmp_path / "keep.json"
    keep.write_text("last week")
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        scan(mnt, workers=4, io_depth=1, export=str(keep))
    assert keep.read_text() == "last week"
    assert sorted(os.listdir(tmp_path)) == ["keep.json", "mnt", "src"]
    assert multiprocessing.active_children() == []


# -- several PATHs, argument by argument -------------------------------------


@pytest.fixture
def args_tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write("out/x", size=6)
    os.symlink("out", "lnk2")
    write("a/x", size=5)
    os.symlink("../out", "a/lnk")
    write("h/f1", size=4)
    os.link("h/f1", "h/f2")
    write("lb/big", size=100_000)
    os.makedirs("la")
    os.symlink("../lb", "la/link")
    write("dir_a/f", size=50_000)
    os.makedirs("b")
    os.link("dir_a/f", "b/f")
    write("outer/inner/f", size=7000)
    write("outer/g", size=300)
    return tmp_path


@pytest.mark.parametrize(
    "flags,paths",
    [
        ((), ["out", "lnk2"]),  # a symlink PATH is the link: du 4102 and 3
        ((), ["a", "a/lnk"]),  # the link inside a is counted there only
        ((), ["a/lnk", "a"]),
        (("-l",), ["h", "h"]),  # -l hashes nothing: twice
        (("-l",), ["h/f1", "h/f2"]),
        (("-l",), ["outer/inner", "outer"]),  # -l: a PATH inside a later one counts in both
        (("-l",), ["outer", "outer/inner"]),
        ((), ["outer/inner", "outer"]),  # without: the later one leaves it out
        ((), ["outer", "outer/inner"]),
        ((), ["h/f1", "h/f2"]),
        (("-L",), ["la", "lb"]),  # la reaches lb first: lb is counted in la only
        (("-L",), ["lb", "la"]),
        ((), ["dir_a", "b/f"]),  # a hard link given as a PATH
        ((), ["b/f", "dir_a"]),
        ((), ["out", "out", "a"]),
        ((), ["lnk2/", "lnk2"]),  # one name, two PATHs: the directory, then the link
        ((), ["lnk2", "lnk2/"]),
    ],
)
def test_several_paths_as_du(args_tree, flags, paths):
    kwargs = dict(count_links="-l" in flags, dereference="-L" in flags)
    for workers in (1, 3):
        result = scan(paths, workers=workers, **kwargs)
        assert (result.total_size, result.disk_usage) == du_sum(paths, *flags), workers
        # Per PATH: du prints a line only for a PATH it counted; the others are 0 here.
        lines = subprocess.run(
            ["du", "-sb", *flags, *paths], capture_output=True, text=True
        ).stdout.splitlines()
        printed = [(int(size), path) for size, path in (line.split("\t") for line in lines)]
        assert [(r.size, r.path.rstrip("/.") or "/") for r in result.roots if r.size] == [
            (size, path.rstrip("/") or "/") for size, path in printed if size
        ]


def test_a_path_excluded_from_an_earlier_one_is_counted_in_either_order(tmp_path):
    write(str(tmp_path / "g" / "top"), size=10)
    write(str(tmp_path / "g" / "sub" / "f"), size=3000)
    g, sub = str(tmp_path / "g"), str(tmp_path / "g" / "sub")
    # Excluded from g's walk, g/sub is counted as a PATH of its own (as du
    # counts a PATH its --exclude left out of an earlier one).
    expected = du_sum([g], "--exclude=sub")[0] + du_sum([sub])[0]
    for paths in ([g, sub], [sub, g]):
        result = scan(paths, gitignore=["sub"])
        assert result.total_size == expected, paths
    for paths in ([g, sub], [sub, g]):
        result = scan(paths, exclude_caches=True)
        assert result.total_size == du_sum([g])[0]  # no tag: g holds sub


# -- an unreadable PATH is counted and reported, not refused ----------------


def test_unreadable_paths_as_nobody(public_tmp):
    write(os.path.join(public_tmp, "noread"), size=7)
    os.chmod(os.path.join(public_tmp, "noread"), 0)
    os.makedirs(os.path.join(public_tmp, "a", "sub"))
    os.chmod(os.path.join(public_tmp, "a", "sub"), 0)

    def both(*paths):
        ours = run_cli(*paths, "--json", user="nobody", cwd=public_tmp)
        theirs = subprocess.run(
            [*NOBODY, "du", "-sb", *paths], capture_output=True, text=True, cwd=public_tmp
        )
        return ours, theirs

    ours, theirs = both("noread")
    assert (ours.returncode, theirs.returncode) == (0, 0)
    assert json.loads(ours.stdout)["total_size"] == int(theirs.stdout.split()[0]) == 7
    ours, theirs = both("a/sub")
    assert ours.returncode == theirs.returncode == 1
    assert ours.stderr.decode() == "sizescan: cannot read directory 'a/sub': Permission denied\n"
    assert json.loads(ours.stdout)["total_size"] == int(theirs.stdout.split()[0])
    ours, theirs = both("noread", "a")
    assert ours.returncode == theirs.returncode == 1
    sizes = [int(line.split()[0]) for line in theirs.stdout.splitlines()]
    assert [r["size"] for r in json.loads(ours.stdout)["roots"]] == sizes


def test_diff_of_directories_reports_their_errors(public_tmp):
    for side in ("old", "new"):
        write(os.path.join(public_tmp, side, "keep", "f"), size=10)
    os.makedirs(os.path.join(public_tmp, "new", "locked"))
    write(os.path.join(public_tmp, "old", "locked", "f"), size=10)
    os.chmod(os.path.join(public_tmp, "new", "locked"), 0)
    proc = run_cli("diff", "old", "new", user="nobody", cwd=public_tmp)
    assert proc.returncode == 1
    assert (
        proc.stderr.decode() == "sizescan: cannot read directory 'new/locked': Permission denied\n"
    )


# -- --exclude's bracket expressions, as fnmatch ----------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "[[:alpha:]]",
        "[![:digit:]]",
        "[z-a]",
        "[!z-a]",
        "[[:upper:]]",
        "[[:punct:]]*",
        "[ab",
        "?[0-9]",
        "f[[:digit:]]",
        "[a-]*",
        "[]a]*",
        "*[[:space:]]*",
    ],
)
def test_exclude_brackets_as_du(tmp_path, pattern):
    for name in ("a", "1", "Z", "_x", "b2", "[ab", "]q", "has space"):
        write(str(tmp_path / "t" / name / "f1"), size=1000)
    root = str(tmp_path / "t")
    assert scan(root, exclude=pattern).total_size == du(
        "-sb", "-c", f"--exclude={pattern}", root
    ).get("total", 0)


# -- the library takes a string as one pattern, refuses what is not a target --


def test_one_string_is_one_pattern(tmp_path):
    write(str(tmp_path / "t" / "a.txt"), size=100)
    write(str(tmp_path / "t" / "b.log"), size=200)
    root = str(tmp_path / "t")
    assert scan(root, exclude="*.txt").total_size == du_sum([root], "--exclude=*.txt")[0]
    assert scan(root, gitignore="*.log").total_size == du_sum([root], "--exclude=*.log")[0]


@pytest.mark.parametrize("bad", [True, 1, 3.5, ["x.json"]])
def test_export_must_be_a_path_or_a_file(tmp_path, bad):
    write(str(tmp_path / "t" / "f"), size=1)
    with pytest.raises(InvalidOption, match="export must be a path or a binary file"):
        scan(str(tmp_path / "t"), export=bad)


# -- slow is not lost --------------------------------------------------------


@pytest.mark.slow
def test_a_stalled_collector_is_waited_for(slow_tree, monkeypatch):
    mnt, src = slow_tree
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
    monkeypatch.setattr("sizescan.engine.collector.MESSAGE_TIMEOUT_S", 0.5)

    def stall():
        time.sleep(0.3)
        [collector] = [
            p for p in multiprocessing.active_children() if p.name == "sizescan-collector"
        ]
        os.kill(collector.pid, signal.SIGSTOP)
        time.sleep(3)  # six times the timeout: no message is taken meanwhile
        os.kill(collector.pid, signal.SIGCONT)

    thread = threading.Thread(target=stall)
    thread.start()
    result = scan(mnt, workers=4, io_depth=1)
    thread.join()
    assert (result.total_size, result.disk_usage) == du_sum([src])


# -- no current directory -----------------------------------------------------


def test_a_deleted_current_directory_is_scanned_as_du(tmp_path):
    os.makedirs(tmp_path / "x")
    code = (
        "import os, sys, json, subprocess\n"
        "os.chdir(sys.argv[1]); os.rmdir(sys.argv[1])\n"
        "p = subprocess.run([sys.executable, '-m', 'sizescan', '.', '--json'], capture_output=True)\n"
        "d = subprocess.run(['du', '-sb', '.'], capture_output=True, text=True)\n"
        "print(json.dumps([p.returncode, json.loads(p.stdout)['total_size'], d.returncode,"
        " int(d.stdout.split()[0]), p.stderr.decode()]))\n"
    )
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "x")],
        capture_output=True,
        text=True,
        env=dict(
            os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        ),
    )
    assert json.loads(out.stdout) == [0, 0, 0, 0, ""], out.stderr


# -- imports: ages, and files that are not a tree -----------------------------


def test_by_age_of_an_extended_import_equals_the_scan(tmp_path):
    write(str(tmp_path / "t" / "old"), size=5000)
    ten_days = time.time() - 10 * 86400
    os.utime(tmp_path / "t" / "old", (ten_days, ten_days))
    write(str(tmp_path / "t" / "new"), size=10)
    export = str(tmp_path / "e.json")
    live = scan(str(tmp_path / "t"), views=True, export=export, extended=True)
    imported = read_export(export)
    assert [(a.label, a.count) for a in imported.by_age()] == [
        (a.label, a.count) for a in live.by_age()
    ]
    assert [a.count for a in live.by_age()] == [1, 0, 1, 0, 0]


@pytest.mark.parametrize(
    "body,message",
    [
        ('{"name":"a","asize":1},{"name":"a","asize":2}', "two entries named 'a'"),
        ('[{"name":"d"}],[{"name":"d","asize":3}]', "two entries named 'd'"),
        ('{"name":"a","asize":1,"uid":0},{"name":"a","asize":2,"uid":0}', "two entries named 'a'"),
        ('[{"name":".."}]', "an entry named '..'"),
        ('{"name":"."}', "an entry named '.'"),
    ],
)
def test_exports_that_are_not_a_tree_are_refused(tmp_path, body, message):
    bad = tmp_path / "bad.json"
    bad.write_text(f'[1,2,{{"progname":"x","timestamp":1}},[{{"name":"/r"}},{body}]]')
    res = CliRunner().invoke(main, ["-f", str(bad)])
    assert res.exit_code == 2
    assert message in res.output and res.output.count("\n") == 1


def test_trailing_garbage_is_refused_as_ncdu_does(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[1,2,{"progname":"x","timestamp":1},[{"name":"/r"},{"name":"a"}]] x\n')
    res = CliRunner().invoke(main, ["-f", str(bad)])
    assert (res.exit_code, res.output) == (
        2,
        f"sizescan: {bad}: line 1 column 67: trailing garbage after the export: 'x\\n'\n",
    )


def test_one_file_system_skips_a_fuse_mount_inside(tmp_path):
    # Needs no mount(8) privilege: a FUSE mount is a filesystem of its own.
    from conftest import assert_matches_du, slowfs_mount

    root = tmp_path / "t"
    write(str(root / "here"), size=5000)
    (root / "mnt").mkdir()
    write(str(tmp_path / "src" / "there"), size=100_000)
    write(str(tmp_path / "src" / "sub" / "more"), size=30_000)
    with slowfs_mount(tmp_path / "src", root / "mnt", delay_ms=0):
        for workers in (1, 2):
            with_x = scan(str(root), workers=workers, one_file_system=True)
            assert_matches_du(with_x, [root], "-x")
            assert with_x.total_size < 100_000  # the mount is really left out
            assert_matches_du(scan(str(root), workers=workers), [root])
