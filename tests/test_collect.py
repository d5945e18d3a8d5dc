"""The collector's once-only rule, fed by hand: no timing, no kill needed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sizescan.engine.collect import Collector
from sizescan.engine.records import Link, Message, Record
from sizescan.model.keys import dir_key, root_key
from sizescan.model.options import ScanOptions
from sizescan.model.result import largest


def rec(path, depth, *rest, **fields):
    """The record of ``path`` under the PATH "/r" (keys as a worker makes them)."""
    names = path.split("/")[2:]
    assert len(names) == depth
    key, parent, name = root_key(0), None, "/r"
    for name in names:
        parent, key = key, dir_key(key, name)
    return Record(key, parent, name, depth, *rest, **fields)


def test_records_delivered_twice_are_counted_once():
    # A worker killed after sending its message: the task is done again,
    # and its records (a directory's own, a chunk, a hard link) come twice.
    own = rec("/r", 0, 0, 1, 2, 4096 + 10, 4096 + 8192, tops=[(10, 8192, "a")])
    sub = rec("/r/d", 1, 0, 1, 1, 4096 + 5, 4096 + 4096)
    chunk = rec("/r/d", 1, 0, 0, 3, 30, 12288, part=1)
    linked = rec("/r/d", 1, 0, 0, 0, 0, 0, part=2, links=[Link(1, 99, 7, 4096, "h", None, None)])
    collector = Collector(["/r"], ScanOptions())
    collector.take(Message(1, [own, sub]))
    collector.take(Message(2, [chunk, linked]))
    collector.take(Message(3, [sub, chunk, own, linked]))  # the redone task
    result = collector.result()
    assert (result.total_size, result.disk_usage, result.files, result.dirs) == (
        4106 + 4101 + 30 + 7,
        12288 + 8192 + 12288 + 4096,
        2 + 1 + 3 + 1,
        2,
    )
    [top_dir] = result.top_dirs
    assert (top_dir.path, top_dir.size, top_dir.files) == ("/r/d", 4101 + 30 + 7, 5)
    assert [f.path for f in result.top_files] == ["/r/a", "/r/d/h"]
    assert collector.received == {1, 2, 3}


def test_a_link_seen_from_two_places_is_charged_at_the_one_nearest_its_path():
    # Fewest directories below the PATH first, then the name: never the
    # order the records came in.
    link = Link(1, 7, 100, 4096, "x", None, None)
    deep = rec("/r/a/b", 2, 0, 1, 0, 0, 0, links=[link._replace(name="a")])
    named_y = rec("/r/c", 1, 0, 1, 0, 0, 0, links=[link._replace(name="y")])
    named_x = rec("/r/d", 1, 0, 1, 0, 0, 0, links=[link])
    for order in ([deep, named_y, named_x], [named_x, named_y, deep], [named_y, deep, named_x]):
        collector = Collector(["/r"], ScanOptions())
        collector.add([rec("/r", 0, 0, 1, 0, 0, 0), rec("/r/a", 1, 0, 1, 0, 0, 0), *order])
        result = collector.result()
        dirs = {d.path: d.size for d in result.top_dirs}
        assert dirs == {"/r/a": 0, "/r/a/b": 0, "/r/c": 0, "/r/d": 100}
        assert [f.path for f in result.top_files] == ["/r/d/x"]


def test_two_names_of_one_inode_with_different_sizes_stay_consistent():
    # A file that grew between the stats of its two names (or a crafted
    # export): counted once, with one size, in the totals and in the kinds.
    first = rec("/r/b", 1, 0, 1, 0, 0, 0, links=[Link(1, 7, 0, 0, "x", ".txt", 0)])
    later = rec("/r/a", 1, 0, 1, 0, 0, 0, links=[Link(1, 7, 300, 4096, "y", ".txt", 0)])
    collector = Collector(["/r"], ScanOptions(views=True))
    collector.add([rec("/r", 0, 0, 1, 0, 0, 0), first, later])
    result = collector.result()
    assert sum(k.size for k in result.by_type()) == result.total_size
    assert sum(k.disk_usage for k in result.by_type()) == result.disk_usage


@given(
    st.lists(
        st.tuples(
            st.integers(0, 1_000),
            st.sampled_from(["a", "a-", "a.b", "b", "-", "."]),
            st.integers(0, 2),
        ),
        max_size=40,
    ),
    st.integers(1, 6),
)
def test_ties_below_too_many_ties_are_left_out_without_changing_the_list(nodes, n):
    # largest(..., up=) skips the paths of directories that cannot make the
    # list; the list must be what ranking every one of them gives.  Few
    # sizes make many ties; names around "/" in sort order ("-" and "."
    # sort before it) make a directory's subtree not contiguous by path.
    parents, paths, items = {0: None}, {0: "/r"}, []
    for i, (parent, name, size) in enumerate(nodes, start=1):
        parents[i] = parent % i
        paths[i] = f"{paths[parents[i]]}/{name}{i % 3}" if i % 2 else f"{paths[parents[i]]}/{name}"
        items.append((size, i))
    # Sibling names must differ, as in a directory.
    if len({(parents[i], paths[i]) for i in paths}) != len(paths):
        return
    path = lambda item: paths[item[1]]  # noqa: E731
    up = lambda key: parents[key] or None  # noqa: E731 (0 is the PATH, never ranked)
    assert largest(items, n, path, up) == largest(items, n, path)
