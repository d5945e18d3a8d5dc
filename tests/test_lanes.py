"""Many requests in flight: a worker's threads (lanes) on slow mounts.

Exact totals through a FUSE mount whatever the threads, the processes, the
start method and the chunking; Ctrl-C while threads sit in a slow stat;
a killed worker with threads; the per-filesystem defaults."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import alive, descendants, du_sum, slowfs_mount, write

from sizescan import scan
from sizescan.engine.collect import Collector
from sizescan.engine.fs import (
    FAST_REQUEST_S,
    SLOW_IO_DEPTH,
    THREAD_COST_S,
    cpu_count,
    default_io_depth,
    default_workers,
    is_rotational,
    request_latency,
)
from sizescan.engine.pipeline import Scanner, WorkerConfig
from sizescan.engine.records import DirTask
from sizescan.files.ncdu_read import read_export
from sizescan.model.options import ScanOptions

pytestmark = [pytest.mark.slow]


def _tree(root):
    """Small directories, a large one (pieces), a hard link, a symlink."""
    for d in range(30):
        for f in range(6):
            write(f"{root}/d{d % 5}/s{d}/f{f}.txt", size=(d * 313 + f * 71) % 9000)
    for i in range(300):
        write(f"{root}/big/e{i:03d}", size=i * 7)
    os.link(f"{root}/big/e299", f"{root}/d0/s0/again")
    os.symlink("../big", f"{root}/d1/to-big")
    return root


@pytest.fixture(scope="module")
def lane_mount(tmp_path_factory):
    base = tmp_path_factory.mktemp("lanes")
    src = _tree(str(base / "src"))
    mnt = base / "mnt"
    mnt.mkdir()
    with slowfs_mount(src, mnt, delay_ms=1) as mounted:
        yield mounted, src


@pytest.mark.parametrize(
    "workers,io_depth,method",
    [
        (1, 32, None),  # one process: the caller's threads
        (2, 8, "fork"),
        (2, 8, "forkserver"),
        (2, 8, "spawn"),
    ],
)
def test_threads_give_du_totals_through_a_slow_mount(
    lane_mount, monkeypatch, workers, io_depth, method
):
    mnt, src = lane_mount
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
    result = scan(mnt, workers=workers, io_depth=io_depth, start_method=method, views=True)
    # du through the same mount: FUSE numbers inodes itself, so the hard
    # link is two files there (for du too).
    assert (result.total_size, result.disk_usage) == du_sum([mnt])
    assert (result.files, result.dirs, result.errors) == (30 * 6 + 300 + 2, 1 + 5 + 30 + 1, [])
    assert (result.workers, result.io_depth) == (workers, io_depth)
    assert sum(k.size for k in result.by_type()) == result.total_size


@pytest.mark.parametrize("split_at", ["4", "24", "100"])
def test_threads_read_large_directories_in_pieces_exactly(
    lane_mount, monkeypatch, tmp_path, split_at
):
    # The walker's chunks (split_at names) and the threads' pieces (at most
    # 8 names) number their records alike: nothing twice, nothing lost,
    # with the caller's phase, the pool, and an export.
    mnt, src = lane_mount
    monkeypatch.setenv("SIZESCAN_SPLIT_AT", split_at)
    for budget in ("0", "0.05"):
        monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", budget)
        out = tmp_path / f"e{split_at}-{budget}.json"
        result = scan(mnt, workers=2, io_depth=5, export=str(out))
        assert (result.total_size, result.disk_usage, result.files) == (*du_sum([mnt]), 482)
        again = read_export(str(out))
        assert (again.total_size, again.disk_usage, again.files) == (*du_sum([mnt]), 482)


def test_pieces_delivered_twice_are_counted_once(tmp_path):
    # A worker killed after sending: its task is done again, cut into the
    # same pieces, and the collector takes each once.  Here a task stopped
    # at once hands back the pieces it had not read (merged into chunks of
    # up to split_at names); each chunk and the whole task come twice.
    root = str(tmp_path / "t")
    for i in range(100):
        write(f"{root}/f{i:03d}", size=i)
    options = ScanOptions(split_at=24)
    config = WorkerConfig(options, roots=[root], io_depth=4)
    assert config.piece == 8
    st = os.lstat(root)
    task = DirTask(root, 0, 0, st.st_size, st.st_blocks * 512, st.st_dev, st.st_ino, None)
    messages = []
    scanner = Scanner(config, messages.append)
    first = scanner.run([task], stop_at=time.monotonic())
    assert [len(c.names) for c in first.chunks] == [24, 24, 24, 20]
    for chunk in first.chunks:
        scanner.run((), [chunk])
        scanner.run((), [chunk])
    scanner.run([task])
    scanner.release()
    collector = Collector([root], options)
    for message in messages:
        collector.take(message)
    result = collector.result()
    assert (result.total_size, result.disk_usage, result.files) == (*du_sum([root]), 100)


@pytest.fixture
def stuck_mount(tmp_path):
    """A mount whose every request takes 1.5 s: threads sit in a stat."""
    src = tmp_path / "src"
    for d in range(40):
        write(str(src / f"d{d}" / "f"), size=d)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with slowfs_mount(src, mnt, delay_ms=1500) as mounted:
        yield mounted


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_with_threads_in_a_slow_stat_exits_within_a_second(stuck_mount, workers):
    env = dict(os.environ, SIZESCAN_INLINE_BUDGET_S="0")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sizescan",
            "--no-progress",
            stuck_mount,
            "--workers",
            workers,
            "--io-depth",
            "16",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    time.sleep(4.0)  # the root read; its subdirectories' stats under way
    children = descendants(proc.pid)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert time.monotonic() - sent < 1.0
    assert (proc.returncode, out, err) == (130, b"", b"")
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in children):
        assert time.monotonic() < deadline, "left running"
        time.sleep(0.05)


def test_a_killed_worker_with_threads_is_redone_exactly(tmp_path, monkeypatch):
    src = tmp_path / "src"
    for d in range(60):
        for f in range(10):
            write(str(src / f"d{d % 6}" / f"s{d}" / f"f{f}"), size=(d * 97 + f) % 7000)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
    hit = []

    def kill_one():
        time.sleep(0.6)
        workers = [p for p in multiprocessing.active_children() if "PoolWorker" in p.name]
        if workers:
            os.kill(workers[0].pid, signal.SIGKILL)
            hit.append(workers[0].pid)

    with slowfs_mount(src, mnt, delay_ms=30) as mounted:
        killer = threading.Thread(target=kill_one)
        killer.start()
        result = scan(mounted, workers=2, io_depth=4)
        killer.join()
    assert hit
    assert (result.total_size, result.disk_usage) == du_sum([str(src)])
    assert (result.files, result.errors) == (600, [])


def test_defaults_follow_the_filesystem(lane_mount, tmp_path):
    mnt, src = lane_mount
    assert default_io_depth(mnt) == SLOW_IO_DEPTH and default_io_depth(src) == 1
    assert default_workers(mnt) == max(1, min(16, cpu_count() // 4))
    # A request of 1 ms is a round trip to overlap; one of 10 us (a mount
    # answering from its cache) is CPU work: processes, no threads.
    # At least half a listing's time, which slowfs always delays (1 ms):
    # cached names (a scan just before) answer in microseconds.
    latency = request_latency(mnt)
    assert FAST_REQUEST_S < 0.0005 <= latency < 0.5
    assert request_latency(src) < FAST_REQUEST_S
    assert default_io_depth(mnt, latency=latency) == round(min(64, latency / THREAD_COST_S))
    assert default_io_depth(mnt, latency=0.005) == SLOW_IO_DEPTH
    assert default_io_depth(mnt, latency=1e-5) == 1
    assert default_workers(mnt, latency=1e-5) == max(1, min(16, 2 * cpu_count()))
    # In between (sshfs without caches, 0.37 ms): a process per CPU, and
    # threads enough to cover a request's wait.
    assert default_io_depth(mnt, latency=0.37e-3) == round(0.37e-3 / THREAD_COST_S)
    assert default_workers(mnt, latency=0.37e-3) == max(1, min(16, cpu_count()))
    proc = subprocess.run(
        [sys.executable, "-m", "sizescan", "--json", "--workers", "1", mnt],
        capture_output=True,
        check=True,
    )
    doc = json.loads(proc.stdout)
    assert doc["workers"] == 1 and doc["io_depth"] > 8  # about 1 ms a request
    doc = json.loads(
        subprocess.run(
            [sys.executable, "-m", "sizescan", "--json", src], capture_output=True, check=True
        ).stdout
    )
    assert doc["io_depth"] == 1


def _fake_sysfs(root, path, rotational, partition):
    """A /sys with the device of ``path`` (a disk, or a partition of one)."""
    dev = os.stat(path).st_dev
    disk = os.path.join(root, "devices", "disk")
    node = os.path.join(disk, "part1") if partition else disk
    os.makedirs(node, exist_ok=True)
    os.makedirs(os.path.join(disk, "queue"), exist_ok=True)
    with open(os.path.join(disk, "queue", "rotational"), "w") as f:
        f.write("1\n" if rotational else "0\n")
    os.makedirs(os.path.join(root, "dev", "block"), exist_ok=True)
    os.symlink(node, os.path.join(root, "dev", "block", f"{os.major(dev)}:{os.minor(dev)}"))


@pytest.mark.parametrize("partition", [False, True])
def test_a_spinning_disk_gets_few_workers(tmp_path, partition):
    tree = tmp_path / "tree"
    tree.mkdir()
    spinning, solid = str(tmp_path / "spin"), str(tmp_path / "ssd")
    _fake_sysfs(spinning, str(tree), True, partition)
    _fake_sysfs(solid, str(tree), False, partition)
    assert is_rotational(str(tree), spinning) and not is_rotational(str(tree), solid)
    assert not is_rotational(str(tree), str(tmp_path / "no-sys"))
    assert default_workers(str(tree), sys_root=spinning) == max(1, min(2, cpu_count()))
    assert default_workers(str(tree), sys_root=solid) == max(1, min(16, cpu_count()))
    assert default_io_depth(str(tree)) == 1


def test_library_ctrl_c_leaves_no_thread_behind(tmp_path, monkeypatch):
    # From the library the caller's process goes on: the threads that sat
    # in a stat end once the piece they read is done (at most 8 requests),
    # instead of waiting forever for the task's end.
    src = tmp_path / "src"
    for d in range(40):
        write(str(src / f"d{d}" / "f"), size=d)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
    with slowfs_mount(src, mnt, delay_ms=300) as mounted:
        timer = threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT))
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            scan(mounted, workers=1, io_depth=8)
        self_check = time.monotonic() + 8 * 0.3 * 2 + 2
        while any(t.name == "sizescan-lane" for t in threading.enumerate()):
            assert time.monotonic() < self_check, "a thread was left behind"
            time.sleep(0.1)
    deadline = time.monotonic() + 6
    while any(t.name == "sizescan-lane" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "a thread was left behind"
        time.sleep(0.1)


def test_requests_in_flight_follow_a_slow_mount_inside_a_local_path(tmp_path):
    """NFS home directories under a local /home: the walk enters a slow
    filesystem below a local PATH, and plans its requests in flight for it
    (it planned for the local PATH alone: one at a time)."""
    local = tmp_path / "home"
    write(str(local / "local-file"), 100)
    src = tmp_path / "src"
    for d in range(20):
        write(str(src / f"d{d}" / "f"), 1000 + d)
    inside = local / "alice"
    inside.mkdir()
    with slowfs_mount(src, inside, delay_ms=2.0):
        proc = subprocess.run(
            [sys.executable, "-m", "sizescan", "--json", str(local)],
            capture_output=True,
            check=True,
        )
        doc = json.loads(proc.stdout)
        assert doc["io_depth"] > 8, doc["io_depth"]
        assert (doc["total_size"], doc["disk_usage"]) == du_sum([local])
    doc = json.loads(
        subprocess.run(
            [sys.executable, "-m", "sizescan", "--json", str(local)],
            capture_output=True,
            check=True,
        ).stdout
    )
    assert doc["io_depth"] == 1  # the same local tree without the mount
