"""Faults: killed workers, a killed collector, signals, a killed caller.

Scans run on a FUSE mount that answers after 2 ms (see conftest.slow_tree),
so they last long enough to be hit by real signals at a known moment.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner
from conftest import alive, descendants, du_sum, open_terminal, read_terminal

from sizescan import EngineFailure, scan
from sizescan.command.cli import main
from sizescan.engine.collector import collector_lost

pytestmark = [pytest.mark.slow]


def _pool_workers():
    return [p for p in multiprocessing.active_children() if "PoolWorker" in p.name]


def _kill_later(delays, pick):
    """SIGKILL one process chosen by ``pick()`` after each delay; returns the pids hit."""
    hit = []

    def run():
        for delay in delays:
            time.sleep(delay)
            victims = pick()
            if victims:
                os.kill(victims[0].pid, signal.SIGKILL)
                hit.append(victims[0].pid)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return hit, thread


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_killed_workers_work_is_redone_exactly_once(slow_tree, monkeypatch, method):
    mnt, src = slow_tree
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
    hit, thread = _kill_later([0.4, 0.3], _pool_workers)
    result = scan(mnt, workers=4, io_depth=1, start_method=method)
    thread.join()
    assert len(hit) == 2
    assert (result.total_size, result.disk_usage) == du_sum([src])
    assert result.files == 1600 and result.errors == []
    assert multiprocessing.active_children() == []


def test_killed_collector_fails_the_scan_quickly(slow_tree, monkeypatch):
    mnt, _ = slow_tree
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")

    def collector():
        return [p for p in multiprocessing.active_children() if p.name == "sizescan-collector"]

    hit, thread = _kill_later([0.5], collector)
    started = time.monotonic()
    with pytest.raises(EngineFailure, match="collector"):
        scan(mnt, workers=4, io_depth=1)
    assert time.monotonic() - started < 5.5
    thread.join()
    assert hit
    assert multiprocessing.active_children() == []


def test_engine_failure_is_exit_2_without_traceback(tmp_path, monkeypatch):
    def unpicklable(self, task, records, subdirs, chunks):
        subdirs.append(lambda: None)  # the task's result cannot be sent back

    (tmp_path / "t" / "a").mkdir(parents=True)
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
    monkeypatch.setattr(
        "sizescan.engine.pipeline.Scanner._scan_directory", unpicklable
    )  # inherited under fork
    res = CliRunner().invoke(
        main, [str(tmp_path / "t"), "--workers", "2", "--start-method", "fork"]
    )
    assert res.exit_code == 2
    assert res.output.startswith("sizescan: a worker failed: ")
    assert "Traceback" not in res.output


def _start_cli(mnt, *extra, **kw):
    env = dict(os.environ, SIZESCAN_INLINE_BUDGET_S="0")
    return subprocess.Popen(
        [sys.executable, "-m", "sizescan", mnt, "--workers", "4", "--io-depth", "1", *extra],
        stdout=subprocess.PIPE,
        env=env,
        **kw,
    )


def _wait_for_workers(proc, count):
    deadline = time.monotonic() + 10
    while len(descendants(proc.pid)) < count:
        assert time.monotonic() < deadline, "the pool never started"
        time.sleep(0.05)
    return descendants(proc.pid)


@pytest.mark.parametrize("signum,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_exits_fast_and_leaves_nothing(slow_tree, signum, status):
    mnt, _ = slow_tree
    master, slave = open_terminal()
    proc = _start_cli(mnt, stderr=slave)
    os.close(slave)
    children = _wait_for_workers(proc, 5)  # 4 workers and the collector
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signum)
    proc.wait(timeout=10)
    assert time.monotonic() - sent < 1.0
    assert proc.returncode == status
    assert proc.stdout.read() == b""
    drawn = read_terminal(master)
    assert b" files, " in drawn and drawn.endswith(b"\r")  # the bar was drawn, then cleared
    assert b"Traceback" not in drawn
    assert [pid for pid in children if alive(pid)] == []


def test_library_keyboard_interrupt_after_processes_are_gone(slow_tree, monkeypatch):
    mnt, _ = slow_tree
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        scan(mnt, workers=4, io_depth=1)
    assert multiprocessing.active_children() == []


def test_workers_exit_when_the_caller_is_killed(slow_tree):
    mnt, _ = slow_tree
    proc = _start_cli(mnt, "--json")
    children = _wait_for_workers(proc, 5)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in children):
        assert time.monotonic() < deadline, "workers scanned on as orphans"
        time.sleep(0.1)


def test_slow_mount_scan_equals_du(slow_tree):
    mnt, src = slow_tree
    proc = _start_cli(mnt, "--json", stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=120)
    doc = json.loads(out)
    assert proc.returncode == 0, err
    assert (doc["total_size"], doc["disk_usage"]) == du_sum([src])


def test_a_directory_that_kills_every_reader_ends_the_scan_with_exit_2(tmp_path, monkeypatch):
    import sizescan.engine.pipeline as worker

    real = worker.Scanner._scan_directory

    def deadly(self, task, records, subdirs, chunks):
        if task.path.endswith("/poison"):
            os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer would, every time
        return real(self, task, records, subdirs, chunks)

    for d in ("a", "b", "poison"):
        (tmp_path / "t" / d).mkdir(parents=True)
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
    monkeypatch.setenv("SIZESCAN_DESCEND_S", "0")
    monkeypatch.setattr(worker.Scanner, "_scan_directory", deadly)  # inherited under fork
    started = time.monotonic()
    res = CliRunner().invoke(
        main, [str(tmp_path / "t"), "--workers", "2", "--start-method", "fork"]
    )
    assert time.monotonic() - started < 5
    assert res.exit_code == 2
    assert res.output == "sizescan: workers died 3 times on the same directories; giving up\n"
    assert multiprocessing.active_children() == []


def _send_and_exit(conn):
    conn.send("result")
    conn.close()


def _exit_without_sending(conn):
    conn.close()


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_collector_that_finished_is_not_taken_for_dead(method):
    # The collector sends the result and exits at once, often before the
    # walker looks at the pipe again: gone, with its result waiting.
    ctx = multiprocessing.get_context(method)

    def run(target, keep_writer=False):
        conn, child = ctx.Pipe()
        proc = ctx.Process(target=target, args=(child,))
        proc.start()
        if not keep_writer:
            child.close()
        proc.join(30)
        assert proc.exitcode == 0
        return proc, conn, child

    proc, conn, _ = run(_send_and_exit)
    assert not collector_lost(proc, conn) and conn.recv() == "result"
    # Gone without a result: the end of the pipe says so (recv raises) ...
    proc, conn, _ = run(_exit_without_sending)
    assert not collector_lost(proc, conn)
    with pytest.raises(EOFError):
        conn.recv()
    # ... or, with its end of the pipe still open somewhere, nothing does.
    proc, conn, writer = run(_exit_without_sending, keep_writer=True)
    assert collector_lost(proc, conn)
    writer.close()


def _children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += map(int, f.read().split())
    except OSError:
        pass
    return out


@pytest.mark.parametrize("fraction", [0.0, 0.4, 0.8, 0.95])
def test_collector_killed_at_any_moment_is_exit_2_naming_it(slow_tree, fraction):
    # The OOM killer's favourite: it holds every total.  Once it printed
    # nothing and exited 0 (the broken pipe taken for a reader gone away).
    mnt, src = slow_tree
    started = time.monotonic()
    normal = _start_cli(mnt, "--json", stderr=subprocess.PIPE)
    normal.communicate(timeout=120)
    duration = time.monotonic() - started

    proc = _start_cli(mnt, "--json", stderr=subprocess.PIPE)
    started = time.monotonic()
    deadline = started + 10
    while True:  # the collector is started first, before the pool's workers
        kids = _children(proc.pid)
        if kids:
            collector = min(kids)
            break
        assert time.monotonic() < deadline, "the collector never started"
        time.sleep(0.005)
    time.sleep(max(0.0, fraction * duration - (time.monotonic() - started)))
    try:
        os.kill(collector, signal.SIGKILL)
    except ProcessLookupError:
        pass  # this run was quicker than the first: it has finished

    out, err = proc.communicate(timeout=60)
    if proc.returncode == 0:  # it had finished: then the answer is complete and right
        doc = json.loads(out)
        assert (doc["total_size"], doc["disk_usage"]) == du_sum([src])
    else:
        assert proc.returncode == 2
        assert err.decode() == "sizescan: the collector process died (killed by SIGKILL)\n"
        assert out == b""
    assert [pid for pid in descendants(proc.pid) if alive(pid)] == []


def test_collector_killed_as_the_walk_ends_is_named(tmp_path, monkeypatch):
    # The window 0.1 fell into: the walker's word ("these messages are due")
    # hits a broken pipe, which escaped as BrokenPipeError and became exit 0.
    from sizescan import CollectorDied
    from sizescan.engine.collector import CollectorProcess

    real = CollectorProcess.result

    def kill_first(self, *args):
        os.kill(self._proc.pid, signal.SIGKILL)
        self._proc.join(10)
        return real(self, *args)

    for i in range(20):
        (tmp_path / "t" / f"d{i}").mkdir(parents=True)
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
    monkeypatch.setattr(CollectorProcess, "result", kill_first)
    with pytest.raises(CollectorDied, match=r"^the collector process died \(killed by SIGKILL\)$"):
        scan(str(tmp_path / "t"), workers=2)
    assert multiprocessing.active_children() == []
    res = CliRunner().invoke(main, [str(tmp_path / "t"), "--workers", "2"])
    assert (res.exit_code, res.output) == (
        2,
        "sizescan: the collector process died (killed by SIGKILL)\n",
    )


@pytest.mark.slow
def test_interrupted_scans_leave_no_worker_behind(tmp_path, monkeypatch):
    # Many interrupts at random moments, the pool's start included.  Two
    # ways left workers behind: Python ran our handler inside Pool() (the
    # timer's thread took the signal; the mask is the main thread's), and
    # the half-made pool kept starting workers (most runs here); and Pool
    # replaced a worker we had just killed, after the walker last looked,
    # with a terminate() stuck on a lock the killed one held (seen in CI; 2
    # interrupts in 60 here).
    import random

    for d in range(100):
        (tmp_path / "t" / f"d{d}").mkdir(parents=True)
        for f in range(200):
            (tmp_path / "t" / f"d{d}" / f"f{f}").touch()
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
    # A scan may end before its timer fires: the interrupt then does nothing.
    armed = []

    def interrupt(signum, frame):
        if armed:
            armed.clear()
            raise KeyboardInterrupt

    started = time.monotonic()
    scan(str(tmp_path / "t"), workers=4)
    lasts = time.monotonic() - started
    previous = signal.signal(signal.SIGINT, interrupt)
    rng = random.Random(1)
    interrupted = 0
    try:
        for _ in range(30):
            timer = threading.Timer(
                rng.uniform(0.05, 0.8) * lasts, os.kill, (os.getpid(), signal.SIGINT)
            )
            armed.append(True)
            timer.start()
            try:
                scan(str(tmp_path / "t"), workers=4)
                armed.clear()
            except KeyboardInterrupt:
                interrupted += 1
            timer.join()
            assert multiprocessing.active_children() == []
    finally:
        signal.signal(signal.SIGINT, previous)
    assert interrupted >= 10


def test_a_pool_being_stopped_sends_no_more_messages():
    # Its tasks are done again by the next pool, and a message it started
    # could be cut by Pool's SIGTERM, holding the queue's lock for good.
    from sizescan.engine.records import Message
    from sizescan.engine.worker import _PoolSink

    ctx = multiprocessing.get_context("fork")
    sink_queue, stopping = ctx.Queue(), ctx.RawValue("b", 0)
    sink = _PoolSink(sink_queue, stopping)
    sink(Message(1, [b"a"]))
    assert pickle.loads(sink_queue.get(timeout=10)) == Message(1, [b"a"])  # pickled by the sink
    stopping.value = 1
    sink(Message(2, [b"b"]))
    time.sleep(0.2)
    assert sink_queue.empty()
    sink_queue.close()
    sink_queue.join_thread()
