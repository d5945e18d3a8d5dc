"""--exclude-from (gitignore syntax) and --exclude-caches, against du.

du has no gitignore and no CACHEDIR.TAG, but it can exclude exact paths:
each test names, for du, the very paths the rule must leave out.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import du_sum, require, write

from sizescan import scan
from sizescan.command.cli import main

SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"

IGNORE = """\
# comments and blank lines are ignored

build/
*.log
!keep.log
/top.txt
docs/**/tmp
"""


@pytest.fixture
def project(tmp_path):
    root = str(tmp_path / "p")
    write(f"{root}/build/out.bin", size=50_000)  # a directory: excluded
    write(f"{root}/src/build", size=3_000)  # a file: build/ is for directories
    write(f"{root}/src/pkg/build/lib.so", size=20_000)  # a directory: excluded
    write(f"{root}/x.log", size=7_000)  # excluded
    write(f"{root}/src/y.log", size=8_000)  # excluded
    write(f"{root}/src/keep.log", size=9_000)  # re-included by !keep.log
    write(f"{root}/top.txt", size=1_000)  # anchored: excluded
    write(f"{root}/src/top.txt", size=2_000)  # not at the top: kept
    write(f"{root}/docs/a/b/tmp/scratch", size=4_000)  # docs/**/tmp: excluded
    write(f"{root}/docs/tmp/scratch", size=5_000)  # ** matches no directory too: excluded
    write(f"{root}/docs/guide.md", size=6_000)
    return root


LEFT_OUT = ["build", "src/pkg/build", "x.log", "src/y.log", "top.txt", "docs/a/b/tmp", "docs/tmp"]


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_exclude_from_follows_gitignore(project, tmp_path, force_pool, start_method):
    rules = tmp_path / "ignore"
    rules.write_text(IGNORE)
    expected = du_sum([project], *(f"--exclude={project}/{p}" for p in LEFT_OUT))
    result = scan(
        project, gitignore=IGNORE.splitlines(), workers=2, start_method=start_method, views=True
    )
    assert (result.total_size, result.disk_usage) == expected
    assert result.files == 4  # src/build, src/keep.log, src/top.txt, docs/guide.md
    assert {k.kind for k in result.by_type()} == {
        "(no extension)",
        ".log",
        ".txt",
        ".md",
        "(directory)",
    }
    res = CliRunner().invoke(main, [project, "--exclude-from", str(rules), "-b", "--top", "0"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith(
        f"{project}: {expected[1]} disk usage, {expected[0]} apparent size,"
    )


def test_exclude_caches(tmp_path):
    root = str(tmp_path / "c")
    write(f"{root}/cache/CACHEDIR.TAG", byte=SIGNATURE + b"\n# made by a tool\n", size=1)
    write(f"{root}/cache/objects/big", size=90_000)
    write(f"{root}/not-a-cache/CACHEDIR.TAG", byte=b"Signature: something else", size=1)
    write(f"{root}/not-a-cache/data", size=10_000)
    write(f"{root}/short/CACHEDIR.TAG", byte=SIGNATURE[:-1], size=1)
    write(f"{root}/keep.txt", size=500)
    write(f"{root}/CACHEDIR.TAG", byte=SIGNATURE, size=1)  # the PATH itself is always scanned
    result = scan(root, exclude_caches=True, views=True)
    assert (result.total_size, result.disk_usage) == du_sum([root], f"--exclude={root}/cache")
    assert result.dirs == 3  # c, not-a-cache, short
    assert f"{root}/cache" not in result.directories()
    plain = scan(root)
    assert (plain.total_size, plain.disk_usage) == du_sum([root])


def test_exclude_from_a_missing_file_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(main, [str(tmp_path), "--exclude-from", str(tmp_path / "nope")])
    assert res.exit_code == 2
    assert "nope" in res.output and "No such file" in res.output


# Each pattern with what git makes of it, checked by git itself below.
GIT_CASES = """\
logs/**
!logs/keep.txt
/build/**
!/build/keep/
cache/**
!cache/sub/keep.txt
d/**/*.tmp
*.log
!important.log
a/b/c/
x/**/
"""


def test_exclude_from_leaves_out_what_git_ignores(tmp_path):
    # The oracle is git: every file git lists as untracked and not ignored,
    # with the same patterns, is counted; nothing else.  X/** matches what
    # is inside X, never X: logs/keep.txt is re-included; cache/sub is
    # inside cache/** and left out whole, so its keep.txt cannot be
    # re-included.  x/**/ is for the directories inside x: x/z stays.
    require("git", "git is the oracle for gitignore rules")
    root = tmp_path / "t"
    names = [
        "logs/a.log",
        "logs/keep.txt",
        "logs/2024/b.txt",
        "build/x.o",
        "build/keep/y.o",
        "cache/c.bin",
        "cache/sub/keep.txt",
        "d/e/f.tmp",
        "d/g.tmp",
        "top.log",
        "README.md",
        "a/b/c/important.log",
        "a/b/important.log",
        "a/b/z.txt",
        "x/z",
        "x/y/w",
    ]
    for i, name in enumerate(names):
        write(str(root / name), size=1000 * (i + 1))
    rules = tmp_path / "ignore"
    rules.write_text(GIT_CASES)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    listed = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-o", "--exclude-from", str(rules)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(listed) < len(names) and {"logs/keep.txt", "x/z"} <= set(listed)  # they bite
    result = scan(str(root), gitignore=GIT_CASES.splitlines(), exclude=[".git"], top=100)
    counted = sorted(os.path.relpath(f.path, root) for f in result.top_files)
    assert counted == sorted(listed)
    assert result.files == len(listed)


def test_gitignore_rules_travel_to_workers_as_their_lines():
    # A spawned worker gets the matcher pickled: its lines, compiled again
    # there (01a4d9c lost __getstate__ and sent the compiled specs instead).
    import pickle

    from sizescan.engine.exclude import GitignoreMatcher

    lines = ["logs/**", "!logs/keep.txt", "x/**/"]
    matcher = pickle.loads(pickle.dumps(GitignoreMatcher(lines)))
    assert matcher.__getstate__() == tuple(lines)
    assert len(pickle.dumps(matcher)) < 200
    assert [
        matcher("logs", True),
        matcher("logs/keep.txt", False),
        matcher("logs/a", False),
        matcher("x/z", False),
        matcher("x/y", True),
    ] == [False, False, True, False, True]


# Names beyond ASCII, where fnmatch's answer depends on the locale (and
# glibc's, in UTF-8, matches characters or bytes), against patterns that
# tell the two apart.
LOCALE_NAMES = [
    b"\xc3\xa9",
    b"a\xc3\xa9",
    b"\xff",
    b"a\xffb",
    b"ab",
    b"\xe2\x82\xac",
    b"\xc3\x89",
    b"x\xc3\xa9y",
]
LOCALE_PATTERNS = [
    "a?",
    "??",
    "a??",
    "???",
    "x?y",
    "[é]",
    "[[:upper:]]",
    "[[:punct:]]",
    "a[[:alpha:]]",
    "[!a]?",
    "a[!b]",
    "*é",
    "[[:print:]]",
    "*[!a-z]*",
]


@pytest.mark.slow
@pytest.mark.parametrize("locale_name", ["C", "C.UTF-8"])
def test_exclude_beyond_ascii_as_du_in_each_locale(tmp_path, locale_name):
    root = os.path.join(os.fsencode(str(tmp_path)), b"t")
    for name in LOCALE_NAMES:
        os.makedirs(os.path.join(root, name))
        with open(os.path.join(root, name, b"f"), "wb") as f:
            f.write(b"x" * 100)
    env = dict(os.environ, LC_ALL=locale_name)
    for pattern in LOCALE_PATTERNS:
        du = subprocess.run(
            ["du", "-a", f"--exclude={pattern}", root], env=env, capture_output=True, check=True
        ).stdout
        expected = sorted(
            line.split(b"\t", 1)[1] for line in du.splitlines() if line.endswith(b"/f")
        )
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "sizescan",
                os.fsdecode(root),
                "--json",
                "--top",
                "100",
                f"--exclude={pattern}",
            ],
            env=env,
            capture_output=True,
            check=True,
        )
        files = json.loads(proc.stdout)["top_files"]
        got = sorted(
            base64.b64decode(f["path_b64"]) if "path_b64" in f else f["path"].encode()
            for f in files
        )
        assert got == expected, (locale_name, pattern)
