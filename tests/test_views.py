"""--tree, --by-type, --by-age: views of one scan, checked against du and the tree on disk."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from conftest import du, du_sum, make_mixed_tree, open_terminal, read_terminal, write

from sizescan import scan
from sizescan.command.cli import main
from sizescan.model.keys import root_key


@pytest.fixture
def small(tmp_path):
    root = str(tmp_path / "vt")
    write(f"{root}/big/a.bin", size=400_000)
    write(f"{root}/big/b.bin", size=100_000)
    write(f"{root}/small/c.txt", size=1000)
    write(f"{root}/top.bin", size=200_000)
    for i in (1, 2, 3):
        write(f"{root}/tiny{i}", size=10)
    return root


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_tree_exact(small):
    sizes = du("-ab", small)
    res = invoke(small, "--tree", "--apparent-size", "-b", "--top", "3", "--no-progress")
    assert res.exit_code == 0, res.output
    tree = res.output[res.output.index("Tree") :].splitlines()
    w = len(str(sizes[small]))
    # Shares are of the parent: 504096 / 713318 = 70.7%, a bar of 14 1/8 cells.
    assert sizes[small] == 713318 and sizes[f"{small}/big"] == 504096
    assert tree == [
        "Tree (by apparent size; share of the parent directory)",
        f"  {'SIZE'.rjust(w)}   SHARE                        NAME",
        "  713318  100.0%  ████████████████████  " + small,
        "  504096   70.7%  ██████████████▏       ├─ big/",
        "  400000   79.3%  ███████████████▉      │  ├─ a.bin",
        "  100000   19.8%  ████                  │  └─ b.bin",
        "  200000   28.0%  █████▋                ├─ top.bin",
        "    5096    0.7%  ▏                     ├─ small/",
        "    1000   19.6%  ███▉                  │  └─ c.txt",
        "      30    0.0%                        └─ (3 smaller)",
    ]
    # -d bounds the tree's depth as it bounds du's.
    shallow = invoke(small, "--tree", "--apparent-size", "-b", "--top", "3", "-d", "1")
    rows = shallow.output[shallow.output.index("Tree") :].splitlines()[2:]
    assert [r.split("  ")[-1].strip() for r in rows] == [
        small,
        "├─ big/",
        "├─ top.bin",
        "├─ small/",
        "└─ (3 smaller)",
    ]


def _check_sums(node, sizes, apparent, linked):
    """Every directory's rows (folds included) plus its own size make its total."""
    if not node.is_dir or not node.children:
        return
    own = os.lstat(node.path)
    own_size = own.st_size if apparent else own.st_blocks * 512
    assert own_size + sum(c.size if apparent else c.disk_usage for c in node.children) == (
        node.size if apparent else node.disk_usage
    ), node.path
    assert sum(c.files for c in node.children) == node.files, node.path
    for child in node.children:
        # du charges a file with several links to whichever directory its
        # readdir order meets first, sizescan to the one nearest the PATH: the
        # directories above the links are checked by the sums alone.
        if child.is_dir and not any(link.startswith(child.path + "/") for link in linked):
            assert (child.size if apparent else child.disk_usage) == sizes[child.path], child.path
        _check_sums(child, sizes, apparent, linked)


@pytest.mark.parametrize("workers", [1, 3])
def test_tree_adds_up_to_du(tmp_path, force_pool, monkeypatch, workers):
    monkeypatch.setenv("SIZESCAN_SPLIT_AT", "4")  # directories in chunks too
    root = make_mixed_tree(tmp_path)
    linked = [
        f"{root}/{link}"
        for link in ("a/deep/deeper/linked.dat", "z/far/away/linked-again.dat", "d3/third-link.dat")
    ]
    result = scan(root, views=True, top=3, workers=workers)
    for apparent, flags in ((False, ("-B1",)), (True, ("-b",))):
        sizes = du("-a", *flags, root)
        (tree,) = result.tree(max_depth=10, width=3)
        assert (tree.size, tree.disk_usage) == du_sum([root])
        _check_sums(tree, sizes, apparent, linked)
    # The linked file shows once, where the scan counted it.
    names = []

    def walk(node):
        names.append(node.name)
        for child in node.children:
            walk(child)

    (tree,) = result.tree(max_depth=10, width=100)
    walk(tree)
    linked = [n for n in names if n in ("linked.dat", "linked-again.dat", "third-link.dat")]
    assert len(linked) == 1


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("apparent", [False, True])
def test_each_directory_lists_its_largest_files_across_chunks_and_links(
    tmp_path, force_pool, monkeypatch, workers, apparent
):
    """A directory read in chunks, and a file counted there through a hard
    link, still list exactly its largest files, in order, by either size."""
    monkeypatch.setenv("SIZESCAN_SPLIT_AT", "4")  # 23 entries: 6 records of one directory
    root = tmp_path / "w"
    root.mkdir()
    for i in range(20):
        # Apparent and disk sizes rank differently: every third file is sparse.
        with open(root / f"f{i:02d}", "wb") as f:
            if i % 3:
                f.write(b"x" * (1000 * i + 7))
            else:
                f.truncate(100_000 + i)
    write(str(root / "sub" / "big"), size=300_000)
    os.link(root / "sub" / "big", root / "linked-big")  # counted at w/, nearest the PATH
    result = scan(str(root), views=True, top=3, workers=workers, apparent=apparent)
    (tree,) = result.tree(max_depth=1, width=3)
    shown = [(c.size, c.disk_usage, c.name) for c in tree.children if not c.is_dir and not c.folded]
    entries = [
        (os.lstat(p).st_size, os.lstat(p).st_blocks * 512, p.name)
        for p in root.iterdir()
        if p.is_file() and p.name != "big"
    ]
    rank = (lambda e: (e[0], e[1], e[2])) if apparent else (lambda e: (e[1], e[0], e[2]))
    assert shown == sorted(entries, key=rank, reverse=True)[:3]
    assert "linked-big" in [name for _, _, name in shown]


def test_by_type_adds_up(tmp_path):
    root = str(tmp_path / "k")
    write(f"{root}/a.LOG", size=5000)
    write(f"{root}/b.log", size=3000)
    write(f"{root}/archive.tar.gz", size=7000)
    write(f"{root}/.bashrc", size=100)
    write(f"{root}/Makefile", size=200)
    write(f"{root}/weird.{'x' * 20}", size=300)
    os.link(f"{root}/b.log", f"{root}/c.log")  # counted once
    os.symlink("a.LOG", f"{root}/sym")
    os.makedirs(f"{root}/sub")
    result = scan(root, views=True, apparent=True)
    kinds = {k.kind: (k.count, k.size) for k in result.by_type()}
    own = os.lstat(root).st_size + os.lstat(f"{root}/sub").st_size
    assert kinds == {
        ".log": (2, 8000),
        ".gz": (1, 7000),
        "(no extension)": (3, 600),
        "(symlink)": (1, 5),
        "(directory)": (2, own),
    }
    assert sum(k.size for k in result.by_type()) == result.total_size == du_sum([root])[0]
    assert sum(k.disk_usage for k in result.by_type()) == result.disk_usage


def test_by_age_buckets(tmp_path):
    root = str(tmp_path / "ages")
    now = time.time()
    day = 86400
    for name, age, size in [
        ("fresh", 60, 100),
        ("yesterday", 2 * day, 200),
        ("last-week", 10 * day, 300),
        ("spring", 100 * day, 400),
        ("ancient", 3 * 365 * day, 500),
        ("ancient2", 5 * 365 * day, 600),
        ("future", -30 * day, 700),
    ]:
        write(f"{root}/{name}", size=size)
        os.utime(f"{root}/{name}", (now - age, now - age))
    result = scan(root, views=True, apparent=True)
    assert [(a.label, a.count, a.size) for a in result.by_age()] == [
        ("< 1 day", 2, 800),  # a date in the future counts as new
        ("1 day - 1 week", 1, 200),
        ("1 week - 1 month", 1, 300),
        ("1 month - 1 year", 1, 400),
        (">= 1 year", 2, 1100),
    ]
    res = invoke(root, "--by-age", "-b", "--apparent-size")
    table = res.output[res.output.index("By age") :].splitlines()
    assert table[2].split() == ["800", "28.6%", "█████▊", "2", "<", "1", "day"]


def test_views_in_json(small):
    month_ago = time.time() - 40 * 86400
    os.utime(f"{small}/big/b.bin", (month_ago, month_ago))
    res = invoke(small, "--json", "--tree", "--by-type", "--by-age", "--top", "2", "-d", "1")
    doc = json.loads(res.output)
    assert doc["tree_depth"] == 1
    (tree,) = doc["tree"]
    assert tree["path"] == small and tree["type"] == "dir"
    assert [(c["name"], c["type"]) for c in tree["children"]] == [
        ("big", "dir"),
        ("top.bin", "file"),
        ("(4 smaller)", "folded"),
    ]
    assert tree["children"][2]["folded"] == 4
    assert sum(k["disk_usage"] for k in doc["by_type"]) == doc["disk_usage"]
    assert [(a["modified"], a["count"], a["size"]) for a in doc["by_age"]] == [
        ("< 1 day", 6, 400_000 + 1000 + 200_000 + 30),
        ("1 day - 1 week", 0, 0),
        ("1 week - 1 month", 0, 0),
        ("1 month - 1 year", 1, 100_000),
        (">= 1 year", 0, 0),
    ]
    plain = json.loads(invoke(small, "--json").output)
    assert not {"tree", "by_type", "by_age"} & plain.keys()


def test_colour_only_on_a_terminal(small):
    cmd = [sys.executable, "-m", "sizescan", small, "--tree", "--by-type", "--no-progress"]
    piped = subprocess.run(cmd, capture_output=True, timeout=60)
    assert piped.returncode == 0 and b"\x1b[" not in piped.stdout
    forced = subprocess.run(cmd + ["--color", "always"], capture_output=True, timeout=60)
    assert b"\x1b[34m\x1b[1mbig/" in forced.stdout

    def on_terminal(env):
        master, slave = open_terminal()
        proc = subprocess.run(
            cmd, stdout=slave, stderr=subprocess.PIPE, timeout=60, env=dict(os.environ, **env)
        )
        os.close(slave)
        assert proc.returncode == 0, proc.stderr
        return read_terminal(master)

    assert b"\x1b[34m\x1b[1mbig/" in on_terminal({})
    assert b"\x1b[" not in on_terminal({"NO_COLOR": "1"})
    # The tables stay aligned with colour: the same text once styles are gone.
    coloured = on_terminal({}).decode().replace("\r\n", "\n")
    visible = re.sub("\x1b\\[[0-9;]*m", "", coloured)
    assert (
        visible[visible.index("Tree") :]
        == piped.stdout.decode()[piped.stdout.decode().index("Tree") :]
    )


def test_views_need_a_scan_that_kept_them(small):
    result = scan(small)
    for view in (result.tree, result.by_type, result.by_age, result.directories):
        with pytest.raises(ValueError, match="views=True"):
            view()


def test_memory_is_per_directory(tmp_path):
    # A directory of 2,000 files keeps only its `top` largest for the tree.
    root = str(tmp_path / "wide")
    for i in range(2000):
        write(f"{root}/f{i:04d}", size=i)
    result = scan(root, views=True, top=5)
    assert len(result.model.files(root_key(0))) == 5
    (tree,) = result.tree(width=5)
    assert [c.name for c in tree.children] == [f"f{i}" for i in range(1999, 1994, -1)] + [
        "(1995 smaller)"
    ]
    assert tree.children[-1].files == 1995


def test_tree_marks_what_could_not_be_read(tmp_path):
    export = tmp_path / "e.json"
    export.write_text(
        '[1,2,{},[{"name":"/r","asize":4096,"dsize":4096},'
        '[{"name":"ok","asize":4096,"dsize":4096},{"name":"f","asize":10,"dsize":4096}],'
        '[{"name":"a","asize":4096,"dsize":4096},'
        '[{"name":"locked","asize":4096,"dsize":4096,"read_error":true}]]]]'
    )
    res = invoke("-f", str(export), "--tree", "-b", "--color", "never")
    assert res.exit_code == 1  # the error is reported, as from a scan
    rows = res.output[res.output.index("Tree") :].splitlines()
    column = rows[1].index("NAME")
    names = [row[column:] for row in rows[2:-1]]
    assert names == ["! /r", "├─ ! a/", "│  └─ ! locked/", "└─ ok/", "   └─ f"]
    assert rows[-1] == "! a directory below could not be read: its size is a lower bound"


def test_tree_depth_is_bounded(small):
    res = invoke(small, "--tree", "-d", "1000")
    assert res.exit_code == 2
    assert res.output == "sizescan: a tree is at most 256 levels deep, not 1000\n"
