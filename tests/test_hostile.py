"""Hostile input and output: every failure is one line and its exit status,
never a traceback; names never reach a terminal raw."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from conftest import NOBODY, open_terminal, read_terminal, require, run_cli, write

from sizescan import read_export, scan
from sizescan.command.cli import main

HEADER = '[1,2,{"progname":"x","timestamp":1},[{"name":"/r"},'


def _one_line_exit_2(res):
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and res.output.count("\n") == 1, res.output
    assert res.output.startswith("sizescan: ")


@pytest.mark.parametrize(
    "body",
    [
        '{"name":"a","asize":' + "9" * 5000 + "}",  # past int()'s digit limit
        '{"name":"a","asize":' + "9" * 4000 + "}",  # past any size
        '{"name":"a","asize":99999999999999999999}',
        '{"name":"a","asize":9999999999999999999}',
        '{"name":"a","asize":1,"ino":5,"hlnkc":true,"dev":[1]}',
        '[{"name":"d","dev":[1]}]',
        '{"name":"a","mode":-1,"uid":0}',
        '{"name":"a","mode":99999999999999999999999,"uid":0}',
        '{"name":"a","ino":-3,"hlnkc":true}',
        '{"name":"a\\ud800b","asize":1}',  # a surrogate escape stands for no byte
        '{"name":"a\\udfffb","asize":1,"uid":1}',
    ],
)
def test_hostile_exports_are_one_line(tmp_path, body):
    bad = tmp_path / "bad.json"
    bad.write_text(HEADER + body + "]]")
    for args in ([], ["--tree", "--by-type"]):
        _one_line_exit_2(CliRunner().invoke(main, ["-f", str(bad), *args]))
    _one_line_exit_2(CliRunner().invoke(main, ["diff", str(bad), str(bad)]))


def test_nan_mtime_and_an_excluded_root_are_read(tmp_path):
    odd = tmp_path / "odd.json"
    odd.write_text(HEADER + '{"name":"a","asize":3,"mtime":NaN,"uid":1}]]')
    res = CliRunner().invoke(main, ["-f", str(odd), "--by-type", "-b"])
    assert res.exit_code == 0 and "3" in res.output
    excluded = tmp_path / "excluded.json"
    excluded.write_text('[1,2,{"progname":"x","timestamp":1},[{"name":"/r","excluded":"pattern"}]]')
    res = CliRunner().invoke(main, ["-f", str(excluded), "--by-type", "--tree"])
    assert res.exit_code == 0, res.output
    write(str(tmp_path / "t" / "f"), size=10)
    res = CliRunner().invoke(main, ["--exclude=*", str(tmp_path / "t"), "--by-type"])
    assert res.exit_code == 0, res.output


def test_zero_bytes_zstd_and_a_byte_order_mark(tmp_path):
    started = time.monotonic()
    proc = run_cli("-f", "/dev/zero")
    assert proc.returncode == 2 and time.monotonic() - started < 10
    assert proc.stderr == b"sizescan: /dev/zero: a zero byte in the file: not a JSON export\n"
    zstd = tmp_path / "e.zst"
    zstd.write_bytes(b"\x28\xb5\x2f\xfd" + b"x" * 20)
    _one_line_exit_2(CliRunner().invoke(main, ["-f", str(zstd)]))
    assert "zstd" in CliRunner().invoke(main, ["-f", str(zstd)]).output
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + (HEADER + '{"name":"a","asize":7}]]').encode())
    assert read_export(str(bom)).total_size == 7


def test_stdin_closed_for_an_import():
    proc = subprocess.run(
        [sys.executable, "-m", "sizescan", "-f", "-"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        preexec_fn=lambda: os.close(0),
    )
    assert (proc.returncode, proc.stderr) == (
        2,
        b"sizescan: cannot read an export from stdin: it is closed\n",
    )


@pytest.mark.parametrize("args", [[], ["--json"], ["--tree"]])
def test_stdout_closed_or_full(tmp_path, args):
    write(str(tmp_path / "t" / "f"), size=10)
    closed = subprocess.run(
        [sys.executable, "-m", "sizescan", str(tmp_path / "t"), *args],
        capture_output=False,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),
    )
    assert (closed.returncode, closed.stderr) == (
        2,
        b"sizescan: cannot write to stdout: it is closed\n",
    )
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "sizescan", str(tmp_path / "t"), *args],
            stdout=full,
            stderr=subprocess.PIPE,
        )
    assert (proc.returncode, proc.stderr) == (
        2,
        b"sizescan: cannot write to stdout: No space left on device\n",
    )


def test_diff_and_import_to_a_full_stdout(tmp_path):
    write(str(tmp_path / "t" / "f"), size=10)
    export = str(tmp_path / "e.json")
    scan(str(tmp_path / "t"), export=export)
    for args in (["-f", export], ["diff", export, str(tmp_path / "t")], ["--help"]):
        with open("/dev/full", "wb") as full:
            proc = subprocess.run(
                [sys.executable, "-m", "sizescan", *args], stdout=full, stderr=subprocess.PIPE
            )
        assert proc.returncode == 2 and proc.stderr.endswith(b"No space left on device\n"), args
        assert proc.stderr.count(b"\n") == 1


def test_export_to_stdout_with_json_or_a_view_is_a_usage_error(tmp_path):
    write(str(tmp_path / "t" / "f"), size=10)
    for extra in (["--json"], ["--tree"], ["--by-type"]):
        res = CliRunner().invoke(main, [str(tmp_path / "t"), "-o", "-", *extra])
        assert res.exit_code == 2 and "-o - writes the export to stdout" in res.output


# -- names that must not reach a terminal raw --------------------------------

TRICKY = [
    "invoice\u202efdp.exe",
    "line\u2028break",
    "zero\u200bwidth",
    "join\u200dme",
    "\ufeffbom",
    "iso\u2066late\u2069",
    "para\u2029graph",
]


def test_unicode_format_and_separator_characters_are_escaped(tmp_path):
    root = tmp_path / "u"
    for i, name in enumerate(TRICKY):
        write(str(root / name / f"f{i}"), size=1000 * (i + 1))
        write(str(root / "files" / f"{name}.bin"), size=500 * (i + 1))
    texts = [
        CliRunner().invoke(main, [str(root), *args, "--top", "20"]).output
        for args in ([], ["--tree"], ["--by-type"])
    ]
    export = str(tmp_path / "u.json")
    scan(str(root), export=export)
    for name in TRICKY:  # every tricky directory grows: diff lists them all
        write(str(root / name / "more"), size=100_000)
    diff_text = CliRunner().invoke(main, ["diff", export, str(root), "--top", "0"]).output
    assert diff_text.count("grew") >= len(TRICKY)
    texts.append(diff_text)
    people = "\n".join(texts)
    for name in TRICKY:
        assert name not in people
    for raw in ("\u202e", "\u2028", "\u2029", "\u200b", "\u200d", "\ufeff", "\u2066", "\u2069"):
        assert raw not in "".join(texts)
    assert "invoice\\u202efdp.exe" in people and "line\\u2028break" in people
    # --json keeps the exact names.
    doc = json.loads(CliRunner().invoke(main, [str(root), "--json", "--top", "50"]).output)
    assert any(f["path"].endswith("files/invoice\u202efdp.exe.bin") for f in doc["top_files"])


def test_error_lines_escape_names_too(public_tmp):
    locked = os.path.join(public_tmp, "t", "evil\u202egnp.txt")
    os.makedirs(locked)
    os.chmod(locked, 0)
    proc = run_cli(os.path.join(public_tmp, "t"), user="nobody")
    assert proc.returncode == 1
    assert "evil\\u202egnp.txt" in proc.stderr.decode() and "\u202e" not in proc.stderr.decode()


# -- small things --------------------------------------------------------------


def test_progress_bar_reads_well(tmp_path):
    for i in range(3000):
        write(str(tmp_path / "t" / f"d{i % 60}" / f"f{i}"), size=10)
    master, slave = open_terminal()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sizescan", str(tmp_path / "t"), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=dict(os.environ, SIZESCAN_INLINE_BUDGET_S="0"),
    )
    os.close(slave)
    proc.wait(timeout=60)
    drawn = read_terminal(master).decode()
    assert "0 files, 0 Bytes, 0 dirs [" in drawn
    assert ", ," not in drawn and "0.00 files" not in drawn


def test_by_type_top_1_shows_one_type(tmp_path):
    write(str(tmp_path / "t" / "big.log"), size=50_000)
    write(str(tmp_path / "t" / "small.txt"), size=10)
    out = CliRunner().invoke(main, [str(tmp_path / "t"), "--by-type", "--top", "1", "-b"]).output
    table = out[out.index("By type") :].splitlines()[2:]
    assert [row.split()[-1] for row in table] == [".log", "types)"]
    assert table[1].endswith("(2 other types)")


def test_a_path_counted_in_an_earlier_one_is_not_drawn_again(tmp_path):
    write(str(tmp_path / "a" / "b" / "f"), size=10)
    out = (
        CliRunner().invoke(main, [str(tmp_path / "a"), str(tmp_path / "a" / "b"), "--tree"]).output
    )
    tree = out[out.index("Tree") :]
    assert "100.0%" in tree and tree.count("100.0%") == 1  # only the first PATH is a top


def test_ctrl_c_while_reading_an_export_is_130(tmp_path):
    rows = ",\n".join(f'{{"name":"f{i}","asize":{i},"dsize":4096}}' for i in range(400_000))
    big = tmp_path / "big.json"
    big.write_text(HEADER + rows + "]]")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sizescan", "-f", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(0.8)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode in (130, 0), err  # 0: it had finished first
    assert b"Aborted" not in err and b"Traceback" not in err


def test_an_error_about_a_hostile_name_stays_one_line(tmp_path):
    # Found by the fuzz test: the reader's message carried the raw name.
    bad = tmp_path / "bad.json"
    bad.write_text(HEADER + '{"name":"we\u202eird\\nname","mode":-5,"uid":0}]]')
    res = CliRunner().invoke(main, ["-f", str(bad)])
    _one_line_exit_2(res)
    assert "we\\u202eird\\nname" in res.output and "\u202e" not in res.output


def test_exclude_from_reads_lines_as_git_does(tmp_path):
    root = tmp_path / "t"
    for name in ("a", "b", "1", "old", "keep.txt"):
        write(str(root / name), size=100)
    ignore = tmp_path / "ignore"
    # A BOM, then lines git ignores silently, then a POSIX class git knows.
    ignore.write_bytes("\ufeffold\n\\\n!\n[z-a]\n[[:alpha:]]\n".encode())
    res = CliRunner().invoke(main, [str(root), "--exclude-from", str(ignore), "--json"])
    assert res.exit_code == 0, res.output
    assert "Warning" not in res.output
    doc = json.loads(res.output)
    # "old" by the first line; "a" and "b" by [[:alpha:]]; "1" and "keep.txt" stay.
    assert doc["files"] == 2
    git = subprocess.run(["git", "init", "-q", str(root)], capture_output=True)
    if git.returncode == 0:  # and git agrees, with the same file as .gitignore
        (root / ".gitignore").write_bytes(ignore.read_bytes())
        ignored = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--ignored"],
            capture_output=True,
            text=True,
        ).stdout
        assert sorted(line[3:] for line in ignored.splitlines() if line.startswith("!!")) == [
            "a",
            "b",
            "old",
        ]


def test_top_0_folds_every_type_as_it_shows_no_entry_in_the_tree(tmp_path):
    write(str(tmp_path / "t" / "x.log"), size=5000)
    write(str(tmp_path / "t" / "y.txt"), size=10)
    out = (
        CliRunner().invoke(main, [str(tmp_path / "t"), "--by-type", "--tree", "--top", "0"]).output
    )
    by_type = out[out.index("By type") :].splitlines()[2:]
    assert len(by_type) == 1 and by_type[0].endswith("(3 types)")
    tree = out[out.index("Tree") : out.index("By type")].splitlines()
    assert tree[-2].strip().endswith("(2 smaller)")


def test_ctrl_c_during_diff_is_130(tmp_path):
    rows = ",\n".join(f'{{"name":"f{i}","asize":{i},"dsize":4096}}' for i in range(300_000))
    big = tmp_path / "big.json"
    big.write_text(HEADER + rows + "]]")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sizescan", "diff", str(big), str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(0.8)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode in (130, 0), err
    assert b"Aborted" not in err and b"Traceback" not in err


def test_no_output_replaces_another_or_a_file_it_reads(tmp_path):
    """The export and the report are written whole at the end, by rename:
    given one file twice, or the file a scan reads, the last would silently
    replace the other.  Refused before anything is read or written."""
    root = tmp_path / "t"
    write(str(root / "a"), size=100)
    export = tmp_path / "scan.json"
    assert run_cli(str(root), "-q", "-o", str(export)).returncode == 0
    kept = export.read_bytes()
    ignore = tmp_path / "ignore"
    ignore.write_text("*.tmp\n")
    (tmp_path / "link.json").symlink_to(export)
    (tmp_path / "hard.json").hardlink_to(export)
    same = [
        (["-f", str(export), "--html", str(export)], "--html names the export -f reads"),
        (["-f", str(export), "--html", str(tmp_path / "link.json")], "--html names the export"),
        (["-f", str(tmp_path / "hard.json"), "--html", str(export)], "--html names the export"),
        (
            [str(root), "-o", str(export), "--html", str(tmp_path / "." / "scan.json")],
            "-o and --html name the same file",
        ),
        (
            [str(root), "-o", str(tmp_path / "new.json"), "--html", str(tmp_path / "new.json")],
            "-o and --html name the same file",
        ),
        (
            [str(root), "--exclude-from", str(ignore), "--html", str(ignore)],
            "--html names the patterns --exclude-from reads",
        ),
        (
            [str(root), "--exclude-from", str(ignore), "-o", str(ignore)],
            "-o names the patterns --exclude-from reads",
        ),
        # A file given as PATH is scanned, and the report would replace it.
        ([str(root), str(ignore), "--html", str(ignore)], "--html names a PATH it scans"),
        ([str(root / "a"), "--html", str(root / "." / "a")], "--html names a PATH it scans"),
    ]
    for args, message in same:
        proc = run_cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message.encode() in proc.stderr and b"Traceback" not in proc.stderr, proc.stderr
        assert proc.stdout == b""
    assert export.read_bytes() == kept and ignore.read_text() == "*.tmp\n"
    assert (root / "a").stat().st_size == 100 and os.listdir(root) == ["a"]
    assert sorted(os.listdir(tmp_path)) == ["hard.json", "ignore", "link.json", "scan.json", "t"]
    # Different files are fine, and so is an export read from stdin.
    proc = run_cli("-f", "-", "--html", str(tmp_path / "r.html"), input=kept)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(
        str(root), "-q", "-o", str(tmp_path / "b.json"), "--html", str(tmp_path / "b.html")
    )
    assert proc.returncode == 0 and (tmp_path / "b.html").read_bytes().startswith(
        b"<!doctype html>"
    )


@pytest.mark.parametrize("option", ["-o", "--html"])
def test_no_output_through_a_link_another_user_planted(public_tmp, tmp_path, option):
    """As root, an output named in a sticky world-writable directory where
    nobody planted a symlink to a root-only file: refused as the kernel's
    fs.protected_symlinks refuses the shell's '>', one line, exit 2, the
    file untouched.  Root's own link there is followed, as before."""
    require("setpriv", "the link is planted by nobody")
    shared = os.path.join(public_tmp, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o1777)
    precious = tmp_path / "shadow"
    precious.write_bytes(b"root:secret\n")
    os.chmod(precious, 0o600)
    planted = os.path.join(shared, "out")
    subprocess.run([*NOBODY, "ln", "-s", str(precious), planted], check=True)
    tree = tmp_path / "t"
    write(str(tree / "f"), 10)
    proc = run_cli(str(tree), option, planted, "--no-progress")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count(b"\n") == 1 and b"fs.protected_symlinks" in proc.stderr
    assert b"cannot write the" in proc.stderr and b"Traceback" not in proc.stderr
    assert precious.read_bytes() == b"root:secret\n"
    assert os.stat(precious).st_mode & 0o777 == 0o600
    assert os.path.islink(planted) and os.listdir(shared) == ["out"]
    # Through a directory link of nobody's on the way, too.
    subprocess.run([*NOBODY, "ln", "-s", str(tmp_path), os.path.join(shared, "dir")], check=True)
    proc = run_cli(str(tree), option, os.path.join(shared, "dir", "shadow"), "--no-progress")
    assert proc.returncode == 2 and b"fs.protected_symlinks" in proc.stderr
    assert precious.read_bytes() == b"root:secret\n"
    # Root's own link in the same directory is followed: its target is written.
    own = tmp_path / "mine.out"
    os.symlink(str(own), os.path.join(shared, "root-link"))
    proc = run_cli(str(tree), option, os.path.join(shared, "root-link"), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert own.stat().st_size > 0 and os.path.islink(os.path.join(shared, "root-link"))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(progress=5),
        dict(apparent="no"),
        dict(by_owner=2),
        dict(one_file_system="yes"),
        dict(views=None),
        dict(extended=True),
        dict(paths=["sample\0tree"]),
        dict(top=True),
        dict(workers=2.5),
        dict(exclude=[1]),
        dict(gitignore=[b"x"]),
        dict(start_method="bogus"),
        dict(export=123),
        dict(scheduler=5),
        dict(tls={"ca_file": "x"}),
        dict(paths=[5]),
    ],
)
def test_every_bad_library_argument_is_invalid_option(tmp_path, kwargs):
    from sizescan import InvalidOption

    kwargs = dict(kwargs)
    paths = kwargs.pop("paths", str(tmp_path))
    with pytest.raises(InvalidOption):
        scan(paths, **kwargs)
