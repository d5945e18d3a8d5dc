"""--by-owner: totals per user and per group, checked against find's own sums."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import NOBODY, du_sum, run_cli, write

from sizescan import scan

# root, a user with a name, nobody, and a uid/gid no database knows.
OWNERS = [(0, 0), (1000, 1000), (65534, 65534), (4242, 4343)]


def make_owned_tree(base) -> str:
    root = os.path.join(str(base), "owned")
    for i in range(40):
        uid, gid = OWNERS[i % len(OWNERS)]
        d = os.path.join(root, f"d{i % 5}", f"s{i}")
        write(os.path.join(d, f"f{i}"), size=(i * 7919) % 40000)
        os.chown(os.path.join(d, f"f{i}"), uid, gid)
        os.chown(d, *OWNERS[(i + 1) % len(OWNERS)])  # directories have owners too
    os.chown(os.path.join(root, "d3"), 4242, 0)
    # One directory whose files have several owners, none with uid == gid:
    # the first file's owner is the worker's fast path, the others are
    # counted one by one, and a group taken from a uid would show.
    for i, (uid, gid) in enumerate(
        [(1001, 2001), (1002, 2002), (1001, 2002), (0, 2003), (1003, 0), (1002, 2001), (1001, 2001)]
        * 3
    ):
        write(os.path.join(root, "shared", f"f{i}"), size=1000 * (i + 1))
        os.chown(os.path.join(root, "shared", f"f{i}"), uid, gid)
    os.chown(os.path.join(root, "shared"), 1004, 2004)
    # A file with three links in far-apart directories: counted once, for its owner.
    os.link(os.path.join(root, "d1", "s1", "f1"), os.path.join(root, "d4", "s9", "again"))
    os.link(os.path.join(root, "d1", "s1", "f1"), os.path.join(root, "third"))
    os.symlink("d1/s1/f1", os.path.join(root, "symlink"))
    os.lchown(os.path.join(root, "symlink"), 65534, 65534)
    return root


def find_owners(paths) -> dict:
    """{("user"|"group", id): [entries, apparent, disk]} from find, each inode once."""
    out = subprocess.run(
        ["find", *paths, "-printf", "%U %G %b %s %D:%i\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    totals, seen = {}, set()
    for line in out.splitlines():
        uid, gid, blocks, size, ident = line.split()
        if ident in seen:
            continue
        seen.add(ident)
        for key in (("user", int(uid)), ("group", int(gid))):
            slot = totals.setdefault(key, [0, 0, 0])
            slot[0] += 1
            slot[1] += int(size)
            slot[2] += int(blocks) * 512
    return totals


def owners_of(result) -> dict:
    return {(o.kind, o.id): [o.count, o.size, o.disk_usage] for o in result.by_owner()}


@pytest.mark.parametrize("setting", ["in-process", "pool", "threads", "chunks"])
def test_owner_totals_equal_finds(tmp_path, monkeypatch, setting):
    root = make_owned_tree(tmp_path)
    options = {}
    if setting != "in-process":
        monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
        monkeypatch.setenv("SIZESCAN_DESCEND_S", "0")
        options["workers"] = 3
    if setting == "threads":
        options["io_depth"] = 4
    if setting == "chunks":
        monkeypatch.setenv("SIZESCAN_SPLIT_AT", "3")
    result = scan(root, by_owner=True, **options)
    assert owners_of(result) == find_owners([root])
    # Users, and groups, each add up to the totals du gives.
    for kind in ("user", "group"):
        mine = [o for o in result.by_owner() if o.kind == kind]
        assert (sum(o.size for o in mine), sum(o.disk_usage for o in mine)) == du_sum([root])
    names = {(o.kind, o.id): o.name for o in result.by_owner()}
    assert names[("user", 0)] == "root" and names[("user", 65534)] == "nobody"
    assert names[("user", 4242)] == "4242" and names[("group", 4343)] == "4343"


def test_several_paths_and_a_file_path(tmp_path):
    root = make_owned_tree(tmp_path)
    lone = os.path.join(str(tmp_path), "lone.bin")  # a file PATH outside the others
    write(lone, 3000)
    os.chown(lone, 4242, 77)
    paths = [os.path.join(root, "d1"), root, os.path.join(root, "d2", "s2", "f2"), lone]
    result = scan(paths, by_owner=True)
    # du counts what an earlier PATH counted once: so does find on these (each inode once).
    assert owners_of(result) == find_owners(paths)


def test_without_by_owner_there_is_nothing_to_show(tmp_path):
    result = scan(make_owned_tree(tmp_path))
    assert result.owners is None
    with pytest.raises(ValueError, match="--by-owner"):
        result.by_owner()


def test_cli_people_output_and_json(tmp_path):
    root = make_owned_tree(tmp_path)
    proc = run_cli(root, "--by-owner", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    assert "By user" in text and "By group" in text
    assert "nobody" in text and "4242" in text and "4343" in text
    doc = json.loads(run_cli(root, "--by-owner", "--json").stdout)
    got = {(o["kind"], o["id"]): [o["count"], o["size"], o["disk_usage"]] for o in doc["by_owner"]}
    assert got == find_owners([root])
    assert "by_owner" not in json.loads(run_cli(root, "--json").stdout)


def test_from_extended_exports(tmp_path):
    root = make_owned_tree(tmp_path)
    ours, plain = str(tmp_path / "ours.json"), str(tmp_path / "plain.json")
    assert run_cli(root, "-q", "-o", ours, "--extended").returncode == 0
    doc = json.loads(run_cli("-f", ours, "--by-owner", "--json").stdout)
    got = {(o["kind"], o["id"]): [o["count"], o["size"], o["disk_usage"]] for o in doc["by_owner"]}
    assert got == find_owners([root])
    # ncdu's own extended export carries uid and gid too.
    ncdus = str(tmp_path / "ncdu.json")
    if subprocess.run(["which", "ncdu"], capture_output=True).returncode == 0:
        subprocess.run(["ncdu", "-e", "-o", ncdus, root], check=True, capture_output=True)
        doc = json.loads(run_cli("-f", ncdus, "--by-owner", "--json").stdout)
        assert {
            (o["kind"], o["id"]): [o["count"], o["size"], o["disk_usage"]] for o in doc["by_owner"]
        } == find_owners([root])
    # An export without them: one line, exit 2.
    assert run_cli(root, "-q", "-o", plain).returncode == 0
    proc = run_cli("-f", plain, "--by-owner")
    assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1
    assert b"no owners" in proc.stderr


def test_export_to_stdout_with_by_owner_is_a_usage_error(tmp_path):
    proc = run_cli(str(tmp_path), "-o", "-", "--by-owner")
    assert proc.returncode == 2 and b"nowhere to go" in proc.stderr


def test_an_unreadable_directory_counts_its_own_size_for_its_owner(public_tmp):
    """As nobody: a directory it cannot list still counts its own size (du's
    rule), for its owner; find, as nobody, sees the same entries."""
    root = os.path.join(public_tmp, "t")
    write(os.path.join(root, "open", "f"), size=1000)
    write(os.path.join(root, "locked", "inner", "secret"), size=50_000)
    os.chown(os.path.join(root, "open", "f"), 1000, 1000)
    os.chmod(os.path.join(root, "locked"), 0o700)  # root's: nobody cannot list it
    for workers in ("1", "2"):
        proc = run_cli(
            root,
            "--json",
            "--by-owner",
            "--workers",
            workers,
            user="nobody",
            env={"SIZESCAN_INLINE_BUDGET_S": "0"},
        )
        assert proc.returncode == 1, proc.stderr
        got = {
            (o["kind"], o["id"]): [o["count"], o["size"], o["disk_usage"]]
            for o in json.loads(proc.stdout)["by_owner"]
        }
        find = subprocess.run(
            [*NOBODY, "find", root, "-printf", "%U %G %b %s %D:%i\n"],
            capture_output=True,
            text=True,
        ).stdout
        want = {}
        for line in find.splitlines():
            uid, gid, blocks, size, _ = line.split()
            for key in (("user", int(uid)), ("group", int(gid))):
                slot = want.setdefault(key, [0, 0, 0])
                slot[0] += 1
                slot[1] += int(size)
                slot[2] += int(blocks) * 512
        assert got == want
        assert got[("user", 0)][0] == 3  # t, open and locked (unreadable); nothing inside it
