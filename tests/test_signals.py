"""Ctrl-C and SIGTERM at any instant of a run: start-up, imports, pool start,
collector start, the scan, the output.  Always 130 / 143 (or the normal
status if it had finished), no traceback, at most one line, nothing left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import alive, descendants, write

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def busy_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("signals") / "t"
    for d in range(600):
        for f in range(3):
            write(str(root / f"d{d % 20}" / f"s{d}" / f"f{f}"), size=(d * 37 + f) % 5000)
    return str(root)


def _instants(duration, count=10):
    # Spread over a whole run, from the moment Python has started: before
    # that (about 30 ms here, the interpreter importing its site module) no
    # code of ours can run, and Ctrl-C gets Python's own "Fatal Python
    # error" (docs/faults.md says so).
    start = 0.06
    return [round(start + (duration - start) * i / (count - 1), 3) for i in range(count)]


@pytest.mark.parametrize("signum,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_at_any_instant(busy_tree, signum, status):
    env = dict(os.environ, SIZESCAN_INLINE_BUDGET_S="0", SIZESCAN_DESCEND_S="0")
    command = [sys.executable, "-m", "sizescan", "--no-progress", "--workers", "4", busy_tree]
    started = time.monotonic()
    subprocess.run(command, capture_output=True, env=env, check=True)
    duration = time.monotonic() - started
    outcomes = []
    for delay in _instants(duration):
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
        )
        time.sleep(delay)
        children = descendants(proc.pid)
        try:
            os.killpg(proc.pid, signum)  # as a terminal sends it: to the whole group
        except ProcessLookupError:
            pass
        out, err = proc.communicate(timeout=30)
        children += descendants(proc.pid)
        text = err.decode(errors="replace")
        assert "Traceback" not in text and text.count("\n") <= 1, (delay, text)
        assert "unexpected error" not in text, (delay, text)  # e.g. a descriptor closed twice
        # -signum: killed by it while the interpreter was exiting (its own
        # handlers gone): a shell reports that as 128 + signum too.
        assert proc.returncode in (status, -signum, 0), (delay, proc.returncode, text)
        if proc.returncode == 0:
            assert out.startswith(busy_tree.encode())  # finished first: a whole report
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in children):
            assert time.monotonic() < deadline, f"left running after a signal at {delay} s"
            time.sleep(0.05)
        outcomes.append(proc.returncode)
    assert outcomes.count(status) >= len(outcomes) // 2  # most runs really were interrupted


_SIGNAL_IN_A_FINALIZER = """
import os, signal, sys, time, weakref
from sizescan._launch import call

class Thing:
    pass

def finalizer(_ref):
    os.kill(os.getpid(), signal.{name})
    for _ in range(10000):  # the handler runs here, inside the callback
        pass

def body():
    thing = Thing()
    ref = weakref.ref(thing, finalizer)
    del thing
    time.sleep(20)  # only a signal that got through ends this early
    return 0

sys.exit(call(body))
"""


@pytest.mark.parametrize("signum,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_inside_a_finalizer_still_ends_the_run(signum, status):
    # Python cannot raise from a weakref callback or __del__: it prints the
    # exception and goes on.  Seen once in 600 Ctrl-Cs of a real scan; here
    # the signal is sent from inside a callback, every time.
    code = _SIGNAL_IN_A_FINALIZER.replace("{name}", signum.name)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30)
    assert proc.returncode == status, proc.stderr
    assert proc.stderr == b""
    assert time.monotonic() - started < 10


@pytest.mark.slow
@pytest.mark.parametrize(
    "signum", [signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGINT, signal.SIGTERM]
)
def test_every_stop_signal_with_outputs_leaves_nothing(busy_tree, tmp_path, signum):
    """A terminal closed (SIGHUP), Ctrl-\\ (SIGQUIT), SIGUSR1, as Ctrl-C: at
    random instants of a run that writes an export and a report, exit 128+N
    (or 0 when it had finished), no traceback from any process, no process
    left, nothing left in $TMPDIR or beside the outputs."""
    import random

    temp, out = tmp_path / "tmp", tmp_path / "out"
    temp.mkdir()
    out.mkdir()
    env = dict(os.environ, SIZESCAN_INLINE_BUDGET_S="0", TMPDIR=str(temp))
    command = [
        sys.executable,
        "-m",
        "sizescan",
        "--no-progress",
        "--workers",
        "2",
        busy_tree,
        "-o",
        str(out / "t.json"),
        "--html",
        str(out / "t.html"),
        "--by-type",
    ]
    started = time.monotonic()
    subprocess.run(command, capture_output=True, env=env, check=True)
    duration = time.monotonic() - started
    rng = random.Random(signum)
    statuses = []
    for _ in range(40):
        for name in os.listdir(out):
            os.unlink(out / name)
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
        )
        time.sleep(rng.uniform(0.06, duration))
        children = descendants(proc.pid)
        try:
            os.killpg(proc.pid, signum)
        except ProcessLookupError:
            pass
        _, err = proc.communicate(timeout=30)
        text = err.decode(errors="replace")
        assert "Traceback" not in text and text.count("\n") <= 1, text
        assert "unexpected error" not in text, text  # e.g. a descriptor closed twice
        assert proc.returncode in (128 + signum, -signum, 0), (proc.returncode, text)
        statuses.append(proc.returncode)
        left = sorted(os.listdir(out))
        # The export is written, then the report: each whole or not at all.
        assert left in ([], ["t.json"], ["t.html", "t.json"]), left
        if proc.returncode == 0:
            assert left == ["t.html", "t.json"]
        assert os.listdir(temp) == []
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in children + descendants(proc.pid)):
            assert time.monotonic() < deadline, "a process was left running"
            time.sleep(0.05)
    assert statuses.count(128 + signum) >= len(statuses) // 3, statuses


def test_sigpipe_sent_by_kill_is_ignored(busy_tree):
    """SIGPIPE is not a stop signal (see _launch.STOP_SIGNALS): a pipe whose
    reader is gone fails the write that meets it, which says what it means."""
    env = dict(os.environ, SIZESCAN_INLINE_BUDGET_S="0", SIZESCAN_DESCEND_S="0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sizescan", "--no-progress", "--workers", "2", busy_tree],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    time.sleep(0.4)
    try:
        os.killpg(proc.pid, signal.SIGPIPE)
    except ProcessLookupError:
        pass
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (0, b"")
    assert out.startswith(busy_tree.encode())


def test_the_cli_and_the_children_agree_on_the_stop_signals():
    # _launch keeps its own copy: it installs the handlers before any import of ours.
    from sizescan import _launch, signals

    assert set(_launch.STOP_SIGNALS) == set(signals.STOP_SIGNALS)
