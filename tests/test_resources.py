"""Starved resources: few descriptors, little memory, a daemonic caller, absurd
worker counts.  The scan degrades (fewer workers, in-process) or stops with
one line and exit 2: never a traceback, never a hang."""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import subprocess
import sys

import pytest

from conftest import du_sum, write
from sizescan import InvalidOption, scan


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("res") / "t"
    for d in range(300):
        write(str(root / f"d{d % 10}" / f"s{d}" / "f"), size=d * 7)
    return str(root)


def _run_limited(tree, limit, value, *args):
    def limit_it():
        resource.setrlimit(limit, (value, value))

    env = dict(os.environ, SIZESCAN_INLINE_BUDGET_S="0")  # a pool is asked for at once
    return subprocess.run([sys.executable, "-m", "sizescan", tree, "--json", *args],
                          capture_output=True, text=True, env=env, preexec_fn=limit_it,
                          timeout=60)


@pytest.mark.parametrize("descriptors", [12, 16, 19, 22, 26, 40])
def test_few_descriptors_scan_in_process_or_with_fewer_workers(tree, descriptors):
    proc = _run_limited(tree, resource.RLIMIT_NOFILE, descriptors, "--workers", "4")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert (doc["total_size"], doc["disk_usage"]) == du_sum([tree])
    assert 1 <= doc["workers"] <= 4


@pytest.mark.parametrize("megabytes", [30, 40, 50, 55, 60, 80])
def test_little_memory_degrades_or_fails_in_one_line(tree, megabytes):
    proc = _run_limited(tree, resource.RLIMIT_AS, megabytes << 20, "--workers", "4")
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    if proc.returncode == 0:
        doc = json.loads(proc.stdout)
        assert (doc["total_size"], doc["disk_usage"]) == du_sum([tree])
    else:
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr


@pytest.mark.parametrize("workers", ["99999999999999999999999", "9999999999", "513", "0"])
def test_absurd_worker_counts_are_usage_errors(tree, workers):
    proc = subprocess.run([sys.executable, "-m", "sizescan", tree, "--workers", workers],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "--workers" in proc.stderr
    with pytest.raises(InvalidOption, match="from 1 to 512"):
        scan(tree, workers=int(workers))


def _scan_in_a_pool_worker(path):
    os.environ["SIZESCAN_INLINE_BUDGET_S"] = "0"
    result = scan(path, workers=4)
    return result.total_size, result.disk_usage, result.workers


def test_called_in_a_daemonic_process_scans_in_process(tree):
    # A multiprocessing.Pool worker (or a Celery task) may not have children.
    with multiprocessing.get_context("fork").Pool(1) as pool:
        total, disk, workers = pool.apply(_scan_in_a_pool_worker, (tree,))
    assert (total, disk) == du_sum([tree])
    assert workers == 1
