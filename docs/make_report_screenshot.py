"""Write docs/report.png: the --html report of sample_tree, as a laptop shows it.

    python docs/make_report_screenshot.py

Needs Debian's chromium and playwright (both installed by .ci/run).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from playwright.sync_api import sync_playwright

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
from browser import launch, open_report  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.html")
        subprocess.run(
            [sys.executable, "-m", "sizescan", "sample_tree", "--by-owner", "-q", "--html", report],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1200, "height": 820})
            open_report(page, report)
            page.hover("#map .box.file >> nth=0")  # the info line, filled in
            page.screenshot(path=os.path.join(ROOT, "docs", "report.png"))
            browser.close()


if __name__ == "__main__":
    main()
