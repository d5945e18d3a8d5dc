"""Mutated exports, from real ncdu -o, gdu -o and sizescan -o files, fed to the
reader and on to every view and the formatter: only BadExport or a result,
quickly (hypothesis' deadline), whatever the bytes."""

from __future__ import annotations

import io
import os
import subprocess

import pytest
from conftest import require, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sizescan import BadExport, read_export, scan
from sizescan.command.people import (
    Palette,
    SizeFormat,
    age_report,
    report,
    tree_report,
    type_report,
)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    require("ncdu", "a real ncdu export is a seed")
    require("gdu", "a real gdu export is a seed")
    base = tmp_path_factory.mktemp("fuzz")
    root = base / "t"
    write(str(root / "a" / "file.txt"), size=300)
    write(str(root / "a" / "b" / "deep.log"), size=5000)
    os.link(root / "a" / "file.txt", root / "hard")
    write(str(root / "we\u202eird\nname"), size=7)
    os.symlink("a", root / "link")
    out = {}
    out["sizescan"] = str(base / "s.json")
    scan(str(root), export=out["sizescan"], extended=True)
    out["ncdu"] = str(base / "n.json")
    subprocess.run(["ncdu", "-0", "-e", "-o", out["ncdu"], str(root)], check=True, timeout=60)
    out["gdu"] = str(base / "g.json")
    subprocess.run(
        ["gdu", "-n", "-p", "-o", out["gdu"], str(root)],
        check=True,
        timeout=60,
        capture_output=True,
    )
    return [open(path, "rb").read() for path in out.values()]


def _mutate(data: bytes, edits) -> bytes:
    for kind, at, blob in edits:
        at = at % (len(data) + 1)
        if kind == "replace":
            data = data[:at] + blob + data[at + len(blob) :]
        elif kind == "insert":
            data = data[:at] + blob + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + len(blob) + 1 :]
        elif kind == "truncate":
            data = data[:at]
        else:  # repeat a slice: nesting, duplicate names
            data = data[:at] + data[at : at + 40] + data[at:]
    return data


_TOKENS = [
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b'"',
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"-1",
    b"1e999",
    b"NaN",
    b"99999999999999999999999",
    b'"dev":[1]',
    b'"hlnkc":true',
    b'"name":"x"',
    b'"excluded":"pattern"',
    b'"read_error":true',
    b"\xff\xfe",
    b"\x00",
    b"\xef\xbb\xbf",
]

edits = st.lists(
    st.tuples(
        st.sampled_from(["replace", "insert", "delete", "truncate", "repeat"]),
        st.integers(min_value=0, max_value=5000),
        st.one_of(st.sampled_from(_TOKENS), st.binary(min_size=1, max_size=6)),
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(which=st.integers(min_value=0, max_value=2), changes=edits)
def test_mutated_exports_give_bad_export_or_a_result(seeds, which, changes):
    data = _mutate(seeds[which], changes)
    try:
        result = read_export(io.BytesIO(data))
    except BadExport as exc:
        assert "\n" not in str(exc)
        return
    size = SizeFormat()
    paint = Palette(False)
    text = report(result, size)
    text += tree_report(result, result.tree(3, 10), size, paint)
    text += type_report(result, result.by_type(), size, paint, 10)
    try:
        text += age_report(result, result.by_age(), size, paint)
    except ValueError:
        pass  # no mtimes: a documented ValueError the CLI reports in one line
    text.encode("utf-8", "surrogateescape")  # printable, whatever the names
    assert result.total_size >= 0 and result.disk_usage >= 0
    assert sum(k.size for k in result.by_type()) == result.total_size
