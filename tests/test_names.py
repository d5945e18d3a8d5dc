"""Names that break naive tools: bytes that are not UTF-8, control characters, dashes."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

from conftest import du_sum

HOSTILE = [
    b"plain.txt",
    b"caf\xc3\xa9.txt",  # valid UTF-8
    b"latin1-\xe9\xff.bin",  # not UTF-8
    b"new\nline",
    b"tab\there",
    b"esc\x1b[31mred",
    b"-leading-dash",
    b"quotes'\"both",
    b"<tag>&amp;",
    b"back\\slash",
    b"not-a-new\\nline",  # a backslash and an n: never shown as "new\nline" is
    b"del\x7fchar",
    b"c1\xc2\x9bcsi",  # U+009B, a C1 control that some terminals obey
]


def _make(tmp_path):
    root = os.fsencode(str(tmp_path / "names"))
    os.mkdir(root)
    for i, name in enumerate(HOSTILE):
        with open(os.path.join(root, name), "wb") as f:
            f.write(b"n" * (1000 * (i + 1)))
    return root


def _run(*args, env=None):
    full = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "sizescan", *args], capture_output=True, env=full, timeout=60
    )


def test_json_round_trips_exact_bytes(tmp_path):
    root = _make(tmp_path)
    proc = _run(
        os.fsdecode(root),
        "--json",
        "--top",
        "100",
        "--apparent-size",
        env={"LANG": "C", "LC_ALL": "C", "PYTHONIOENCODING": "ascii"},
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout.decode("utf-8"))  # strict UTF-8
    got = set()
    for entry in doc["top_files"]:
        if "path_b64" in entry:
            got.add(base64.b64decode(entry["path_b64"]))
        else:
            got.add(entry["path"].encode("utf-8"))
    assert got == {os.path.join(root, name) for name in HOSTILE}
    assert doc["total_size"] == du_sum([os.fsdecode(root)])[0]


def test_people_output_one_line_per_name_and_no_control_bytes(tmp_path):
    root = _make(tmp_path)
    proc = _run(os.fsdecode(root), "--top", "100", "--apparent-size", "-b")
    assert proc.returncode == 0
    lines = proc.stdout.split(b"\n")
    listed = [line for line in lines if line.startswith(b"  ") and b"names/" in line]
    assert len(listed) == len(HOSTILE)
    for raw in (b"\x1b", b"\t", b"\x7f", b"\xc2\x9b", b"\xff", b"\r"):
        assert raw not in proc.stdout
    assert any(line.endswith(b"/new\\nline") for line in listed)
    assert any(line.endswith(b"/latin1-\\xe9\\xff.bin") for line in listed)
    assert any(line.endswith(b"/esc\\x1b[31mred") for line in listed)
    # A literal backslash is escaped: no two names print the same.
    assert any(line.endswith(b"/not-a-new\\\\nline") for line in listed)
    assert any(line.endswith(b"/back\\\\slash") for line in listed)
    assert len({line.rsplit(b"/", 1)[1] for line in listed}) == len(HOSTILE)


def test_path_with_a_leading_dash(tmp_path):
    os.mkdir(tmp_path / "-dir")
    (tmp_path / "-dir" / "f").write_bytes(b"x" * 50)
    proc = subprocess.run(
        [sys.executable, "-m", "sizescan", "--json", "--", "-dir"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["path"] == "-dir"


def test_error_lines_escape_names_too(tmp_path):
    missing = str(tmp_path / "gone\x1b]0;title\x07")
    proc = _run(missing)
    assert proc.returncode == 1
    assert b"\x1b" not in proc.stderr and b"\x07" not in proc.stderr
    assert proc.stderr.endswith(b"gone\\x1b]0;title\\x07': No such file or directory\n")
