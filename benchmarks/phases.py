"""Where one command's time goes: a timeline of its phases, and its CPU.

    python benchmarks/phases.py /usr
    python benchmarks/phases.py TREE --tree --by-type --by-age

Runs ``sizescan ARGS`` in this process, with the walker's phases wrapped:
the imports, the plan, the walk in the caller (the in-process phase), the
collector's and the pool's start, the walk with the pool, the wait for the
collector's result, the pool's stop.  Prints when each began and ended
(ms since this script started, the interpreter's own start not included:
``python -c pass`` tells that) with the caller's CPU so far, the CPU of
each of the caller's threads before the pool stops, and at the end the
CPU of every process the scan started (workers and collector).  The
command's own output goes to /dev/null.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time

T0 = time.perf_counter()
MARKS: list = []


def mark(what: str) -> None:
    cpu = os.times()
    MARKS.append((time.perf_counter() - T0, what, cpu.user, cpu.system))


from sizescan.command import cli  # noqa: E402  (the import is a phase)

mark("imported")

from sizescan.engine import collector, pool, walker  # noqa: E402


def _wrap(owner, name, label):
    inner = getattr(owner, name)

    def wrapped(*args, **kwargs):
        mark(f"{label} begins")
        try:
            return inner(*args, **kwargs)
        finally:
            mark(f"{label} ends")

    setattr(owner, name, wrapped)


def _threads_before_stop():
    """Each of the caller's threads' CPU, read before the pool stops (its
    threads end with it)."""
    inner = pool.PoolBackend.terminate

    def terminate(self, *args, **kwargs):
        names = {t.native_id: t.name for t in threading.enumerate()}
        for tid in sorted(os.listdir("/proc/self/task"), key=int):
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks = os.sysconf("SC_CLK_TCK")
            print(
                f"  thread {names.get(int(tid), tid)}: "
                f"user {int(fields[11]) / ticks:.2f} s, system {int(fields[12]) / ticks:.2f} s",
                file=sys.stderr,
            )
        return inner(self, *args, **kwargs)

    pool.PoolBackend.terminate = terminate


for owner, name, label in (
    (walker, "plan_scan", "plan"),
    (walker, "_walk", "walk"),
    (walker, "_scan_with_pool", "with the pool"),
    (collector.CollectorProcess, "start", "collector start"),
    (collector.CollectorProcess, "result", "collector's result"),
    (pool.PoolBackend, "start", "pool start"),
    (pool.PoolBackend, "terminate", "pool stop"),
):
    _wrap(owner, name, label)
_threads_before_stop()


@atexit.register
def _report():
    mark("exit")
    for at, what, user, system in MARKS:
        print(
            f"{at * 1000:8.1f} ms  {what:<28} caller CPU {user:.2f} u {system:.2f} s",
            file=sys.stderr,
        )
    cpu = os.times()
    print(
        f"processes the scan started: user {cpu.children_user:.2f} s, "
        f"system {cpu.children_system:.2f} s",
        file=sys.stderr,
    )


sys.argv = ["sizescan", *sys.argv[1:], "--no-progress"]
sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
cli.main()
