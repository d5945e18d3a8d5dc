"""--html: the report page, checked in a real browser (Debian's Chromium, driven
by Playwright) opened from file://, and its data checked against du."""

from __future__ import annotations

import base64
import json
import os
import re

import pytest
from browser import launch, open_report
from conftest import du, du_sum, require, run_cli, write

from sizescan import read_export, scan
from sizescan.files import html

# Names (no "/" in one); the issue's own example is a path: see SCRIPT_END.
HOSTILE = [
    "<svg onload=window.pwned=1>",
    "<script>window.pwned=2<",
    "<b>bold<",
    "line\u2028separator\u2029para",
    "\x1b[31mred\x1b[0m",
    "new\nline",
    "amp&amp;<!--",
]
BAD_UTF8 = b"bad\xff\xfename"
SCRIPT_END = "</script><img src=x onerror=window.pwned=1>"


@pytest.fixture(scope="module")
def browser():
    require("chromium", "the report is opened in a real browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("SIZESCAN_CI") == "1":
            pytest.fail("playwright is not installed (.ci/run installs it)")
        pytest.skip("playwright is not installed")
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


class Page:
    """A report opened from file://, with what it logged and asked for."""

    def __init__(self, browser, path, viewport=(1280, 900)):
        self.problems, self.requests = [], []
        self.page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        self.page.on(
            "console",
            lambda m: (
                m.type in ("error", "warning") and self.problems.append(f"{m.type}: {m.text}")
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = "file://" + os.path.abspath(path)
        open_report(self.page, path)

    def boxes(self, depth=1) -> list[dict]:
        return self.page.evaluate(
            """depth => [...document.querySelectorAll(`#map .box[data-depth="${depth}"]`)]
                 .map(b => ({size: +b.dataset.size, disk: +b.dataset.disk,
                             label: b.getAttribute('aria-label'), cls: b.className,
                             area: b.offsetWidth * b.offsetHeight}))""",
            depth,
        )

    def crumbs(self) -> list[str]:
        return self.page.eval_on_selector_all("#crumbs button", "bs => bs.map(b => b.textContent)")

    def click(self, name):
        """Click a box by its label, on the label: a directory's own band."""
        box = self.page.locator("#map .box", has_text=re.compile("^" + re.escape(name) + "$"))
        box.first.click(position={"x": 4, "y": 4})

    def clean(self):
        assert self.problems == []
        assert self.requests == [self.url]  # the page itself, nothing else

    def close(self):
        self.page.close()


def report_of(tmp_path, *args, name="report.html") -> str:
    out = str(tmp_path / name)
    proc = run_cli(*args, "--html", out, "--no-progress")
    assert proc.returncode in (0, 1), proc.stderr
    return out


def page_data(path) -> dict:
    text = open(path, encoding="utf-8").read()
    block = re.search(r'<script type="application/json" id="data">(.*?)</script>', text, re.S)
    return json.loads(block.group(1))


def nodes(node, path=""):
    """Every node below ``node`` with its path (names as the page shows them)."""
    for child in node.get("c", ()):
        here = child["n"] if not path else path.rstrip("/") + "/" + child["n"]
        yield here, child
        yield from nodes(child, here)


def test_report_opens_offline_and_its_top_boxes_add_up_to_du(browser, tmp_path, mixed_tree):
    out = report_of(tmp_path, mixed_tree)
    apparent, disk = du_sum([mixed_tree])
    page = Page(browser, out)
    try:
        page.clean()
        top = page.boxes(1)
        assert [b["label"].rsplit(", ", 1)[0] for b in top] == [mixed_tree]
        assert sum(b["size"] for b in top) == apparent
        assert sum(b["disk"] for b in top) == disk
        header = page.page.eval_on_selector_all(
            "#totals div",
            "ds => Object.fromEntries(ds.map(d => [d.children[0].textContent, "
            "d.children[1].textContent]))",
        )
        result = scan(mixed_tree)
        assert header["files"] == f"{result.files:,}" and header["dirs"] == f"{result.dirs:,}"
        assert header["errors"] == "0" and header["host"] == os.uname().nodename
        # A live scan's report counts by owner: here root owns everything.
        owners = page_data(out)["owners"]
        assert [(o[0], o[1], o[5]) for o in owners] == [("user", 0, disk), ("group", 0, disk)]
        assert page.page.title() == "sizescan: " + mixed_tree
    finally:
        page.close()


def test_every_directory_is_its_children_and_its_own_size(tmp_path, mixed_tree):
    """At every level, as du counts: each directory's total is what its boxes
    (entries and folds) hold plus its own size, and equals du's."""
    out = report_of(tmp_path, mixed_tree)
    data = page_data(out)
    sizes, disks = du(mixed_tree, "-ab"), du(mixed_tree, "-aB1")
    checked = 0
    for path, node in nodes(data["tree"]):
        if "c" not in node:
            continue
        assert node["s"] == sizes[path] and node["u"] == disks[path], path
        own = os.lstat(path)
        assert node["s"] - sum(c["s"] for c in node["c"]) == own.st_size, path
        assert node["u"] - sum(c["u"] for c in node["c"]) == own.st_blocks * 512, path
        checked += 1
    assert checked == sum(1 for p in sizes if os.path.isdir(p) and not os.path.islink(p))


@pytest.mark.parametrize("budget", [1, 2, 5, 40, 200])
def test_the_budget_bounds_the_boxes_and_folds_keep_the_sums(tmp_path, budget):
    root = str(tmp_path / "wide")
    for i in range(300):
        write(os.path.join(root, f"d{i % 7}", f"s{i % 13}", f"f{i}.dat"), size=(i * 7919) % 9000)
    result = scan(root, views=True)
    data = html.page_data(result, boxes=budget)
    everything = [
        (os.path.join(root, os.path.relpath(path, root)) if path != root else root, n)
        for path, n in nodes(data["tree"])
    ]
    assert len(everything) <= max(budget, 2)  # the PATH and its fold at the least
    for _, node in [("", data["tree"])] + everything:
        if "c" in node and node["c"]:
            assert sum(c["s"] for c in node["c"]) <= node["s"]
            assert sum(c["f"] if "f" in c else 1 for c in node["c"]) == node["f"]
    # Each directory's boxes stand for every entry in it, folds for several.
    for path, node in everything:
        if node.get("c"):  # (a directory past the budget is one box, its entries unseen)
            assert sum(c.get("x", 1) for c in node["c"]) == len(os.listdir(path)), path
    # The largest entries are the ones kept: nothing folded is larger than a kept sibling.
    for _, node in [("", data["tree"])] + everything:
        kids = node.get("c", [])
        kept = [c["u"] for c in kids if "x" not in c]
        for fold in (c for c in kids if "x" in c):
            if kept:
                assert fold["u"] <= fold["x"] * max(kept)


def test_click_zooms_in_and_the_breadcrumb_and_keys_go_back(browser, tmp_path, mixed_tree):
    out = report_of(tmp_path, mixed_tree)
    sizes = du(mixed_tree, "-ab")
    page = Page(browser, out)
    try:
        assert page.crumbs() == ["All"]
        page.click("d3")
        assert page.crumbs() == ["All", mixed_tree, "d3"]
        inside = page.boxes(1)
        own = os.lstat(os.path.join(mixed_tree, "d3")).st_size
        assert sum(b["size"] for b in inside) + own == sizes[os.path.join(mixed_tree, "d3")]
        info = page.page.text_content("#info")
        assert os.path.join(mixed_tree, "d3") in info
        page.page.keyboard.press("Backspace")
        assert page.crumbs() == ["All", mixed_tree]
        page.click("d3")
        page.page.keyboard.press("Escape")
        assert page.crumbs() == ["All", mixed_tree]
        page.page.click("#crumbs button >> nth=0")
        assert page.crumbs() == ["All"]
        # The keyboard alone: Tab to a box, Enter zooms into it.
        page.page.focus("#map .box[data-depth='1']")
        page.page.keyboard.press("Enter")
        assert page.crumbs() == ["All", mixed_tree]
        page.clean()
    finally:
        page.close()


def test_hostile_names_are_text_and_run_nothing(browser, tmp_path):
    root = str(tmp_path / "hostile")
    for i, name in enumerate(HOSTILE):
        write(os.path.join(root, name, "inside.txt"), size=1000 * (i + 1))
        write(os.path.join(root, "files", name), size=5000 * (i + 1))
    write(os.path.join(root, "files", SCRIPT_END), size=90000)
    bad = os.path.join(os.fsencode(root), BAD_UTF8)
    with open(bad, "wb") as f:
        f.write(b"x" * 70000)
    out = report_of(tmp_path, root)
    raw = open(out, "rb").read()
    assert b"<img" not in raw and b"<svg" not in raw and b"<b>" not in raw
    assert "\u2028".encode() not in raw
    assert raw.count(b"</script>") == 3  # the data, d3-hierarchy, the page's own
    page = Page(browser, out)
    try:
        page.clean()
        assert page.page.evaluate("window.pwned") is None
        assert (
            page.page.evaluate("document.querySelectorAll('img, #map b, #map script').length") == 0
        )
        labels = page.page.eval_on_selector_all(
            "#map .box", "bs => bs.map(b => b.getAttribute('aria-label').replace(/, [^,]*$/, ''))"
        )
        for name in HOSTILE:
            shown = (
                name.replace("\n", "\\n")
                .replace("\x1b", "\\x1b")
                .replace("\u2028", "\\u2028")
                .replace("\u2029", "\\u2029")
            )
            assert shown in labels, name
        assert "bad\\xff\\xfename" in labels
        # Its exact bytes are in the data, as --json's path_b64.
        data = page_data(out)
        entry = next(n for _, n in nodes(data["tree"]) if n["n"] == "bad\\xff\\xfename")
        assert base64.b64decode(entry["b"]) == BAD_UTF8
        page.page.hover("#map .box[aria-label^='bad\\\\xff']")
        assert entry["b"] in page.page.text_content("#info")
        # The largest files table shows names as text too.
        cells = page.page.eval_on_selector_all("#files td", "tds => tds.map(t => t.textContent)")
        assert os.path.join(root, "files", SCRIPT_END) in cells
        assert page.page.evaluate("window.pwned") is None
    finally:
        page.close()


def test_the_policy_forbids_remote_loads_and_allows_only_the_pages_scripts(tmp_path, mixed_tree):
    text = open(report_of(tmp_path, mixed_tree), encoding="utf-8").read()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text).group(1)
    rules = dict(rule.strip().split(" ", 1) for rule in policy.split(";"))
    assert rules["default-src"] == "'none'"
    assert all(src.startswith("'sha256-") for src in rules["script-src"].split())
    assert all(src.startswith("'sha256-") for src in rules["style-src"].split())
    assert "http" not in policy and "unsafe" not in policy


def test_the_switch_lays_out_by_apparent_size(browser, tmp_path):
    root = str(tmp_path / "sparse")
    os.makedirs(root)
    with open(os.path.join(root, "sparse.img"), "wb") as f:
        f.seek(30 * 1024 * 1024)  # 30 MiB apparent, a few KiB on disk
        f.write(b"end")
    write(os.path.join(root, "dense.bin"), size=2 * 1024 * 1024)
    page = Page(browser, report_of(tmp_path, root))
    try:
        page.page.click("#map .box[data-depth='1']", position={"x": 4, "y": 4})  # into the PATH
        by_disk = page.boxes(1)
        assert by_disk[0]["label"].startswith("dense.bin")
        page.page.check("#measure input[value='s']")
        by_size = page.boxes(1)
        assert by_size[0]["label"].startswith("sparse.img")
        assert by_size[0]["area"] > 10 * by_size[1]["area"]
        # The panels follow the switch: sizes and order by apparent size.
        kinds = page.page.eval_on_selector_all("#kinds tr", "rs => rs.map(r => r.textContent)")
        assert "apparent" in kinds[0] and kinds[1].startswith(".img")
        page.page.check("#measure input[value='u']")
        kinds = page.page.eval_on_selector_all("#kinds tr", "rs => rs.map(r => r.textContent)")
        assert "disk" in kinds[0] and kinds[1].startswith(".bin")
        page.clean()
    finally:
        page.close()


def test_report_from_an_import_and_with_owners(browser, tmp_path):
    from test_owners import find_owners, make_owned_tree

    root = make_owned_tree(tmp_path)
    export = str(tmp_path / "scan.json")
    assert run_cli(root, "-o", export, "--extended", "-q").returncode == 0
    out = report_of(tmp_path, "-f", export)
    data = page_data(out)
    assert data["source"] == export and data["host"] is None
    assert (data["totals"]["size"], data["totals"]["disk"]) == du_sum([root])
    expected = find_owners([root])
    assert {(kind, ident): [n, s, u] for kind, ident, _, n, s, u in data["owners"]} == {
        key: value for key, value in expected.items()
    }
    page = Page(browser, out)
    try:
        page.clean()
        rows = page.page.eval_on_selector_all("#owners tr", "rs => rs.map(r => r.textContent)")
        assert len(rows) == 1 + len(expected)
        assert "read from" in page.page.text_content("#totals")
    finally:
        page.close()


def test_a_phone_screen_and_a_screenshot(browser, tmp_path):
    """The page fits a phone's width; a screenshot is written for a person."""
    sample = os.path.join(os.path.dirname(__file__), "..", "sample_tree")
    out = report_of(tmp_path, sample, "--by-owner")
    page = Page(browser, out, viewport=(390, 844))
    try:
        page.clean()
        assert page.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot = tmp_path / "phone.png"
        page.page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        page.close()


def test_report_errors_are_one_line_and_an_old_report_survives(tmp_path, mixed_tree):
    proc = run_cli(mixed_tree, "--html", str(tmp_path / "no" / "such" / "dir" / "r.html"))
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith("sizescan: cannot write the report to ")
    assert proc.stderr.decode().count("\n") == 1 and proc.stdout == b""
    proc = run_cli(mixed_tree, "--html", "-")
    assert proc.returncode == 2 and b"--html needs a file name" in proc.stderr
    old = tmp_path / "old.html"
    old.write_text("the last good report")
    proc = run_cli(str(tmp_path / "missing"), "--html", str(old))
    assert proc.returncode == 1
    assert old.read_text() == "the last good report"
    assert sorted(os.listdir(tmp_path)) == ["mixed", "old.html"]  # no .part left behind


def test_report_of_a_library_result_and_several_paths(tmp_path, mixed_tree):
    other = str(tmp_path / "other")
    write(os.path.join(other, "x.bin"), size=12345)
    result = scan([mixed_tree, other], views=True)
    target = tmp_path / "lib.html"
    html.write(result, str(target), host="example")
    data = page_data(target)
    assert [c["n"] for c in data["tree"]["c"]] == [mixed_tree, other]
    assert sum(c["s"] for c in data["tree"]["c"]) == result.total_size
    assert data["host"] == "example"
    with pytest.raises(ValueError, match="a report needs a scan made with views=True"):
        html.write(scan(mixed_tree), str(tmp_path / "no-views.html"))
    assert not (tmp_path / "no-views.html").exists()
    # An export without modification times (not --extended): no ages, said so.
    export = str(tmp_path / "plain.json")
    assert run_cli(mixed_tree, "-o", export, "-q").returncode == 0
    assert html.page_data(read_export(export))["ages"] is None


def test_a_budget_large_enough_keeps_the_whole_tree(mixed_tree):
    """With room for everything, the budgeted tree is the full tree (same order)."""
    for apparent in (False, True):
        result = scan(mixed_tree, views=True, apparent=apparent, top=100)
        assert result.tree_within(10**6) == result.tree(max_depth=50, width=10**6)
        small = result.tree_within(12)
        assert small != result.tree_within(10**6)
        assert (small[0].size, small[0].disk_usage) == (result.total_size, result.disk_usage)


def test_as_nobody_an_unreadable_directory_is_marked_and_listed(browser, public_tmp):
    root = os.path.join(public_tmp, "tree")
    write(os.path.join(root, "open", "a.bin"), size=5000)
    write(os.path.join(root, "locked", "inside", "b.bin"), size=9000)
    os.chmod(os.path.join(root, "locked"), 0o000)
    out_dir = os.path.join(public_tmp, "out")
    os.mkdir(out_dir)
    os.chown(out_dir, 65534, 65534)
    out = os.path.join(out_dir, "report.html")
    proc = run_cli(root, "--html", out, "--no-progress", user="nobody")
    assert proc.returncode == 1, proc.stderr
    os.chmod(os.path.join(root, "locked"), 0o755)
    data = page_data(out)
    assert [e["n"] for e in data["errors"]] == [os.path.join(root, "locked")]
    assert data["errors"][0]["op"] == "read"
    top = data["tree"]["c"][0]
    assert top.get("r") == 1
    assert next(c for c in top["c"] if c["n"] == "locked").get("r") == 1
    assert "r" not in next(c for c in top["c"] if c["n"] == "open")
    page = Page(browser, out)
    try:
        page.clean()
        page.page.hover("#map .box[aria-label^='locked']")
        assert "could not be read" in page.page.text_content("#info")
        assert "cannot read directory" in page.page.text_content("#errors")
    finally:
        page.close()


def test_since_colours_by_growth_and_lists_where_and_over_time(browser, tmp_path):
    root = str(tmp_path / "t")
    write(f"{root}/logs/app/a.log", size=100_000)
    write(f"{root}/media/m.mkv", size=400_000)
    write(f"{root}/src/x.py", size=4_000)
    db = str(tmp_path / "h.db")
    env = {"SIZESCAN_DB": db}
    for _ in range(2):
        assert run_cli(root, "--save", "-q", env=env).returncode == 0
    write(f"{root}/logs/app/a.log", size=900_000)
    write(f"{root}/media/m.mkv", size=100_000)
    write(f"{root}/new/n.bin", size=50_000)
    out = str(tmp_path / "r.html")
    proc = run_cli(root, "--html", out, "--since", "-1", "-q", env=env)
    assert proc.returncode == 0, proc.stderr
    data = page_data(out)
    assert data["history"]["since"]["id"] == 2
    assert [p["n"] for p in data["history"]["places"]][:3] == ["logs/app", "media", "new"]
    assert len(data["history"]["trend"]) == 2
    by_name = dict(nodes(data["tree"]["c"][0]))
    assert "g" in by_name["logs/app"] and "g" not in by_name["new"]  # new since
    page = Page(browser, out)
    try:
        colours = page.page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('#map .box.file')]
                 .map(b => [b.textContent, getComputedStyle(b).backgroundColor]))"""
        )
        red, blue = colours["a.log"], colours["m.mkv"]
        r, g, b = (int(v) for v in red[4:-1].split(","))
        assert r > b  # grew: red
        r, g, b = (int(v) for v in blue[4:-1].split(","))
        assert b > r  # shrank: blue
        assert colours["x.py"] == "rgb(217, 220, 223)"  # unchanged
        rows = page.page.eval_on_selector_all("#places tr", "rs => rs.map(r => r.textContent)")
        assert "logs/app" in rows[1] and "grew" in rows[1]
        over = page.page.eval_on_selector_all("#over-time tr", "rs => rs.length")
        assert over == 4  # header, two snapshots, this scan
        page.page.check("#colouring input[value=type]")  # back to colours by type
        assert (
            page.page.evaluate(
                "getComputedStyle([...document.querySelectorAll('#map .box.file')]"
                ".find(b => b.textContent === 'x.py')).backgroundColor"
            )
            != "rgb(217, 220, 223)"
        )
        page.clean()
    finally:
        page.close()
    # Without --since a PATH with history still shows its total over time.
    proc = run_cli(root, "--html", out, "-q", env=env)
    assert proc.returncode == 0 and page_data(out)["history"]["since"] is None
    assert len(page_data(out)["history"]["trend"]) == 2
    proc = run_cli(root, "--since", "-1", env=env)
    assert proc.returncode == 2 and b"--html" in proc.stderr
    proc = run_cli(root, "--html", out, "--since", "-9", "-q", env=env)
    assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1
