"""The progress line: a tqdm bar on stderr fed from the scan's sampled counts.

``progress_bar`` gives the command one object to hand the scan and close
afterwards, a silent one when nothing is to be drawn, so no caller
branches on silence.
"""

from __future__ import annotations

import os
import sys

from .people import SizeFormat


class ProgressBar:
    """A tqdm line on stderr fed from sampled counters; cleared when done."""

    def __init__(self, size: SizeFormat):
        from tqdm import tqdm  # only paid for when a terminal will show it

        self._size = size
        try:
            # A terminal may report 0 columns (a new pty, some CI runners):
            # tqdm then draws nothing, so it gets a width of its own.
            sized = os.get_terminal_size(sys.stderr.fileno()).columns > 0
        except OSError:
            sized = False
        self._bar = tqdm(
            file=sys.stderr,
            unit=" files",
            unit_scale=True,  # the rate: "12.3k files/s"
            leave=False,
            dynamic_ncols=sized,
            ncols=None if sized else 80,
            # The counts are ours (tqdm's own would read "0.00 files" and put a
            # comma before a postfix).
            bar_format="{desc} [{elapsed}, {rate_fmt}]",
            desc=self._line(0, 0, 0),
        )

    def _line(self, files, disk, dirs):
        return f"{files:,} files, {self._size(disk)}, {dirs:,} dirs"

    def __call__(self, p):
        self._bar.set_description_str(self._line(p.files, p.disk_usage, p.dirs), refresh=False)
        self._bar.update(p.files - self._bar.n)

    def close(self):
        self._bar.close()


class Silent:
    """No progress line (--json, -q, --no-progress, or no terminal)."""

    def __call__(self, p):
        pass

    def close(self):
        pass


def progress_bar(size: SizeFormat, wanted: bool):
    """A bar when ``wanted`` and stderr is a terminal, else a Silent one."""
    if wanted and sys.stderr is not None and sys.stderr.isatty():
        return ProgressBar(size)
    return Silent()
