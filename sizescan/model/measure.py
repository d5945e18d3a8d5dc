"""Which of a file's two sizes a scan sorts and shows by.

Inside sizescan the two are always called ``apparent`` (``st_size``, what
``du -b`` adds up) and ``disk`` (``st_blocks * 512``, what ``du -B1`` adds
up: st_blocks counts 512-byte units whatever the filesystem's block size,
see stat(2)).  Both are in bytes.  The public names of the result and the
JSON (``size``, ``disk_usage``) are given here and nowhere else.
"""

from __future__ import annotations

import enum


def disk_usage(st) -> int:
    """An entry's disk usage in bytes: what ``du -B1`` adds up (st_blocks
    counts 512-byte units, whatever the filesystem's block size)."""
    return st.st_blocks * 512


class Measure(enum.Enum):
    """Disk usage (the default, as du) or apparent size (``--apparent-size``)."""

    DISK = "disk"
    APPARENT = "apparent"

    @classmethod
    def of(cls, apparent: bool) -> Measure:
        """The measure of a scan asked for ``apparent`` sizes or not."""
        return cls.APPARENT if apparent else cls.DISK

    @property
    def is_apparent(self) -> bool:
        return self is Measure.APPARENT

    def pick(self, apparent: int, disk: int) -> int:
        """The size this measure sorts by."""
        return apparent if self is Measure.APPARENT else disk

    def key(self, apparent: int, disk: int) -> tuple:
        """(the size sorted by, the other one): ties on the first go to the second."""
        return (apparent, disk) if self is Measure.APPARENT else (disk, apparent)

    def of_item(self, item) -> int:
        """The size sorted by, of anything with public ``size`` and ``disk_usage``."""
        return item.size if self is Measure.APPARENT else item.disk_usage

    @property
    def label(self) -> str:
        """For people: "disk usage" or "apparent size"."""
        return "apparent size" if self is Measure.APPARENT else "disk usage"

    @property
    def json_name(self) -> str:
        """The JSON field holding this size (``sorted_by``)."""
        return "size" if self is Measure.APPARENT else "disk_usage"
