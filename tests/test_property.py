"""Nothing lost: random trees, every pool size and start method, against du."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
from conftest import du_sum  # noqa: E402
from scandir_walk import walk as reference_walk  # noqa: E402

from sizescan import scan  # noqa: E402

pytestmark = [pytest.mark.slow]

names = st.text(alphabet="abcxyz-_.", min_size=1, max_size=6)
# A tree: each node is a directory holding files, symlinks, hard links and subdirectories.
files = st.lists(st.tuples(names, st.integers(0, 70_000), st.booleans()), max_size=5)
tree = st.recursive(
    st.fixed_dictionaries({"files": files, "dirs": st.just({})}),
    lambda children: st.fixed_dictionaries(
        {"files": files, "dirs": st.dictionaries(names, children, max_size=4)}
    ),
    max_leaves=25,
)


def build(path, node, made):
    os.makedirs(path, exist_ok=True)
    for name, size, sparse in node["files"]:
        target = os.path.join(path, "f-" + name)
        if os.path.exists(target):
            continue
        with open(target, "wb") as f:
            if sparse:
                f.seek(size)
                f.write(b"s")
            else:
                f.write(b"d" * size)
        made.append(target)
    for name, child in node["dirs"].items():
        build(os.path.join(path, "d-" + name), child, made)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tree=tree,
    links=st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100)), max_size=6),
    workers=st.sampled_from([1, 2, 5, 16]),
    method=st.sampled_from(["fork", "forkserver", "spawn"]),
    empty=st.lists(names, max_size=3),
)
def test_scan_equals_du_and_a_reference_walk(tree, links, workers, method, empty):
    base = tempfile.mkdtemp(prefix="sizescan-prop-")
    try:
        root = os.path.join(base, "root")
        made = []
        build(root, tree, made)
        for name in empty:
            os.makedirs(os.path.join(root, "empty-" + name), exist_ok=True)
        for a, b in links:  # hard links and symlinks between random files
            if made:
                src = made[a % len(made)]
                dst_dir = os.path.dirname(made[b % len(made)])
                hard = os.path.join(dst_dir, f"hl-{a}-{b}")
                soft = os.path.join(dst_dir, f"sl-{a}-{b}")
                if not os.path.exists(hard):
                    os.link(src, hard)
                if not os.path.lexists(soft):
                    os.symlink(src, soft)
        os.environ["SIZESCAN_INLINE_BUDGET_S"] = "0"  # the pool, whatever the size
        first = scan(root, workers=workers, start_method=method, top=5)
        again = scan(root, workers=workers, start_method=method, top=5)
        assert (first.total_size, first.disk_usage) == du_sum([root])
        assert (first.total_size, first.disk_usage) == reference_walk(root)
        assert (again.total_size, again.disk_usage, again.files, again.dirs) == (
            first.total_size,
            first.disk_usage,
            first.files,
            first.dirs,
        )
        assert again.top_files == first.top_files and again.top_dirs == first.top_dirs
    finally:
        os.environ.pop("SIZESCAN_INLINE_BUDGET_S", None)
        shutil.rmtree(base)
