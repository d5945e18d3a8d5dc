"""The sizescan command, through click's CliRunner and as a real process."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import du, du_sum, open_terminal, read_terminal, run_cli, write

from sizescan import __version__
from sizescan.command.cli import main


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "proj"
    write(str(root / "media" / "movie.mkv"), size=3_000_000)
    write(str(root / "media" / "song.ogg"), size=400_000)
    write(str(root / "src" / "main.py"), size=12_000)
    write(str(root / "logs" / "app.log"), size=900_000)
    return str(root)


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_people_output_exact(tree):
    res = invoke(tree, "-b", "--top", "2", "--no-progress")
    assert res.exit_code == 0, res.output
    disk = du("-s", "-B1", tree)[tree]
    apparent = du("-sb", tree)[tree]
    lines = res.output.splitlines()
    assert lines[0] == f"{tree}: {disk} disk usage, {apparent} apparent size, 4 files, 4 dirs"
    assert re.fullmatch(r"0 errors, [0-9.]+ s, [0-9,]+ files/s, 1 worker", lines[1])
    movie = os.stat(f"{tree}/media/movie.mkv").st_blocks * 512
    logs = os.stat(f"{tree}/logs/app.log").st_blocks * 512
    media = du("-s", "-B1", f"{tree}/media")[f"{tree}/media"]
    logs_dir = du("-s", "-B1", f"{tree}/logs")[f"{tree}/logs"]
    w = len(str(movie))
    wd = len(str(media))
    assert lines[2:] == [
        "",
        "Largest files (by disk usage)",
        f"  {'SIZE'.rjust(w)}  PATH",
        f"  {movie}  {tree}/media/movie.mkv",
        f"  {str(logs).rjust(w)}  {tree}/logs/app.log",
        "",
        "Largest directories (by disk usage)",
        f"  {'SIZE'.rjust(wd)}  FILES  {tree}/media".replace(f"{tree}/media", "PATH"),
        f"  {media}      2  {tree}/media",
        f"  {str(logs_dir).rjust(wd)}      1  {tree}/logs",
    ]


def test_human_sizes_binary_and_si(tree):
    assert "MiB disk usage" in invoke(tree, "--top", "0").output
    assert "MB disk usage" in invoke(tree, "--top", "0", "--si").output


def test_apparent_size_sorts_by_apparent(tmp_path):
    root = tmp_path / "t"
    with open(write_path(root / "sparse"), "wb") as f:
        f.seek(5_000_000)
        f.write(b"x")
    write(str(root / "dense"), size=100_000)
    by_disk = json.loads(invoke(str(root), "--json").output)
    by_apparent = json.loads(invoke(str(root), "--json", "--apparent-size").output)
    assert [f["path"] for f in by_disk["top_files"]] == [str(root / "dense"), str(root / "sparse")]
    assert [f["path"] for f in by_apparent["top_files"]] == [
        str(root / "sparse"),
        str(root / "dense"),
    ]
    assert by_apparent["sorted_by"] == "size" and by_disk["sorted_by"] == "disk_usage"


def write_path(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def test_json_document(tree):
    res = invoke(tree, "--json", "--top", "3")
    assert res.exit_code == 0
    doc = json.loads(res.output)
    assert doc["schema"] == 1 and doc["version"] == __version__
    assert doc["path"] == tree and doc["paths"] == [tree]
    assert (doc["total_size"], doc["disk_usage"]) == du_sum([tree])
    assert (doc["files"], doc["dirs"]) == (4, 4)
    assert [f["path"] for f in doc["top_files"]] == [
        f"{tree}/media/movie.mkv",
        f"{tree}/logs/app.log",
        f"{tree}/media/song.ogg",
    ]
    assert set(doc["top_files"][0]) == {"path", "size", "disk_usage"}
    assert doc["top_files"][0]["size"] == 3_000_000
    assert set(doc["top_dirs"][0]) == {"path", "size", "disk_usage", "files", "depth"}
    assert doc["top_dirs"][0] == {
        "path": f"{tree}/media",
        "size": 3_400_000 + 4096,
        "disk_usage": du("-s", "-B1", f"{tree}/media")[f"{tree}/media"],
        "files": 2,
        "depth": 1,
    }
    assert doc["errors"] == []
    assert doc["roots"] == [
        {
            "path": tree,
            "size": doc["total_size"],
            "disk_usage": doc["disk_usage"],
            "files": 4,
            "dirs": 4,
        }
    ]
    assert isinstance(doc["workers"], int) and isinstance(doc["elapsed_s"], float)


def test_json_several_paths(tree, tmp_path):
    other = str(tmp_path / "other")
    write(other + "/f", size=10)
    doc = json.loads(invoke(tree, other, "--json").output)
    assert "path" not in doc and doc["paths"] == [tree, other]
    assert [r["path"] for r in doc["roots"]] == [tree, other]
    assert doc["total_size"] == sum(r["size"] for r in doc["roots"]) == du_sum([tree, other])[0]


def test_max_depth_option(tree):
    write(f"{tree}/src/pkg/deeper/mod.py", size=5000)  # depths 2 and 3
    for depth, expected in (
        (1, ["logs", "media", "src"]),
        (2, ["logs", "media", "src", "src/pkg"]),
    ):
        doc = json.loads(invoke(tree, "--json", "-d", str(depth), "--top", "50").output)
        assert sorted(d["path"] for d in doc["top_dirs"]) == [f"{tree}/{d}" for d in expected]
        assert doc["max_depth"] == depth
        assert doc["total_size"] == du_sum([tree])[0]  # -d lists less, never counts less


@pytest.mark.parametrize(
    "args",
    [
        ["--workers", "0"],
        ["--workers", "-3"],
        ["--workers", "many"],
        ["--top", "-1"],
        ["--max-depth", "-1"],
        ["--no-such-option"],
        ["--si", "-b"],
        ["--start-method", "teleport"],
    ],
)
def test_usage_errors_exit_2(tree, args):
    res = invoke(tree, *args)
    assert res.exit_code == 2
    assert "Usage:" in res.output and "Traceback" not in res.output


def test_missing_path_exit_1(tmp_path):
    res = invoke(str(tmp_path / "nope"))
    assert res.exit_code == 1
    assert res.output == f"sizescan: cannot access '{tmp_path}/nope': No such file or directory\n"


def test_missing_path_among_several(tree, tmp_path):
    res = invoke(str(tmp_path / "nope"), tree, "--json")
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert doc["total_size"] == du_sum([tree])[0]
    assert res.stderr == f"sizescan: cannot access '{tmp_path}/nope': No such file or directory\n"


def test_version():
    res = invoke("--version")
    assert res.exit_code == 0 and res.output == f"sizescan, version {__version__}\n"


def test_control_characters_never_reach_the_terminal(tmp_path):
    root = tmp_path / "t"
    write(str(root / "evil\nname\x1b[31m\t.txt"), size=2000)
    res = invoke(str(root), "--top", "1")
    assert "\x1b" not in res.output
    lines = res.output.splitlines()
    # summary, errors line, blank, title, header, the one file: nothing split
    assert len(lines) == 6
    assert lines[-1] == f"  4.0 KiB  {root}/evil\\nname\\x1b[31m\\t.txt"


def test_default_path_is_cwd(tree, monkeypatch):
    monkeypatch.chdir(tree)
    doc = json.loads(invoke("--json").output)
    assert doc["path"] == "." and doc["total_size"] == du_sum(["."])[0]


def test_real_process_json_under_ascii_locale(tmp_path):
    root = os.fsencode(str(tmp_path / "t"))
    os.makedirs(root)
    name = root + b"/na\xc3\xafve-\xff"  # a valid UTF-8 character, then a bad byte
    with open(name, "wb") as f:
        f.write(b"1" * 100)
    proc = run_cli(
        str(tmp_path / "t"), "--json", env={"LANG": "C", "LC_ALL": "C", "PYTHONIOENCODING": "ascii"}
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout.decode("utf-8"))  # strict: valid UTF-8
    assert doc["files"] == 1
    assert doc["top_files"][0]["path"].endswith("na\u00efve-\ufffd")
    if shutil.which("jq") is None:  # .ci/run installs it; a bare laptop may not have it
        pytest.skip("jq is not installed")
    jq = subprocess.run(
        ["jq", "-r", ".top_files[0].path_b64"], input=proc.stdout, capture_output=True
    )
    assert jq.returncode == 0
    assert base64.b64decode(jq.stdout) == name
    assert proc.stderr == b""


def test_broken_pipe_exits_quietly(tmp_path):
    root = tmp_path / "t"
    for i in range(300):
        write(str(root / f"f{i}"), size=i)
    cmd = f"{sys.executable} -m sizescan {root} --top 300 | head -1"
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=60
    )
    assert proc.stdout.startswith(str(root))
    assert proc.stderr == ""


def test_exit_1_and_stderr_line_for_unreadable_dir(public_tmp):
    root = os.path.join(public_tmp, "t")
    write(os.path.join(root, "locked", "x"), size=5)
    os.chmod(os.path.join(root, "locked"), 0o700)
    proc = run_cli(root, "--top", "0", user="nobody")
    assert proc.returncode == 1
    assert (
        proc.stderr.decode()
        == f"sizescan: cannot read directory '{root}/locked': Permission denied\n"
    )
    quiet = run_cli(root, "--top", "0", "-q", user="nobody")
    assert quiet.returncode == 1 and quiet.stderr == b""


def test_progress_bar_only_on_a_terminal(tree):
    env = dict(os.environ, SIZESCAN_INLINE_BUDGET_S="0")
    cmd = [sys.executable, "-m", "sizescan", tree, "--top", "0", "--workers", "2"]
    master, slave = open_terminal()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=slave, env=env, timeout=60)
    os.close(slave)
    drawn = read_terminal(master)
    assert proc.returncode == 0
    assert b" files, " in drawn  # the bar was drawn on the terminal...
    assert drawn.endswith(b"\r") or drawn.endswith(b"\x1b[A")  # ...and cleared
    assert proc.stdout.decode().startswith(f"{tree}: ")
    # Not a terminal, --no-progress, --json: nothing on stderr.
    for extra in ([], ["--no-progress"], ["--json"]):
        piped = subprocess.run(cmd + extra, capture_output=True, env=env, timeout=60)
        assert piped.returncode == 0 and piped.stderr == b""
