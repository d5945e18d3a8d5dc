"""sizescan against du, a single-process walk, ncdu and gdu, in one run.

    python benchmarks/bench.py                 # 1M files, warm cache; then /usr, a
                                               # copy of a source tree, a deep tree
    python benchmarks/bench.py --fuse          # plus a bindfs mount of 100k files
    python benchmarks/bench.py --slowfs        # plus a FUSE mount with 1 ms round trips
    python benchmarks/bench.py --wide 1000000  # plus one directory of 1M entries on bindfs
    python benchmarks/bench.py --files 100000  # a quicker look
    python benchmarks/bench.py --skip-local --dask --dask-files 1000000
                                               # Dask: 1, 2, 4 workers on slowfs; overhead

The tree is built once (seeded: the same tree every time) under
benchmarks/.data/ and reused.  Every tool runs ``--repeat`` times after one
warm-up, the tools taking turns (round-robin); the report gives medians
and ratios to ``du -sb``, and the peak memory (PSS) of all sizescan
processes together (sampled from /proc).
Machines are noisy: read ratios from one run, not times across runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, ".data")


def build_wide(root: str, entries: int) -> None:
    """One directory holding ``entries`` small files."""
    marker = root + ".complete"
    if os.path.exists(marker):
        return
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    for i in range(entries):
        with open(os.path.join(root, f"entry-{i:07d}"), "wb") as f:
            f.write(b"w" * (i % 5000))
    with open(marker, "w"):
        pass


def build_tree(root: str, files: int, seed: int = 1) -> None:
    """``files`` files in about files/30 directories, Pareto-distributed sizes."""
    marker = os.path.join(root, ".complete")
    if os.path.exists(marker):
        return
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(seed)
    dirs = [root]
    os.makedirs(root)
    ndirs = max(1, files // 30)
    for i in range(1, ndirs):
        # Attach each new directory to a random earlier one: a tree that is
        # bushy near the top and a few levels deep, like real projects.
        parent = dirs[int(len(dirs) * rng.random() ** 2)]
        path = os.path.join(parent, f"d{i}")
        os.mkdir(path)
        dirs.append(path)
    chunk = b"\0" * (1 << 20)
    for i in range(files):
        size = min(int(rng.paretovariate(1.2) * 300) - 300, 1 << 20)
        with open(os.path.join(rng.choice(dirs), f"f{i}.dat"), "wb") as f:
            if size:
                f.write(chunk[:size])
    with open(marker, "w"):
        pass


def build_deep(root: str, files: int, seed: int = 3) -> None:
    """A second shape: ``files`` files in about files/12 directories up to 12
    levels deep, 24 kinds of file, 40% of them empty (lock files, markers,
    __init__.py), the rest of log-normal sizes."""
    marker = os.path.join(root, ".complete")
    if os.path.exists(marker):
        return
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(seed)
    kinds = ".py .pyc .js .ts .json .md .txt .c .h .o .so .png .jpg .svg .html .css .go .rs .java .class .log .gz .lock".split()
    kinds.append("")  # no extension (Makefile, LICENSE)
    dirs = [(root, 0)]
    os.makedirs(root)
    for i in range(1, max(1, files // 12)):
        # Deeper than build_tree's: a new directory most often goes below a recent one.
        parent, depth = dirs[-1 - int(len(dirs) * rng.random() ** 4)]
        if depth >= 12:
            parent, depth = dirs[int(len(dirs) * rng.random())]
            if depth >= 12:
                parent, depth = root, 0
        path = os.path.join(parent, f"p{i}")
        os.mkdir(path)
        dirs.append((path, depth + 1))
    chunk = b"x" * (1 << 20)
    for i in range(files):
        kind = rng.choice(kinds)
        size = 0 if rng.random() < 0.4 else min(int(rng.lognormvariate(7, 2)), 1 << 20)
        with open(os.path.join(rng.choice(dirs)[0], f"e{i}{kind}"), "wb") as f:
            if size:
                f.write(chunk[:size])
    with open(marker, "w"):
        pass


def source_copy(name: str, source: str) -> str:
    """A copy of ``source`` (a source tree of this machine) under .data, made once."""
    dest = os.path.join(DATA, name)
    marker = dest + ".complete"
    if not os.path.exists(marker):
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(source, dest, symlinks=True)
        with open(marker, "w"):
            pass
    return dest


class PeakMemory:
    """Peak memory of a process and all its descendants, sampled every 10 ms.

    Summed as PSS (proportional set size): a page shared by forked workers
    counts once in all, where summing RSS would count it once per worker.
    """

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self, pid):
        out = [pid]
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    for child in f.read().split():
                        out += self._tree(int(child))
        except OSError:
            pass
        return out

    def _run(self):
        while not self._stop.is_set():
            total = 0
            for pid in self._tree(self.pid):
                try:
                    with open(f"/proc/{pid}/smaps_rollup") as f:
                        for line in f:
                            if line.startswith("Pss:"):
                                total += int(line.split()[1]) * 1024
                except OSError:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.01)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


# The tools run as installed: an installed package has its bytecode compiled
# (pip does it), and a session's PYTHONDONTWRITEBYTECODE=1 would have every
# run compile sizescan's modules again (about 60 ms of each start).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_package(py):
    """Compile the sizescan that ``py -m sizescan`` runs, as an install would."""
    where = subprocess.run(
        [py, "-c", "import os, sizescan; print(os.path.dirname(sizescan.__file__))"],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    ).stdout.strip()
    subprocess.run([py, "-m", "compileall", "-q", where], check=True, env=ENV)


def run(cmd, measure_memory=False):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    rss = PeakMemory(proc.pid) if measure_memory else None
    proc.wait()
    elapsed = time.perf_counter() - start
    peak = rss.stop() if rss else 0
    return elapsed, peak, proc.returncode


def bench(label_cmds, repeat, pause=0.0):
    """Median wall time of each command, and the peak memory of sizescan's.

    Memory is sampled in one extra run of its own: the sampler polls /proc
    and would otherwise take CPU from the command it measures.  ``pause``
    seconds pass before each timed run: on a FUSE mount, 2 s lets the
    kernel's name and attribute caches (1 s) expire, so every run starts cold.
    """
    label_cmds = [(label, cmd) for label, cmd in label_cmds if shutil.which(cmd[0]) is not None]
    for label, cmd in label_cmds:
        _, _, status = run(cmd)  # warm-up: the page and dentry caches are hot for everyone
        if status != 0:
            sys.exit(f"{label}: {' '.join(cmd)} exited with status {status}")
    # Round-robin, one run of each tool after the other: a noisy neighbour
    # (or a daemon's cache expiring) then hits every tool alike, where runs
    # in blocks gave one tool the quiet minute and another the busy one.
    times = {label: [] for label, _ in label_cmds}
    for _ in range(repeat):
        for label, cmd in label_cmds:
            time.sleep(pause)
            times[label].append(run(cmd)[0])
    rows = []
    for label, cmd in label_cmds:
        peak = run(cmd, measure_memory=True)[1] if label.startswith("sizescan") else 0
        rows.append((label, statistics.median(times[label]), peak, times[label]))
    return rows


@contextlib.contextmanager
def bindfs_mount(source):
    """``source`` mounted through bindfs (a FUSE passthrough) for the duration."""
    mnt = tempfile.mkdtemp(prefix="sizescan-bindfs-")
    subprocess.run(["bindfs", "--no-allow-other", source, mnt], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["fusermount", "-u", mnt], check=False)
        os.rmdir(mnt)


def report(title, rows, reference="du -sb"):
    """One table: medians, ratios to ``reference``, peak memory, and how far
    the fastest and slowest runs lie from the median."""
    ref = {label: t for label, t, *_ in rows}.get(reference)
    column = "x du" if reference == "du -sb" else "x ref"
    print(f"\n## {title}" + ("" if reference == "du -sb" else f" (ref: {reference})"))
    print(f"{'tool':<36} {'median s':>9} {column:>6} {'peak PSS':>10} {'runs vs median':>16}")
    for label, t, peak, times in rows:
        ratio = f"{t / ref:.2f}" if ref else "-"
        rss = f"{peak / 2**20:.0f} MiB" if peak else ""
        spread = f"{min(times) / t - 1:+.0%} {max(times) / t - 1:+.0%}"
        print(f"{label:<36} {t:>9.2f} {ratio:>6} {rss:>10} {spread:>16}")


def _local(args, py):
    """The local tree: plain scans, views and exports, reading an export."""
    tree = os.path.join(DATA, f"tree-{args.files}")
    t0 = time.perf_counter()
    build_tree(tree, args.files)
    print(
        f"tree: {tree} ({args.files:,} files, built/checked in {time.perf_counter() - t0:.0f} s); "
        f"{os.cpu_count()} CPUs"
    )
    cmds = [
        ("du -sb", ["du", "-sb", tree]),
        ("sizescan (default workers)", [py, "-m", "sizescan", tree, "--json", "--no-progress"]),
        ("sizescan --workers 1", [py, "-m", "sizescan", tree, "--json", "--workers", "1"]),
        ("single-process scandir walk", [py, os.path.join(HERE, "scandir_walk.py"), tree]),
        ("ncdu -0 -o /dev/null", ["ncdu", "-0", "-o", "/dev/null", tree]),
        ("gdu -n -p -s", ["gdu", "-n", "-p", "-s", tree]),
    ]
    report(f"warm cache, {args.files:,} files", bench(cmds, args.repeat))

    # Views and exports: what they cost over a plain scan, and the export's
    # memory (the bound: 400 MiB for all processes at 1M files).
    export = os.path.join(DATA, f"export-{args.files}.json")
    ncdu_export = os.path.join(DATA, f"export-{args.files}-ncdu.json")
    gdu_export = os.path.join(DATA, f"export-{args.files}-gdu.json")
    report(
        f"views and exports, {args.files:,} files",
        bench(
            [
                ("du -sb", ["du", "-sb", tree]),
                ("sizescan (plain)", [py, "-m", "sizescan", tree, "--no-progress"]),
                (
                    "sizescan --tree --by-type --by-age",
                    [
                        py,
                        "-m",
                        "sizescan",
                        tree,
                        "--no-progress",
                        "--tree",
                        "--by-type",
                        "--by-age",
                    ],
                ),
                (
                    "sizescan --by-owner",
                    [py, "-m", "sizescan", tree, "--no-progress", "--by-owner"],
                ),
                ("sizescan -o FILE (export)", [py, "-m", "sizescan", tree, "-q", "-o", export]),
                ("ncdu -0 -o FILE (export)", ["ncdu", "-0", "-o", ncdu_export, tree]),
                ("gdu -n -p -o FILE (export)", ["gdu", "-n", "-p", "-o", gdu_export, tree]),
            ],
            args.repeat,
        ),
    )
    print(
        f"export sizes: sizescan {os.path.getsize(export) / 2**20:.0f} MiB, "
        f"ncdu {os.path.getsize(ncdu_export) / 2**20:.0f} MiB"
    )
    report(
        f"reading a {args.files:,}-file export (sizescan's)",
        bench(
            [
                ("sizescan -f FILE", [py, "-m", "sizescan", "-f", export]),
                (
                    "sizescan -f FILE --tree --by-type",
                    [py, "-m", "sizescan", "-f", export, "--tree", "--by-type"],
                ),
                ("ncdu -f FILE -o /dev/null", ["ncdu", "-f", export, "-o", "/dev/null"]),
                ("gdu -n -p -s -f FILE", ["gdu", "-n", "-p", "-s", "-f", export]),
            ],
            args.repeat,
        ),
        reference="ncdu -f FILE -o /dev/null",
    )

    small = os.path.join(HERE, "..", "sample_tree")
    report(
        "sample_tree end to end",
        bench(
            [
                ("du -sb", ["du", "-sb", small]),
                ("sizescan (default workers)", [py, "-m", "sizescan", small, "--no-progress"]),
            ],
            args.repeat,
        ),
    )


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--files", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--fuse", action="store_true", help="also time a bindfs mount of 100k files")
    ap.add_argument("--fuse-files", type=int, default=100_000)
    ap.add_argument("--fuse-workers", type=int, default=8)
    ap.add_argument(
        "--wide",
        type=int,
        default=0,
        metavar="N",
        help="also time one directory of N entries on a bindfs mount",
    )
    ap.add_argument(
        "--slowfs",
        action="store_true",
        help="also time slowfs.py: FUSE with a fixed delay per request (needs mfusepy)",
    )
    ap.add_argument("--slowfs-files", type=int, default=5_000)
    ap.add_argument(
        "--slowfs-delay-ms",
        type=float,
        action="append",
        help="delay per request (repeatable; default: 5 and 1)",
    )
    ap.add_argument(
        "--sshfs",
        action="store_true",
        help="also time sshfs over loopback to a local sshd (default and no cache)",
    )
    ap.add_argument("--sshfs-files", type=int, default=100_000)
    ap.add_argument(
        "--dask",
        action="store_true",
        help="also time scans on a local Dask cluster of 1, 2 and 4 workers "
        "(slowfs, 5 ms) and, with --dask-files, a warm local tree",
    )
    ap.add_argument("--dask-slowfs-files", type=int, default=10_000)
    ap.add_argument("--dask-io-depth", type=int, default=4)
    ap.add_argument("--dask-files", type=int, default=0, metavar="N")
    ap.add_argument(
        "--report",
        action="store_true",
        help="the --html report of the local tree: time, size, first paint",
    )
    ap.add_argument(
        "--skip-local", action="store_true", help="only the mounts asked for, not the local trees"
    )
    ap.add_argument(
        "--skip-real", action="store_true", help="not /usr, a source tree and the deep tree"
    )
    ap.add_argument("--deep-files", type=int, default=300_000)
    args = ap.parse_args()

    py = sys.executable
    compile_package(py)
    if not args.skip_local:
        _local(args, py)
        if not args.skip_real:
            _real(args, py)

    if args.report:
        _report(args, py)

    if args.fuse:
        fuse_tree = os.path.join(DATA, f"tree-{args.fuse_files}")
        build_tree(fuse_tree, args.fuse_files, seed=2)
        with bindfs_mount(fuse_tree) as mnt:
            report(
                f"bindfs (FUSE) mount, {args.fuse_files:,} files",
                bench(
                    [
                        ("du -sb", ["du", "-sb", mnt]),
                        (
                            f"sizescan --workers {args.fuse_workers}",
                            [
                                py,
                                "-m",
                                "sizescan",
                                mnt,
                                "--json",
                                "--workers",
                                str(args.fuse_workers),
                            ],
                        ),
                        (
                            "sizescan --workers 1",
                            [py, "-m", "sizescan", mnt, "--json", "--workers", "1"],
                        ),
                        ("gdu -n -p -s", ["gdu", "-n", "-p", "-s", mnt]),
                    ],
                    args.repeat,
                ),
            )

    if args.wide:
        wide = os.path.join(DATA, f"wide-{args.wide}")
        build_wide(wide, args.wide)
        with bindfs_mount(wide) as mnt:
            report(
                f"bindfs (FUSE) mount, one directory of {args.wide:,} entries",
                bench(
                    [
                        ("du -sb", ["du", "-sb", mnt]),
                        (
                            f"sizescan --workers {args.fuse_workers}",
                            [
                                py,
                                "-m",
                                "sizescan",
                                mnt,
                                "--json",
                                "--workers",
                                str(args.fuse_workers),
                            ],
                        ),
                        (
                            "sizescan --workers 2",
                            [py, "-m", "sizescan", mnt, "--json", "--workers", "2"],
                        ),
                        (
                            "sizescan --workers 1",
                            [py, "-m", "sizescan", mnt, "--json", "--workers", "1"],
                        ),
                    ],
                    args.repeat,
                ),
            )

    if args.slowfs:
        slow_tree = os.path.join(DATA, f"tree-{args.slowfs_files}")
        build_tree(slow_tree, args.slowfs_files, seed=3)
        for delay in args.slowfs_delay_ms or [5.0, 1.0]:
            with slowfs_mount(py, slow_tree, delay) as mnt:
                report(
                    f"slowfs (FUSE, {delay:g} ms per request), {args.slowfs_files:,} files, "
                    f"caches expired between runs",
                    bench(_mount_rows(py, mnt), args.repeat, pause=2.0),
                )

    if args.dask:
        _dask(args, py)

    if args.sshfs:
        from sshd import NO_CACHE, loopback_sshd, sshfs_mount

        ssh_tree = os.path.join(DATA, f"tree-{args.sshfs_files}")
        build_tree(ssh_tree, args.sshfs_files, seed=5)
        with (
            tempfile.TemporaryDirectory(prefix="sizescan-sshd-") as home,
            loopback_sshd(home) as server,
        ):
            for name, options in (("default caches", ()), ("no cache", NO_CACHE)):
                mnt = tempfile.mkdtemp(prefix="sizescan-sshfs-")
                try:
                    with sshfs_mount(server, ssh_tree, mnt, options):
                        report(
                            f"sshfs over loopback ({name}), {args.sshfs_files:,} files",
                            bench(_mount_rows(py, mnt), args.repeat, pause=2.0),
                        )
                finally:
                    os.rmdir(mnt)


def _same_as_du(py, tree) -> str:
    """Whether sizescan's totals are du's to the byte (apparent and disk)."""
    out = subprocess.run(
        [py, "-m", "sizescan", tree, "--json", "--no-progress", "--top", "0"],
        capture_output=True,
        text=True,
        env=ENV,
    )
    doc = json.loads(out.stdout)
    du_b = int(
        subprocess.run(["du", "-sb", tree], capture_output=True, text=True).stdout.split()[0]
    )
    du_k = int(
        subprocess.run(["du", "-sB1", tree], capture_output=True, text=True).stdout.split()[0]
    )
    same = doc["total_size"] == du_b and doc["disk_usage"] == du_k
    return "byte-identical to du" if same else f"DIFFERS from du: {doc['total_size']} {du_b}"


def _real(args, py):
    """Trees a user has: /usr of this machine, a copy of a source tree, and a
    second synthetic shape (deeper, 24 kinds, 40% empty files)."""
    stdlib = os.path.dirname(os.__file__)
    trees = [
        ("/usr of this machine", "/usr"),
        ("a copy of Python's standard library", source_copy("src-stdlib", stdlib)),
    ]
    deep = os.path.join(DATA, f"deep-{args.deep_files}")
    t0 = time.perf_counter()
    build_deep(deep, args.deep_files)
    print(f"deep tree: {deep} (built/checked in {time.perf_counter() - t0:.0f} s)")
    trees.append((f"synthetic, deep: {args.deep_files:,} files", deep))
    for title, tree in trees:
        entries = sum(len(d) + len(f) for _, d, f in os.walk(tree))
        report(
            f"{title} ({tree}, {entries:,} entries), warm; totals {_same_as_du(py, tree)}",
            bench(
                [
                    ("du -sb", ["du", "-sb", tree]),
                    ("sizescan", [py, "-m", "sizescan", tree, "--no-progress"]),
                    ("ncdu -0 -o /dev/null", ["ncdu", "-0", "-o", "/dev/null", tree]),
                    ("gdu -n -p -s", ["gdu", "-n", "-p", "-s", tree]),
                ],
                args.repeat,
            ),
        )


def _report(args, py):
    """The --html report of the local tree: its cost over a plain scan, its
    size, and how soon headless Chromium paints its treemap (from load)."""
    tree = os.path.join(DATA, f"tree-{args.files}")
    build_tree(tree, args.files)
    page = os.path.join(DATA, f"report-{args.files}.html")
    report(
        f"the --html report, {args.files:,} files, warm cache",
        bench(
            [
                ("sizescan (plain)", [py, "-m", "sizescan", tree, "--no-progress"]),
                (
                    "sizescan --html FILE",
                    [py, "-m", "sizescan", tree, "--no-progress", "--html", page],
                ),
                (
                    "sizescan --tree (views alone)",
                    [py, "-m", "sizescan", tree, "--no-progress", "--tree"],
                ),
                (
                    "sizescan --by-owner",
                    [py, "-m", "sizescan", tree, "--no-progress", "--by-owner"],
                ),
            ],
            args.repeat,
        ),
        reference="sizescan (plain)",
    )
    print(f"report: {os.path.getsize(page) / 2**20:.2f} MiB")
    from browser import launch, open_report
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        paints = []
        for _ in range(max(3, args.repeat)):
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            open_report(tab, page, timeout_ms=60000)
            # The mark is set in the frame after the first draw: time from navigation start.
            paints.append(
                tab.evaluate("performance.getEntriesByName('treemap-painted')[0].startTime") / 1000
            )
            boxes = tab.evaluate("document.getElementById('map').dataset.boxes")
            tab.close()
        browser.close()
    print(
        f"first treemap paint in Chromium: median {statistics.median(paints):.2f} s "
        f"of {len(paints)} loads ({', '.join(f'{t:.2f}' for t in paints)}); {boxes} boxes drawn"
    )


@contextlib.contextmanager
def slowfs_mount(py, tree, delay):
    """``tree`` behind slowfs.py with ``delay`` ms a request, for the duration."""
    mnt = tempfile.mkdtemp(prefix="sizescan-slowfs-")
    daemon = subprocess.Popen(
        [py, os.path.join(HERE, "slowfs.py"), tree, mnt, "--delay-ms", str(delay)],
        stderr=subprocess.DEVNULL,
    )
    try:
        while not os.path.ismount(mnt):
            if daemon.poll() is not None:
                sys.exit("slowfs.py did not mount (is mfusepy installed?)")
            time.sleep(0.1)
        yield mnt
    finally:
        subprocess.run(["fusermount", "-u", mnt], check=False)
        daemon.wait()
        os.rmdir(mnt)


def _timed_json(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, check=True)
    return time.perf_counter() - start, json.loads(proc.stdout)


def _task_cost(address, n=500):
    """Seconds of scheduler and client time per task on this cluster: ``n``
    empty tasks submitted at once, taken with as_completed."""
    from distributed import Client, as_completed

    with Client(address, set_as_default=False) as client:
        for _ in range(2):  # the first round warms the connections up
            start = time.perf_counter()
            futures = [client.submit(int, i, pure=False) for i in range(n)]
            for _ in as_completed(futures, loop=client.loop):
                pass
            cost = (time.perf_counter() - start) / n
    return cost


def _dask(args, py):
    """Dask workers as client hosts: each worker one thread and a fixed request
    depth, all reading one slow mount; then a warm local tree, for overhead."""
    from dask_cluster import local_cluster

    depth = str(args.dask_io_depth)
    tree = os.path.join(DATA, f"tree-{args.dask_slowfs_files}")
    build_tree(tree, args.dask_slowfs_files, seed=4)
    logs = tempfile.mkdtemp(prefix="sizescan-dask-")
    rows, notes = [], []
    with slowfs_mount(py, tree, 5.0) as mnt:
        local = [py, "-m", "sizescan", mnt, "--json"]
        expected = None
        for label, cmd in (
            ("local pool (default)", local),
            (
                f"local pool --workers 4 --io-depth {depth}",
                [*local, "--workers", "4", "--io-depth", depth],
            ),
        ):
            times = []
            for _ in range(args.repeat):
                time.sleep(2.0)
                elapsed, doc = _timed_json(cmd)
                times.append(elapsed)
                expected = expected or doc["disk_usage"]
                assert doc["disk_usage"] == expected, label
            rows.append((label, statistics.median(times), 0, times))
        for n in (1, 2, 4):
            with local_cluster(workers=n, nthreads=1, log_dir=logs) as cluster:
                cost = _task_cost(cluster.address)
                cmd = [*local, "--scheduler", cluster.address, "--io-depth", depth]
                _timed_json(cmd)  # warm-up: imports on the workers
                runs = []
                for _ in range(args.repeat):
                    time.sleep(2.0)
                    elapsed, doc = _timed_json(cmd)
                    assert doc["disk_usage"] == expected, "Dask totals differ from the local pool"
                    runs.append((elapsed, doc["cluster"]["tasks"]))
                elapsed, tasks = sorted(runs)[len(runs) // 2]
                rows.append(
                    (
                        f"Dask, {n} worker{'s' * (n > 1)} x 1 thread x {depth}",
                        elapsed,
                        0,
                        [t for t, _ in runs],
                    )
                )
                notes.append(
                    f"{n} worker(s): {tasks} tasks x {cost * 1e3:.2f} ms a task = "
                    f"{tasks * cost / elapsed:.1%} of the wall time"
                )
    one = {label: t for label, t, *_ in rows}[f"Dask, 1 worker x 1 thread x {depth}"]
    report(
        f"Dask on slowfs (5 ms per request), {args.dask_slowfs_files:,} files, "
        f"caches expired between runs",
        rows,
        reference=f"Dask, 1 worker x 1 thread x {depth}",
    )
    print(f"4 workers against 1: {one / rows[-1][1]:.2f}x faster")
    print("scheduler overhead: " + "; ".join(notes))

    if args.dask_files:
        tree = os.path.join(DATA, f"tree-{args.dask_files}")
        build_tree(tree, args.dask_files)
        with local_cluster(workers=2, nthreads=1, log_dir=logs) as cluster:
            report(
                f"Dask, warm local tree of {args.dask_files:,} files",
                bench(
                    [
                        ("sizescan (local pool)", [py, "-m", "sizescan", tree, "--json"]),
                        (
                            "sizescan --scheduler (2 workers x 1 thread)",
                            [py, "-m", "sizescan", tree, "--json", "--scheduler", cluster.address],
                        ),
                    ],
                    args.repeat,
                ),
                reference="sizescan (local pool)",
            )


def _mount_rows(py, mnt):
    return [
        ("du -sb", ["du", "-sb", mnt]),
        ("gdu -n -p -s", ["gdu", "-n", "-p", "-s", mnt]),
        ("sizescan (default)", [py, "-m", "sizescan", mnt, "--json"]),
        (
            "sizescan --io-depth 1 --workers 8",
            [py, "-m", "sizescan", mnt, "--json", "--io-depth", "1", "--workers", "8"],
        ),
    ]


if __name__ == "__main__":
    main()
