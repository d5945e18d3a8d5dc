"""coreutils' own tests/du/*.sh, ported: the trees the du authors found worth
keeping, each built as the script builds it and scanned by both programs.

Compared: totals (apparent and disk), the per-PATH lines du prints, the exit
status, and which paths are reported and how.  Left out, and why, at the end
of docs/semantics.md ("GNU du's test suite").
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import NOBODY, du, write

_REPORT = re.compile(r"^du: (cannot read directory|cannot access) '(.*)': (.*)$")


def compare(*args, cwd, user=None, flags=()):
    """Run ``du -sb`` and ``sizescan --json`` on ``args``; assert they agree.

    Returns sizescan's JSON document.  ``flags`` are options both take.
    """
    prefix = NOBODY if user == "nobody" else []
    theirs = subprocess.run(
        [*prefix, "du", "-sb", *flags, *args], capture_output=True, text=True, cwd=cwd
    )
    theirs_disk = subprocess.run(
        [*prefix, "du", "-s", "-B1", *flags, *args], capture_output=True, text=True, cwd=cwd
    )
    ours = subprocess.run(
        [*prefix, sys.executable, "-m", "sizescan", "--json", *flags, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(
            os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        ),
    )
    assert ours.returncode == theirs.returncode, (ours.stderr, theirs.stderr)
    if not ours.stdout:  # a PATH alone that cannot be accessed: one line, as du's
        assert theirs.stdout == ""
        # du gives no reason for a dangling symlink under -L; sizescan says it.
        assert ours.stderr.replace("sizescan: ", "du: ", 1).startswith(theirs.stderr.rstrip("\n"))
        return None
    doc = json.loads(ours.stdout)

    def lines(out):
        return [
            (int(size), path) for size, path in (line.split("\t", 1) for line in out.splitlines())
        ]

    apparent, disk = lines(theirs.stdout), lines(theirs_disk.stdout)
    assert doc["total_size"] == sum(size for size, _ in apparent)
    assert doc["disk_usage"] == sum(size for size, _ in disk)
    # du prints a line for each PATH it counted; the PATHs it skipped are 0 here.
    counted = [(r["size"], r["path"]) for r in doc["roots"] if r["size"]]
    assert counted == [(size, path.rstrip("/") or "/") for size, path in apparent if size]
    reported = sorted(m.group(1, 2) for m in map(_REPORT.match, theirs.stderr.splitlines()) if m)
    ours_reported = sorted(
        ("cannot read directory" if e["operation"] == "read" else "cannot access", e["path"])
        for e in doc["errors"]
    )
    assert ours_reported == reported
    return doc


def test_basic(tmp_path):
    os.makedirs(tmp_path / "a" / "b")
    os.makedirs(tmp_path / "d" / "sub")
    write(str(tmp_path / "a" / "b" / "F"), size=257)
    write(str(tmp_path / "d" / "1"), size=4096)
    write(str(tmp_path / "d" / "sub" / "2"), size=4096)
    write(str(tmp_path / "q name"))
    compare("q name", cwd=tmp_path)
    compare("a", cwd=tmp_path)
    compare("d", cwd=tmp_path)
    # Every directory's total, as du lists them without -s.
    from sizescan import scan

    for top in ("a", "d"):
        dirs = scan(str(tmp_path / top), views=True).directories()
        assert {p: t.size for p, t in dirs.items()} == du("-b", str(tmp_path / top))


def test_apparent(tmp_path):
    for i in range(1, 101):
        write(str(tmp_path / "d" / str(i)), size=4)
    separate = compare(*[f"d/{i}" for i in range(1, 101)], cwd=tmp_path)
    together = compare("d", cwd=tmp_path)
    assert separate["total_size"] + os.lstat(tmp_path / "d").st_size == together["total_size"]


def test_deref(tmp_path):
    os.makedirs(tmp_path / "a" / "sub")
    os.symlink("a/sub", tmp_path / "slink")
    write(str(tmp_path / "b"))
    os.symlink("..", tmp_path / "a" / "sub" / "dotdot")
    os.symlink("nowhere", tmp_path / "dangle")
    compare("slink/", "b", cwd=tmp_path)
    assert compare("dangle", cwd=tmp_path, flags=("-L",)) is None  # exit 1: cannot access
    followed = compare("a", cwd=tmp_path, flags=("-L",))
    counted = compare("a", cwd=tmp_path, flags=("-L", "-l"))
    excluded = compare("a", cwd=tmp_path, flags=("--exclude=dotdot",))
    assert followed["total_size"] == counted["total_size"] == excluded["total_size"]


def test_deref_args(tmp_path):
    os.makedirs(tmp_path / "dir" / "a")
    os.symlink("dir", tmp_path / "slink")
    write(str(tmp_path / "64k"), size=65536)
    os.symlink("64k", tmp_path / "slink-to-64k")
    compare("slink/", cwd=tmp_path)
    compare("slink", cwd=tmp_path, flags=("-L",))
    doc = compare("slink-to-64k", cwd=tmp_path, flags=("-L",))
    assert doc["total_size"] == 65536


def test_hard_link(tmp_path):
    write(str(tmp_path / "dir" / "f1"), size=10)
    os.link(tmp_path / "dir" / "f1", tmp_path / "dir" / "f2")
    os.symlink("f1", tmp_path / "dir" / "f3")
    write(str(tmp_path / "dir" / "sub" / "F"), size=10)
    for flags in (("-L", "-l"), (), ("-L",)):
        compare("dir", cwd=tmp_path, flags=("--exclude=sub", *flags))
    write(str(tmp_path / "test-dir" / "file1"), size=8)
    os.link(tmp_path / "test-dir" / "file1", tmp_path / "test-dir" / "file2")
    normal = compare("test-dir", cwd=tmp_path)
    linked = compare("test-dir", cwd=tmp_path, flags=("-l",))
    assert linked["disk_usage"] > normal["disk_usage"]


def test_two_args(tmp_path):
    os.makedirs(tmp_path / "sub" / "t" / "1")
    os.makedirs(tmp_path / "sub" / "t" / "2")
    for args in (("t/1", "t/2"), (".", "t"), ("..", "t"), ("t", ".")):
        compare(*args, cwd=tmp_path / "sub")


def test_trailing_slash_and_no_deref(tmp_path):
    os.makedirs(tmp_path / "dir" / "1" / "2")
    os.symlink("dir", tmp_path / "slink")
    compare("slink/", cwd=tmp_path)
    compare("slink", cwd=tmp_path, flags=("-L",))
    doc = compare("slink", cwd=tmp_path)  # the link itself
    assert doc["dirs"] == 0 and doc["files"] == 1


def test_exclude(tmp_path):
    for d in ("a/b/c", "a/x/y", "a/u/v"):
        os.makedirs(tmp_path / d)
    compare("a", cwd=tmp_path, flags=("--exclude=x",))
    compare("a", cwd=tmp_path, flags=("--exclude=a",))  # the PATH itself: nothing
    compare("a", cwd=tmp_path, flags=("--exclude=a/u", "--exclude=a/b"))
    (tmp_path / "excl").write_text("b\n")
    # du's --exclude-from takes globs, sizescan's gitignore lines: "b" means the same.
    from sizescan import scan

    assert (
        scan(str(tmp_path / "a"), gitignore=["b"]).total_size
        == du("-sb", f"--exclude-from={tmp_path / 'excl'}", str(tmp_path / "a"))[
            str(tmp_path / "a")
        ]
    )


def test_inacc_dir(public_tmp):
    os.makedirs(os.path.join(public_tmp, "a", "sub"))
    before = compare("a", cwd=public_tmp, user="nobody")
    os.chmod(os.path.join(public_tmp, "a", "sub"), 0)
    after = compare("a", cwd=public_tmp, user="nobody")  # exit 1, the same total
    assert after["total_size"] == before["total_size"]
    assert [e["operation"] for e in after["errors"]] == ["read"]


def test_inacc_dest(public_tmp):
    f = os.path.join(public_tmp, "f")
    for d in "abcde":
        os.makedirs(os.path.join(f, d))
    write(os.path.join(f, "c", "j"))
    os.chmod(os.path.join(f, "c"), 0o644)  # a-x: listed, but nothing in it can be stat'ed
    doc = compare(".", cwd=f, user="nobody")
    assert doc["errors"]


def test_inaccessible_cwd(public_tmp):
    os.makedirs(os.path.join(public_tmp, "a", "b"))
    os.makedirs(os.path.join(public_tmp, "no-x"))
    os.chmod(os.path.join(public_tmp, "no-x"), 0)
    compare(os.path.join(public_tmp, "a"), cwd=os.path.join(public_tmp, "no-x"), user="nobody")


def test_long_from_unreadable(public_tmp, rm_rf):
    # 52 levels of 200-character names: far past PATH_MAX, from a cwd nobody can read.
    name = "x" * 200
    fd = os.open(public_tmp, os.O_RDONLY)
    for _ in range(52):
        os.mkdir(name, 0o755, dir_fd=fd)
        new = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = new
    os.close(fd)
    os.makedirs(os.path.join(public_tmp, "inaccessible"))
    os.chmod(os.path.join(public_tmp, "inaccessible"), 0)
    doc = compare(
        os.path.join(public_tmp, name), cwd=os.path.join(public_tmp, "inaccessible"), user="nobody"
    )
    assert doc["dirs"] == 52


def test_long_sloop(tmp_path):
    n = 400
    for i in range(1, n + 1):
        os.mkdir(tmp_path / str(i))
    for i in range(1, n + 1):
        os.symlink(f"../{i + 1}", tmp_path / str(i) / "s")
    write(str(tmp_path / str(n + 1)), size=4)
    doc = compare("1", cwd=tmp_path, flags=("-L",))  # exit 1: too many levels of symlinks
    assert [e["error"] for e in doc["errors"]] == ["Too many levels of symbolic links"]


def test_max_depth(tmp_path):
    os.makedirs(tmp_path / "a" / "b" / "c" / "d" / "e")
    from sizescan import scan

    for depth, listed in ((2, ["a/b/c", "a/b"]), (1, ["a/b"])):
        result = scan(str(tmp_path / "a"), max_depth=depth, top=50)
        lines = subprocess.run(
            ["du", f"--max-depth={depth}", "a"], capture_output=True, text=True, cwd=tmp_path
        ).stdout.splitlines()
        assert [line.split("\t")[1] for line in lines] == [*listed, "a"]
        assert sorted(os.path.relpath(d.path, tmp_path) for d in result.top_dirs) == sorted(listed)
    bad = subprocess.run(
        [sys.executable, "-m", "sizescan", "-d", "-1", "a"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_no_x(public_tmp):
    os.makedirs(os.path.join(public_tmp, "d", "no-x", "y"))
    os.chmod(os.path.join(public_tmp, "d", "no-x"), 0o600)
    doc = compare("d", cwd=public_tmp, user="nobody")
    assert doc["errors"]


def test_one_file_system(tmp_path):
    for d in ("b/c", "y/z", "d"):
        os.makedirs(tmp_path / d)
    write(str(tmp_path / "f"))
    compare("b", "y", cwd=tmp_path, flags=("-x",))
    compare("d", cwd=tmp_path, flags=("-x", "-L"))
    compare("f", cwd=tmp_path, flags=("-x",))


@pytest.mark.parametrize("inside", ["a/b", "a/b/c"])
def test_bind_mount_dir_cycle(tmp_path, inside):
    os.makedirs(tmp_path / inside)
    mounted = subprocess.run(
        ["mount", "--bind", str(tmp_path / "a"), str(tmp_path / inside)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"mount --bind is not permitted here: {mounted.stderr.decode().strip()}")
    try:
        doc = compare("a" if inside == "a/b" else "a/b", cwd=tmp_path)
        assert doc["errors"] == []
    finally:
        subprocess.run(["umount", str(tmp_path / inside)], check=True)


def test_restore_wd_and_many_args(tmp_path):
    os.makedirs(tmp_path / "a")
    os.makedirs(tmp_path / "b")
    compare("a", "b", cwd=tmp_path)
    chars = "abcdefghijklmnopqrstuvwxyz0123456789"
    names = [i + j for i in chars for j in chars]  # fd-leak: 1296 PATHs
    for name in names:
        write(str(tmp_path / "many" / name))
    compare(*names, cwd=tmp_path / "many")


def test_8gb(tmp_path):
    with open(tmp_path / "big", "wb") as f:
        f.truncate(8 << 30)  # sparse
    doc = compare("big", cwd=tmp_path)
    assert doc["total_size"] == 8589934592
