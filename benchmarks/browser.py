"""Debian's Chromium driven by Playwright: one way to start it and to open a
report, for tests/test_report.py, bench.py --report and the docs' screenshot.

Playwright's own browser download is not available here, so it drives
/usr/bin/chromium (``apt-get install chromium``; .ci/run installs it).
"""

from __future__ import annotations

import os

CHROMIUM = "/usr/bin/chromium"
# As root, without a sandbox; no background traffic (this machine has no
# network, and the tests assert that the page itself asks for nothing).
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What the report's script sets once its first treemap is on screen.
PAINTED = "document.body.dataset.painted === '1'"


def launch(playwright):
    """A headless Chromium (close it when done)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def open_report(page, path, timeout_ms=15000) -> None:
    """Load the report at ``path`` from file:// and wait for its first treemap."""
    page.goto("file://" + os.path.abspath(path))
    page.wait_for_function(PAINTED, timeout=timeout_ms)
