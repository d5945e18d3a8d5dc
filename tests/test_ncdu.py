"""ncdu's JSON export: written by sizescan, read back by ncdu, gdu and sizescan.

The real tools are the judges: ``ncdu -f EXPORT -o OUT`` must take the
export and write it back, ``gdu -n -f EXPORT`` must read the same totals,
and every total must still be du's.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time

import pytest
from conftest import NOBODY, du_sum, make_chain, require, run_cli, write

from sizescan import scan
from sizescan.files.ncdu_read import read_export


@pytest.fixture
def peers():
    require("ncdu", "the exports are read back by ncdu")
    require("gdu", "the exports are read back by gdu")


BAD_NAMES = [b"latin1-\xe9\xff.bin", b"new\nline", b'quo"te\\back', b"del\x7f", b"caf\xc3\xa9"]


def make_export_tree(base) -> str:
    """Hard links across directories, an unreadable directory (for nobody),
    names that are not UTF-8 or hold control characters, a symlink, a fifo."""
    root = os.path.join(base, "t")
    write(os.path.join(root, "a", "b", "big.dat"), size=300_000)
    os.makedirs(os.path.join(root, "z", "far"))
    os.link(os.path.join(root, "a", "b", "big.dat"), os.path.join(root, "z", "far", "big-link"))
    os.link(os.path.join(root, "a", "b", "big.dat"), os.path.join(root, "third-link"))
    write(os.path.join(root, "locked", "inner", "secret"), size=5_000)
    for i, name in enumerate(BAD_NAMES):
        with open(os.path.join(os.fsencode(root), b"a", name), "wb") as f:
            f.write(b"n" * 1000 * (i + 1))
    os.symlink("a/b/big.dat", os.path.join(root, "symlink"))
    os.mkfifo(os.path.join(root, "a", "fifo"))
    for i in range(40):
        write(os.path.join(root, "many", f"f{i:02d}.txt"), size=i * 100)
    subprocess.run(["chmod", "-R", "a+rX", root], check=True)
    os.chmod(os.path.join(root, "locked"), 0o700)
    return root


def as_nobody(*cmd, **kw):
    return subprocess.run([*NOBODY, *cmd], capture_output=True, timeout=120, **kw)


def du_as_nobody(root):
    apparent = as_nobody("du", "-sb", root).stdout.split()[0]
    disk = as_nobody("du", "-sB1", root).stdout.split()[0]
    return int(apparent), int(disk)


def gdu_totals(export):
    def total(*flags):
        out = subprocess.run(
            ["gdu", "-n", "-p", "-s", "--no-prefix", *flags, "-f", export],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        return int(out.split()[0])

    return total("-a"), total()


def names_in(export_bytes: bytes) -> set[bytes]:
    """Every name in an export, as the exact bytes it stands for."""
    doc = json.loads(export_bytes.decode("utf-8", "surrogateescape"))
    found = set()

    def visit(node):
        info = node[0] if isinstance(node, list) else node
        found.add(info["name"].encode("utf-8", "surrogateescape"))
        if isinstance(node, list):
            for child in node[1:]:
                visit(child)

    visit(doc[3])
    return found


@pytest.mark.parametrize("pool", [False, True], ids=["inline", "pool"])
def test_round_trip_through_ncdu_and_gdu(peers, public_tmp, pool):
    root = make_export_tree(public_tmp)
    out = os.path.join(public_tmp, "out")
    os.mkdir(out)
    os.chmod(out, 0o777)  # nobody writes the export here
    export = os.path.join(out, "export.json")
    env = dict(os.environ)
    args = ["--workers", "1"]
    if pool:  # every directory through the pool, big ones split in chunks
        env.update(SIZESCAN_INLINE_BUDGET_S="0", SIZESCAN_DESCEND_S="0", SIZESCAN_SPLIT_AT="7")
        args = ["--workers", "3"]
    proc = as_nobody(sys.executable, "-m", "sizescan", root, "-o", export, "-q", *args, env=env)
    assert proc.returncode == 1, proc.stderr  # the locked directory is an error
    expected = du_as_nobody(root)

    data = open(export, "rb").read()
    assert b"\\udc" not in data  # raw bytes, never Python's surrogate escapes
    assert b"latin1-\xe9\xff.bin" in data
    assert names_in(data) >= {*BAD_NAMES, b"big.dat", b"big-link", b"third-link", b"locked"}

    ours = read_export(export)
    assert (ours.total_size, ours.disk_usage) == expected
    assert ours.files == 3 + len(BAD_NAMES) + 40  # big.dat once, symlink, fifo, bad names, many/
    assert [(e.path, e.operation) for e in ours.errors] == [(f"{root}/locked", "read")]

    # ncdu reads it and writes it back: the same tree, the same totals.
    rewritten = os.path.join(out, "ncdu.json")
    ncdu = subprocess.run(["ncdu", "-f", export, "-o", rewritten], capture_output=True, timeout=60)
    assert ncdu.returncode == 0, ncdu.stderr
    again = read_export(rewritten)
    assert (again.total_size, again.disk_usage) == expected
    assert names_in(open(rewritten, "rb").read()) == names_in(data)

    # gdu reads it with the same totals (gdu assumes 4096 for a directory:
    # true of every directory of this tree on ext4).
    assert gdu_totals(export) == expected


def test_export_entries_follow_ncdu(tmp_path):
    root = str(tmp_path / "e")
    write(f"{root}/f.txt", size=10)
    os.link(f"{root}/f.txt", f"{root}/hard")
    os.symlink("f.txt", f"{root}/sym")
    os.makedirs(f"{root}/sub")
    export = str(tmp_path / "e.json")
    scan(root, export=export, extended=True)
    doc = json.loads(open(export, "rb").read())
    assert doc[:2] == [1, 2]
    assert doc[2]["progname"] == "sizescan" and isinstance(doc[2]["timestamp"], int)
    top = doc[3][0]
    st = os.lstat(root)
    assert top == {
        "name": root,
        "asize": st.st_size,
        "dsize": st.st_blocks * 512,
        "dev": st.st_dev,
        "uid": 0,
        "gid": 0,
        "mode": st.st_mode,
        "mtime": int(st.st_mtime),
    }
    entries = {(e[0] if isinstance(e, list) else e)["name"]: e for e in doc[3][1:]}
    f = os.lstat(f"{root}/f.txt")
    assert entries["f.txt"] == {
        "name": "f.txt",
        "asize": 10,
        "dsize": f.st_blocks * 512,
        "uid": 0,
        "gid": 0,
        "mode": f.st_mode,
        "mtime": int(f.st_mtime),
        "ino": f.st_ino,
        "hlnkc": True,
        "nlink": 2,
    }
    assert entries["sym"]["notreg"] is True and entries["sym"]["asize"] == 5
    assert isinstance(entries["sub"], list) and stat.S_ISDIR(entries["sub"][0]["mode"])
    assert "dev" not in entries["sub"][0]  # only where it changes


def test_excluded_entries_are_marked(peers, tmp_path):
    root = str(tmp_path / "x")
    write(f"{root}/keep.txt", size=100)
    write(f"{root}/skip.log", size=100)
    write(f"{root}/cache/CACHEDIR.TAG", byte=b"Signature: 8a477f597d28d172789f06886806bc55", size=1)
    write(f"{root}/cache/blob", size=9000)
    os.makedirs(f"{root}/mnt")
    os.makedirs(f"{root}/proc")
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", f"{root}/mnt"], check=True)
    subprocess.run(["mount", "-t", "proc", "proc", f"{root}/proc"], check=True)
    try:
        export = str(tmp_path / "x.json")
        result = scan(
            root,
            export=export,
            exclude=["*.log"],
            one_file_system=True,
            exclude_kernfs=True,
            exclude_caches=True,
        )
        # Nothing excluded is counted: du, told the same, agrees.
        assert (result.total_size, result.disk_usage) == du_sum(
            [root], "--exclude=*.log", "--exclude=cache", "-x"
        )
        doc = json.loads(open(export, "rb").read())
        marks = {e["name"]: e.get("excluded") for e in doc[3][1:] if isinstance(e, dict)}
        assert marks == {
            "keep.txt": None,
            "skip.log": "pattern",
            "cache": "pattern",
            "mnt": "otherfs",
            "proc": "otherfs",
        }
        ncdu = subprocess.run(["ncdu", "-f", export, "-o", "-"], capture_output=True, timeout=60)
        assert ncdu.returncode == 0, ncdu.stderr
        assert (read_export(export).total_size, read_export(export).disk_usage) == (
            result.total_size,
            result.disk_usage,
        )
        # Without -x, proc is a kernel filesystem: marked as such.
        scan(root, export=export, exclude_kernfs=True)
        doc = json.loads(open(export, "rb").read())
        marks = {
            (e[0] if isinstance(e, list) else e)["name"]: (e[0] if isinstance(e, list) else e)
            for e in doc[3][1:]
        }
        assert marks["proc"] == {"name": "proc", "excluded": "kernfs"}
        assert "excluded" not in marks["mnt"] and marks["mnt"]["dev"] != doc[3][0]["dev"]
    finally:
        subprocess.run(["umount", f"{root}/mnt"], check=False)
        subprocess.run(["umount", f"{root}/proc"], check=False)


def test_export_to_stdout_is_only_the_export(tmp_path):
    root = str(tmp_path / "s")
    write(f"{root}/a/b.txt", size=5000)
    proc = run_cli(root, "-o", "-")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc[3][0]["name"] == root and doc[3][1][0]["name"] == "a"
    again = run_cli("-f", "-", "-b", "--top", "0", input=proc.stdout)
    assert again.returncode == 0, again.stderr
    apparent, disk = du_sum([root])
    assert again.stdout.decode().splitlines()[0] == (
        f"{root}: {disk} disk usage, {apparent} apparent size, 1 file, 2 dirs"
    )


def test_deep_tree_exports_and_imports(peers, tmp_path, rm_rf):
    # Thousands of levels: both the writer and the reader use explicit stacks.
    root = make_chain(tmp_path, 3000, "d")
    rm_rf(root)
    export = str(tmp_path / "deep.json")
    result = scan(root, export=export)
    again = read_export(export)
    assert result.dirs == 3001 and result.files == 1
    assert (again.total_size, again.disk_usage, again.dirs) == (
        result.total_size,
        result.disk_usage,
        result.dirs,
    )
    ncdu = subprocess.run(
        ["ncdu", "-f", export, "-o", "/dev/null"], capture_output=True, timeout=60
    )
    assert ncdu.returncode == 0, ncdu.stderr


def test_reads_ncdu_and_gdu_exports(peers, tmp_path):
    root = make_export_tree(str(tmp_path))
    os.chmod(os.path.join(root, "locked"), 0o755)  # root reads it anyway
    # Ages spread over the buckets, so a reader that buckets wrong is seen.
    now = time.time()
    for i, (folder, _, names) in enumerate(os.walk(root)):
        for j, name in enumerate(sorted(names)):
            age = [0.5, 3, 20, 200, 900][(i + j) % 5] * 86400
            os.utime(os.path.join(folder, name), (now - age, now - age), follow_symlinks=False)
    ncdu_file, gdu_file = str(tmp_path / "ncdu.json"), str(tmp_path / "gdu.json")
    subprocess.run(["ncdu", "-0", "-e", "-o", ncdu_file, root], check=True, timeout=60)
    subprocess.run(
        ["gdu", "-n", "-p", "-o", gdu_file, root], check=True, timeout=60, capture_output=True
    )
    live = scan(root, views=True)
    from_ncdu = read_export(ncdu_file)
    assert (from_ncdu.total_size, from_ncdu.disk_usage) == du_sum([root])
    assert (from_ncdu.files, from_ncdu.dirs) == (live.files, live.dirs)
    assert from_ncdu.by_type() == live.by_type()
    assert [(a.count, a.size) for a in from_ncdu.by_age()] == [
        (a.count, a.size) for a in live.by_age()
    ]
    assert sum(1 for a in live.by_age() if a.count) >= 4
    # gdu writes no sizes for directories (its reader takes 4096 for each)
    # and marks a hard link on all names but one (so its reader counts that
    # file twice): sizescan reads what gdu wrote, as gdu does.
    from_gdu = read_export(gdu_file)
    assert from_gdu.dirs == live.dirs
    gdu_apparent, gdu_disk = gdu_totals(gdu_file)
    assert from_gdu.total_size + 4096 * from_gdu.dirs == gdu_apparent
    assert from_gdu.disk_usage + 4096 * from_gdu.dirs == gdu_disk
    # gdu always writes mtimes: ages are there.
    assert sum(a.count for a in from_gdu.by_age()) == from_gdu.files


BAD_FILES = [
    (b"", "empty file, not an ncdu export"),
    (b"hello", "line 1 column 1: expected '['"),
    (b'[1,2,{"progname":"x"},', "expected '[' opening the root directory"),
    (b'[2,0,{},[{"name":"/x"}]]', "unsupported format version 2.0"),
    (b'[1,2,{},[{"name":"/x"},\n{"asize":3}]]', 'line 2 column 1: no "name"'),
    (b'[1,2,{},[{"name":"/x"},{"name":"a","asize":-3}]]', '/x/a: "asize" is not a byte count: -3'),
    (b'[1,2,{},[{"name":"/x"},{"name":"a"} {"name":"b"}]]', "expected ',' or ']' in '/x'"),
    (b'[1,2,{},[{"name":"/x"},[{"name":"d"},{"name":"a"}]', "found 'the end of the file'"),
    (b'[1,2,{},[{"name":"/x"},{"name":"a",}]]', "line 1 column 36: not JSON"),
    (b"\xbfncduEX1\x00\x01", "binary export format"),
]


@pytest.mark.parametrize("content, message", BAD_FILES, ids=range(len(BAD_FILES)))
def test_malformed_import_is_one_line_exit_2(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    proc = run_cli("-f", str(path))
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and err.startswith(f"sizescan: {path}: "), err
    assert message in err and "Traceback" not in err


def test_missing_import_file(tmp_path):
    proc = run_cli("-f", str(tmp_path / "nope.json"))
    assert proc.returncode == 2
    assert proc.stderr.decode() == f"sizescan: {tmp_path}/nope.json: No such file or directory\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["{root}/f.txt", "-o", "{out}"], "not a directory"),
        (["{root}", "{root}", "-o", "{out}"], "give a single PATH"),
        (["{root}", "--extended"], "--extended only adds fields to an --export"),
        (["{root}", "-f", "{out}"], "no PATH, no --export"),
    ],
)
def test_export_usage_errors(tmp_path, args, message):
    root = str(tmp_path / "u")
    write(f"{root}/f.txt", size=10)
    out = str(tmp_path / "out.json")
    proc = run_cli(*(a.format(root=root, out=out) for a in args))
    assert proc.returncode == 2 and message in proc.stderr.decode()
    assert not os.path.exists(out)  # refused before anything was written


def test_by_age_needs_mtimes(tmp_path):
    export = tmp_path / "plain.json"
    export.write_text(
        '[1,2,{"timestamp":1000000000},[{"name":"/x","asize":4096,"dsize":4096},'
        '{"name":"a.log","asize":10,"dsize":4096}]]'
    )
    proc = run_cli("-f", str(export), "--by-age")
    assert proc.returncode == 2
    assert proc.stderr.decode() == (
        f"sizescan: {export}: no modification times: this export was written without them "
        "(ncdu -e, sizescan --extended)\n"
    )
    # With them, ages are measured from the export's timestamp, not from now.
    export.write_text(
        '[1,2,{"timestamp":1000000000},[{"name":"/x","asize":4096,"dsize":4096},'
        '{"name":"a.log","asize":10,"dsize":4096,"mtime":999990000}]]'
    )
    ages = read_export(str(export)).by_age()
    assert [(a.label, a.count) for a in ages if a.count] == [("< 1 day", 1)]
