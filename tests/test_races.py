"""A tree that changes while it is scanned: no crash, the still part exact."""

from __future__ import annotations

import os
import shutil
import threading

from conftest import du, write

from sizescan import scan
from sizescan.engine.collect import MOVED
from sizescan.engine.pipeline import Replaced

REPLACED = Replaced().strerror


def _churn(root, stop):
    """Create, rename and delete files and directories under ``root`` until ``stop``."""
    i = 0
    while not stop.is_set():
        d = os.path.join(root, f"c{i % 7}")
        try:
            os.makedirs(os.path.join(d, "inner"), exist_ok=True)
            for j in range(5):
                with open(os.path.join(d, "inner", f"f{j}"), "wb") as f:
                    f.write(b"c" * (j * 100))
            os.rename(os.path.join(d, "inner"), os.path.join(d, f"moved{i}"))
            if i % 3 == 0:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass  # the other half of the churn got there first
        i += 1


def test_churning_tree(tmp_path, force_pool):
    root = tmp_path / "t"
    for d in range(150):
        write(str(root / "still" / f"d{d}" / "f"), size=d * 10)
    (root / "churn").mkdir()
    still = str(root / "still")
    expected_apparent = du("-b", still)
    expected_disk = du("-B1", still)
    stop = threading.Event()
    writers = [threading.Thread(target=_churn, args=(str(root / "churn"), stop)) for _ in range(2)]
    for w in writers:
        w.start()
    try:
        for workers in (1, 2, 4):
            result = scan(str(root), workers=workers, top=100_000)
            dirs = {d.path: d for d in result.top_dirs}
            for path, size in expected_apparent.items():
                assert (dirs[path].size, dirs[path].disk_usage) == (size, expected_disk[path])
            for problem in result.errors:
                assert problem.path.startswith(str(root / "churn"))
                assert problem.message in ("No such file or directory", REPLACED, MOVED)
    finally:
        stop.set()
        for w in writers:
            w.join()
