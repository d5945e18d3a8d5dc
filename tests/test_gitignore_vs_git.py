"""--exclude-from against git itself: for generated gitignore files and trees
(names of any bytes: multi-byte UTF-8, bytes that are not UTF-8, spaces,
brackets, backslashes), the files sizescan counts are exactly the ones
``git ls-files --others --exclude-from`` lists as not ignored."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest
from conftest import require
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sizescan import scan

# Name pieces that meet every rule of the syntax: plain letters, multi-byte
# characters, a byte that is not UTF-8, the wildcards' own characters,
# spaces (trailing ones are trimmed from patterns), control bytes that
# POSIX classes name (\v and \f are not git's [:space:]).
NAME_BYTES = [
    b"a",
    b"b",
    b"c",
    b"A",
    b"1",
    b"_",
    b".",
    b"-",
    b" ",
    b"\xc3\xa9",
    b"\xe2\x82\xac",
    b"\xff",
    b"\x0b",
    b"\x0c",
    b"\t",
    b"[",
    b"]",
    b"!",
    b"#",
    b"\\",
    b"*",
    b"?",
]
PATTERN_BYTES = [
    b"a",
    b"b",
    b"c",
    b"A",
    b"1",
    b".",
    b"-",
    b" ",
    b"\xc3\xa9",
    b"\xff",
    b"\x0b",
    b"*",
    b"**",
    b"?",
    b"??",
    b"/",
    b"[ab]",
    b"[!ab]",
    b"[^a]",
    b"[a-c]",
    b"[]a]",
    b"[[:space:]]",
    b"[[:blank:]]",
    b"[[:cntrl:]]",
    b"[[:print:]]",
    b"[[:graph:]]",
    b"[[:punct:]]",
    b"[[:alpha:]]",
    b"[[:upper:]]",
    b"[[:xdigit:]]",
    b"[[:bogus:]]",
    b"[",
    b"\\",
    b"\\*",
    b"\\ ",
    b"!",
    b"#",
    b"\\!",
    b"\\#",
    b"**/",
    b"/**",
]

names = (
    st.lists(st.sampled_from(NAME_BYTES), min_size=1, max_size=4)
    .map(b"".join)
    .filter(lambda n: n not in (b".", b".."))
)
patterns = st.lists(st.sampled_from(PATTERN_BYTES), min_size=1, max_size=5).map(b"".join)


@st.composite
def trees(draw):
    """{relative path: is a file} of up to 3 levels."""
    paths = {}
    for _ in range(draw(st.integers(1, 12))):
        parts = draw(st.lists(names, min_size=1, max_size=3))
        path = b"/".join(parts)
        if (
            any(path.startswith(p + b"/") and paths[p] for p in paths)
            or any(p.startswith(path + b"/") for p in paths)
            or path in paths
        ):
            continue
        paths[path] = True
    return paths


def _git_kept(root: bytes, ignore: bytes, git_dir: str) -> set:
    out = subprocess.run(
        [
            "git",
            "--git-dir",
            git_dir,
            "--work-tree",
            os.fsdecode(root),
            "ls-files",
            "-z",
            "--others",
            "--exclude-from",
            os.fsdecode(ignore),
        ],
        capture_output=True,
        check=True,
        cwd=root,
    ).stdout
    return {p for p in out.split(b"\0") if p}


def _sizescan_kept(root: bytes, lines) -> set:
    result = scan(os.fsdecode(root), gitignore=lines, top=1000, workers=1)
    assert not result.errors, result.errors
    prefix = os.fsdecode(root) + "/"
    return {os.fsencode(f.path[len(prefix) :]) for f in result.top_files}


def _compare(tree: dict, ignore_lines: list):
    require("git", "git is the reference for gitignore patterns")
    base = tempfile.mkdtemp(prefix="sizescan-gitignore-")
    try:
        root = os.path.join(os.fsencode(base), b"t")
        os.mkdir(root)
        for path in tree:
            full = os.path.join(root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(b"x")
        ignore = os.path.join(os.fsencode(base), b"ignore")
        with open(ignore, "wb") as f:
            f.write(b"\n".join(ignore_lines) + b"\n")
        git_dir = os.path.join(base, "repo.git")
        subprocess.run(["git", "init", "-q", "--bare", git_dir], check=True)
        lines = [line.decode("utf-8", "surrogateescape") for line in ignore_lines]
        assert _sizescan_kept(root, lines) == _git_kept(root, ignore, git_dir), ignore_lines
    finally:
        shutil.rmtree(base)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tree=trees(),
    ignore=st.lists(patterns, min_size=1, max_size=4),
    negate=st.lists(st.booleans(), min_size=4, max_size=4),
    dir_only=st.lists(st.booleans(), min_size=4, max_size=4),
)
@example(
    tree={b"README": True, b"a/README": True, b"a/x": True, b"a/b/README": True, b"a/b/y": True},
    ignore=[b"*", b"*/", b"README"],
    negate=[False, True, True, False],
    dir_only=[False, False, False, False],
)
@example(
    tree={b"\xc3\xa9x": True, b"\xffx": True, b"\x0bx": True, b" x": True},
    ignore=[b"?x", b"??x", b"[[:space:]]x", b"[!a]x"],
    negate=[False, True, False, False],
    dir_only=[False] * 4,
)
@pytest.mark.slow
def test_sizescan_keeps_what_git_keeps(tree, ignore, negate, dir_only):
    lines = []
    for pattern, neg, slash in zip(ignore, negate, dir_only):
        lines.append((b"!" if neg else b"") + pattern + (b"/" if slash else b""))
    _compare(tree, lines)


@pytest.mark.parametrize(
    "lines",
    [
        [b"*", b"!*/", b"!README"],  # git's "ignore everything except"
        [b"logs/**", b"!logs/keep.txt"],
        [b"**/b", b"!a/**/c"],
        [b"a/*/", b"trailing\\ ", b"spaces   "],
        [b"\xef\xbb\xbf*.log", b"crlf\r"],
    ],
)
def test_known_idioms_as_git(lines):
    tree = {
        b"README": True,
        b"x.log": True,
        b"a/README": True,
        b"a/b/README": True,
        b"a/b/c/d": True,
        b"logs/keep.txt": True,
        b"logs/old.txt": True,
        b"trailing /f": True,
        b"spaces": True,
        b"crlf": True,
        b"a/b/x.log": True,
    }
    _compare(tree, lines)
