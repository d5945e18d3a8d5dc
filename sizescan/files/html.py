"""The HTML report (--html): one self-contained page with a zoomable treemap.

The page is ``report/page.html`` with three things put in: the scan as JSON
in a ``<script type="application/json">`` block, d3-hierarchy (vendored,
see ``report/README.md``) and the page's own script.  Nothing from the scan
is ever markup: names reach the page only inside that JSON, escaped so that
no ``</script>`` can end the block, and the page sets them as text.  The
Content-Security-Policy allows exactly the page's own script and style (by
hash) and nothing remote.
"""

from __future__ import annotations

import base64
import json
import os
import stat as _stat

from ..errors import ExportFailed
from ..hashes import builtin
from ..model.kinds import DIRECTORY_KIND, kind_of
from ..model.names import display_path, exact_b64
from ..model.result import ScanResult
from ..model.tree import TreeNode
from .atomic import OutputFile

#: Boxes a report draws at most by default: enough for every box a laptop
#: screen can show large enough to read, few enough to open in a second.
DEFAULT_BOXES = 20000

#: Errors listed in a report (all are counted in its header).
MAX_ERRORS = 1000

_HERE = os.path.join(os.path.dirname(__file__), "report")
# What JSON may carry that HTML would read: "<" could start "</script>",
# "&" and ">" are escaped alike for good measure; U+2028 and U+2029 end a
# line in older JavaScript.
_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _asset(name: str) -> str:
    with open(os.path.join(_HERE, name), encoding="utf-8") as f:
        return f.read()


def _name_fields(name: str) -> dict:
    """A name as the page shows it (escaped as on a terminal), and its exact
    bytes in base64 when it is not valid UTF-8 (as ``--json``'s path_b64)."""
    doc = {"n": display_path(name)}
    raw = exact_b64(name)
    if raw is not None:
        doc["b"] = raw
    return doc


def _node(node: TreeNode, kinds: dict, before=None) -> dict:
    doc = _name_fields(node.name)
    doc["s"], doc["u"] = node.size, node.disk_usage
    if node.folded:
        doc["x"], doc["f"] = node.folded, node.files
    elif node.is_dir:
        doc["f"] = node.files
        doc["c"] = [_node(child, kinds, before) for child in node.children]
        if before is not None:
            # Its totals and its own part in the snapshot compared with; none: new since.
            was = before(node.path)
            if was is not None:
                doc["g"] = was
    else:
        kind = kinds.get(kind_of(node.name, _stat.S_IFREG))
        if kind is not None:
            doc["k"] = kind
    if node.unreadable:
        doc["r"] = 1
    return doc


def page_data(
    result: ScanResult,
    *,
    boxes: int = DEFAULT_BOXES,
    host: str | None = None,
    source: str | None = None,
    history: dict | None = None,
) -> dict:
    """What the page shows, as JSON types (see docs/report.md for the fields).

    ``history`` (see :func:`render`) adds the PATH's totals over time and,
    with a snapshot to compare with, each directory's totals then."""
    if result.model is None:  # said for the report, not for the first view it reads
        raise ValueError("a report needs a scan made with views=True (or read from an export)")
    kinds = result.by_type()
    kind_index = {k.kind: i for i, k in enumerate(kinds) if k.kind != DIRECTORY_KIND}
    trees = result.tree_within(boxes)
    try:
        ages = [[a.label, a.count, a.size, a.disk_usage] for a in result.by_age()]
    except ValueError:
        ages = None  # an export without modification times
    owners = None
    if result.owners is not None:
        owners = [[o.kind, o.id, o.name, o.count, o.size, o.disk_usage] for o in result.by_owner()]
    return {
        "version": result.version,
        "paths": [display_path(p) for p in result.paths],
        "host": host,
        "source": None if source is None else display_path(source),
        "started_at": result.started_at,
        "elapsed_s": round(result.elapsed_s, 3),
        "sorted_by": result.measure.json_name,
        "boxes": boxes,
        "totals": {
            "size": result.total_size,
            "disk": result.disk_usage,
            "files": result.files,
            "dirs": result.dirs,
            "errors": len(result.errors),
        },
        # Every PATH under one node, so the first view shows them all.
        "tree": {
            "n": "",
            "s": result.total_size,
            "u": result.disk_usage,
            "f": result.files,
            "c": [_node(t, kind_index, _before(history)) for t in trees],
        },
        "history": None if history is None else _history_fields(history),
        "kinds": [[k.kind, k.count, k.size, k.disk_usage] for k in kinds],
        "ages": ages,
        "owners": owners,
        "files": [dict(_name_fields(f.path), s=f.size, u=f.disk_usage) for f in result.top_files],
        "errors": [
            dict(_name_fields(e.path), op=e.operation, m=e.message)
            for e in result.errors[:MAX_ERRORS]
        ],
    }


def _before(history):
    """``before(path)``: a directory's [size, disk, own size, own disk] in the
    snapshot compared with, or None (new since, or no snapshot)."""
    if history is None or history.get("before") is None:
        return None
    return history["before"].get


def _history_fields(history: dict) -> dict:
    since = history.get("since")
    return {
        "since": since,
        "places": [
            dict(_name_fields(path), st=status, ds=ds, du=du, s=s, u=u)
            for path, status, ds, du, s, u in history.get("places", ())
        ],
        "trend": history.get("trend", []),
    }


def _hash(text: str) -> str:
    sha256 = builtin("sha256")
    digest = sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def render(
    result: ScanResult,
    *,
    boxes: int = DEFAULT_BOXES,
    host: str | None = None,
    source: str | None = None,
    history: dict | None = None,
) -> str:
    """The report page for ``result`` (a scan or an import made with views).

    ``boxes`` bounds the treemap (see :meth:`ScanResult.tree_within`);
    ``host`` and ``source`` (the export it was read from) are shown in its
    header.  The largest files of each directory are those the scan kept
    (its ``top``): the rest of a directory is one "(N smaller)" box.
    ``history`` comes from the history database: ``trend``, the PATH's
    ``[taken_at, size, disk]`` in each snapshot; with a snapshot to compare
    with, ``since`` (its ``id`` and ``taken_at``), ``before`` ({directory
    path: [size, disk, own size, own disk]} in it) and ``places`` (where
    it changed: ``(path, status, size change, disk change, size, disk)``).
    The treemap is then coloured by each directory's own change.
    """
    data = json.dumps(
        page_data(result, boxes=boxes, host=host, source=source, history=history),
        ensure_ascii=False,
        separators=(",", ":"),
    ).translate(_ESCAPES)
    library, script, style = _asset("d3-hierarchy.min.js"), _asset("page.js"), _asset("page.css")
    policy = (
        f"default-src 'none'; script-src {_hash(library)} {_hash(script)}; "
        f"style-src {_hash(style)}; img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    page = _asset("page.html")
    # One pass over the template, so nothing put in is searched again.
    parts = {
        "{{policy}}": policy,
        "{{style}}": style,
        "{{data}}": data,
        "{{library}}": library,
        "{{script}}": script,
    }
    out, at = [], 0
    while True:
        start = page.find("{{", at)
        if start < 0:
            out.append(page[at:])
            return "".join(out)
        end = page.index("}}", start) + 2
        out += [page[at:start], parts[page[start:end]]]
        at = end


def write(
    result: ScanResult,
    target,
    *,
    boxes: int = DEFAULT_BOXES,
    host: str | None = None,
    source: str | None = None,
    history: dict | None = None,
) -> None:
    """Write the report to ``target`` (a path, written whole or not at all, or
    a binary file); raises :class:`ExportFailed` when it cannot be written."""
    out = target if isinstance(target, OutputFile) else OutputFile(target, "report")
    try:
        # Rendered inside: a Ctrl-C while it renders (a second or more for
        # a large tree) must leave no temporary file behind.
        assert out.out is not None  # open until committed or abandoned
        page = render(result, boxes=boxes, host=host, source=source, history=history)
        out.out.write(page.encode("utf-8"))
    except OSError as exc:
        out.abandon()
        raise ExportFailed(out.name, exc, "report") from None
    except BaseException:
        out.abandon()
        raise
    out.commit()
