"""Starved resources: few descriptors, little memory, a daemonic caller, absurd
worker counts.  The scan degrades (fewer workers, in-process) or stops with
one line and exit 2: never a traceback, never a hang."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import du_sum, write

from sizescan import InvalidOption, ResultsLost, scan
from sizescan._launch import call
from sizescan.engine.sink import SinkQueue
from sizescan.hashes import builtin

pytestmark = [pytest.mark.slow]


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
    return subprocess.run(
        [sys.executable, "-m", "sizescan", tree, "--json", *args],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=limit_it,
        timeout=60,
    )


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
    proc = subprocess.run(
        [sys.executable, "-m", "sizescan", tree, "--workers", workers],
        capture_output=True,
        text=True,
        timeout=60,
    )
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


def _in_group(pgid: int) -> list:
    """Live processes of process group ``pgid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                found.append(int(entry))
    return found


@pytest.mark.slow
def test_every_address_space_limit_ends_in_a_result_or_one_line(tmp_path):
    """ulimit -v from 30 to 120 MB, 5 runs each, plain, with threads and with
    an export and a report: the scan finishes (du's totals) or says it ran
    out of memory in one line, exit 2; never a traceback, never a hang
    (30 s), never a process left behind."""
    root = tmp_path / "t"
    for d in range(1500):
        for f in range(20):
            write(str(root / f"d{d % 50}" / f"s{d}" / f"f{f}"), size=(d * 131 + f) % 3000)
    expected = du_sum([root])
    out = tmp_path / "out"
    out.mkdir()
    variants = [
        [],
        ["--io-depth", "16"],
        ["-o", str(out / "t.json"), "--html", str(out / "t.html")],
    ]
    seen = set()
    for megabytes in range(30, 121, 10):
        limit = megabytes << 20

        def limited(limit=limit):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        for extra in variants:
            for _ in range(5):
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "sizescan",
                        str(root),
                        "--json",
                        "--no-progress",
                        *extra,
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    preexec_fn=limited,
                    start_new_session=True,
                )
                try:
                    stdout, stderr = proc.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.communicate()
                    pytest.fail(f"hung at {megabytes} MB with {extra}")
                where = (megabytes, extra, proc.returncode, stderr[-3000:])
                if proc.returncode == 0:
                    doc = json.loads(stdout)
                    assert (doc["total_size"], doc["disk_usage"]) == expected, where
                    assert stderr == b"", where
                else:
                    assert proc.returncode == 2, where
                    assert stderr.count(b"\n") == 1 and b"Traceback" not in stderr, where
                seen.add(proc.returncode)
                deadline = time.monotonic() + 5
                while _in_group(proc.pid):
                    assert time.monotonic() < deadline, f"processes left at {megabytes} MB"
                    time.sleep(0.05)
    assert seen == {0, 2}  # the range spans both outcomes


def test_a_command_stuck_holding_the_gil_under_ulimit_v_is_ended(tmp_path):
    """The watchdog (see _launch.WATCHDOG_S): under an address-space limit
    the command runs in a child whose beats a thread sends; a child stuck
    holding the GIL (as CPython 3.11 can, looping in its own exception
    handling when memory is gone; here a regex that backtracks for ever)
    is ended, with one line and exit 2, its workers with it."""
    script = textwrap.dedent("""
        import re, resource, sys
        from sizescan import _launch
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        _launch._run = lambda argv: re.match(r"(a*)*b", "a" * 64)  # holds the GIL
        _launch.main([])
    """)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        timeout=60,
        env=dict(os.environ, SIZESCAN_WATCHDOG_S="2"),
    )
    assert time.monotonic() - started < 15
    assert (proc.returncode, proc.stderr) == (2, b"sizescan: out of memory\n")


@pytest.mark.parametrize("crash", [signal.SIGSEGV, signal.SIGABRT])
def test_python_crashing_under_ulimit_v_ends_in_one_line(crash):
    """CPython does not check every allocation: under an address-space
    limit one that fails can crash it, with nothing on stderr (seen in CI at
    60 MB).  The watching process says it in one line, exit 2."""
    script = textwrap.dedent(f"""
        import os, resource
        from sizescan import _launch
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        _launch._run = lambda argv: os.kill(os.getpid(), {int(crash)})
        _launch.main([])
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert (proc.returncode, proc.stderr) == (
        2,
        b"sizescan: out of memory (Python crashed under ulimit -v)\n",
    )


def test_the_watchdog_passes_the_status_and_signals_on(tmp_path):
    """Watched (ulimit -v), the command's status is the child's, and a
    signal sent to the watching process alone reaches the command."""
    write(str(tmp_path / "t" / "f"), 10)

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    ok = subprocess.run(
        [sys.executable, "-m", "sizescan", str(tmp_path / "t"), "--json"],
        capture_output=True,
        preexec_fn=limited,
        timeout=60,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["total_size"] == du_sum([tmp_path / "t"])[0]
    missing = subprocess.run(
        [sys.executable, "-m", "sizescan", str(tmp_path / "nothing")],
        capture_output=True,
        preexec_fn=limited,
        timeout=60,
    )
    assert missing.returncode == 1 and missing.stderr.count(b"\n") == 1
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from sizescan import _launch;"
            " _launch._run = lambda argv: time.sleep(30); _launch.main([])",
        ],
        stderr=subprocess.PIPE,
        preexec_fn=limited,
    )
    time.sleep(1.5)
    os.kill(proc.pid, signal.SIGTERM)  # the watcher, not the group
    _, err = proc.communicate(timeout=20)
    assert (proc.returncode, err) == (143, b"")


class _Unpicklable:
    def __init__(self, error):
        self.error = error

    def __reduce__(self):
        raise self.error


@pytest.mark.parametrize("error, raised", [(MemoryError, MemoryError), (ValueError, ResultsLost)])
def test_a_message_its_feeder_could_not_write_fails_the_scan_in_one_line(capfd, error, raised):
    """A Queue's feeder thread prints a traceback and drops a message it
    could not pickle (MemoryError under ulimit -v): the worker never knows,
    and the walker would wait for that message.  The sink queue marks the
    loss where the walker looks, and prints nothing."""
    ctx = multiprocessing.get_context("fork")
    sink = SinkQueue(ctx)
    sink.check()  # nothing lost yet

    def put():
        sink.put(_Unpicklable(error("in the feeder")))
        sink.close()
        sink.join_thread()

    worker = ctx.Process(target=put)
    worker.start()
    worker.join(10)
    assert worker.exitcode == 0
    with pytest.raises(raised):
        sink.check()
    assert capfd.readouterr().err == ""


def test_an_import_that_finds_no_memory_ends_in_one_line(capfd):
    """importlib lists a directory of modules before it imports from it:
    under ulimit -v that listing fails with ENOMEM, an OSError."""

    def body():
        try:
            os.listdir("/nonexistent")
        except OSError:
            raise OSError(errno.ENOMEM, os.strerror(errno.ENOMEM), "/usr/lib/python3") from None

    assert call(body) == 2
    assert capfd.readouterr().err == "sizescan: out of memory\n"


@pytest.mark.parametrize("name", ["sha256", "blake2b"])
def test_the_hashes_without_hashlib_are_hashlibs(name):
    import hashlib

    ours = builtin(name)
    assert ours(b"sizescan").digest() == getattr(hashlib, name)(b"sizescan").digest()
    assert "hashlib" not in ours.__module__


def test_running_out_of_memory_while_saying_so_still_ends_in_one_line(capfd, monkeypatch):
    """Under ulimit -v the handling of a MemoryError can itself run out
    (each Python call needs memory for its frame; seen at 31 MB, with click's
    chain of tracebacks on stderr): the last guard says it without a call."""
    from sizescan import _launch

    def no_room():
        raise MemoryError()

    def body():
        raise MemoryError()

    monkeypatch.setattr(_launch, "_out_of_memory", no_room)
    assert call(body) == 2
    assert capfd.readouterr().err == "sizescan: out of memory\n"
