"""The history's costs, as ratios and sizes from one run (issue: "What grew?").

    python benchmarks/history.py            # the 1M-file tree and a 330,000-directory history
    python benchmarks/history.py --quick    # the 5,000-file tree and 33,000 directories

1. ``--save`` against the same scan without it, alternated, medians of 5.
2. The database: its size after the first snapshot of the tree, and what a
   second snapshot of it unchanged adds.
   duc's index of the same tree beside it (one index, no history).
3. ``growth``, ``history`` and ``trend`` as whole commands (Python's start
   included), medians of 5, the growth after a change of a few directories.
4. A history of 330,000 directories made with the library (the directory
   count of a 10M-file tree), two snapshots with 1% of the directories
   changed: the database's size and ``growth`` as a whole command.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, ".data")
SIZESCAN = [sys.executable, "-m", "sizescan"]


def timed(cmd, runs=5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def save_cost(tree, db):
    """A plain scan, a first --save (a new database) and a later one, alternated
    (the machine's drift hits all three alike), medians of 7."""
    later = db + ".later"
    subprocess.run(
        [*SIZESCAN, tree, "-q", "--save", "--db", later], check=True, stdout=subprocess.DEVNULL
    )
    times: dict = {"plain": [], "first": [], "later": []}
    for _ in range(7):
        for name, extra in (
            ("plain", []),
            ("first", ["--save", "--db", db]),
            ("later", ["--save", "--db", later]),
        ):
            for leftover in (db, db + "-wal", db + "-shm"):
                if name == "first" and os.path.exists(leftover):
                    os.unlink(leftover)
            started = time.perf_counter()
            subprocess.run([*SIZESCAN, tree, "-q", *extra], check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - started)
    plain, first, second = (statistics.median(times[k]) for k in ("plain", "first", "later"))
    print(f"scan {plain:.2f} s; with --save into a new database {first:.2f} s: {first / plain:.3f}x; "
          f"into one holding a snapshot of it {second:.2f} s: {second / plain:.3f}x")  # fmt: skip


def duc_row(tree, tmp):
    """duc, the indexer people use for this: one index per path, no history."""
    if not shutil.which("duc"):
        print("duc: not installed (apt-get install duc)")
        return
    index = os.path.join(tmp, "duc.db")
    times = []
    for _ in range(3):
        if os.path.exists(index):
            os.unlink(index)
        started = time.perf_counter()
        subprocess.run(["duc", "index", "-q", "-d", index, tree], check=True)
        times.append(time.perf_counter() - started)
    ls = timed(["duc", "ls", "-d", index, tree])
    print(f"duc index {statistics.median(times):.2f} s, its database {os.path.getsize(index) / 1e6:.2f} MB; "
          f"duc ls {ls:.3f} s")  # fmt: skip


def database_growth(tree, db):
    first = os.path.getsize(db)
    subprocess.run(
        [*SIZESCAN, tree, "-q", "--save", "--db", db], check=True, stdout=subprocess.DEVNULL
    )
    second = os.path.getsize(db)
    print(f"database: {first / 1e6:.2f} MB after one snapshot, +{(second - first) / 1e6:.3f} MB "
          "for a second one of the tree unchanged")  # fmt: skip


def questions(tree, db):
    extra = os.path.join(tree, "zz-history-bench")
    try:
        for n in range(20):
            os.makedirs(os.path.join(extra, f"d{n}"))
            with open(os.path.join(extra, f"d{n}", "f"), "wb") as f:
                f.write(b"x" * 100_000)
        subprocess.run(
            [*SIZESCAN, tree, "-q", "--save", "--db", db], check=True, stdout=subprocess.DEVNULL
        )
    finally:
        shutil.rmtree(extra, ignore_errors=True)
    some = sorted(
        d
        for d in os.listdir(tree)
        if d != "zz-history-bench" and os.path.isdir(os.path.join(tree, d))
    )[0]
    for name, cmd in (
        ("growth (last two)", ["growth", tree]),
        ("history", ["history"]),
        ("trend", ["trend", os.path.join(tree, some)]),
    ):
        print(f"{name}: {timed([*SIZESCAN, *cmd, '--db', db]):.3f} s")
    print(f"python -c pass: {timed([sys.executable, '-c', 'pass']):.3f} s")


def synthetic(db, dirs: int):
    """Two snapshots of a made-up tree of ``dirs`` directories, 1% changed."""
    from sizescan.history.store import History
    from sizescan.model.keys import dir_key, root_key
    from sizescan.model.result import RootTotal, ScanResult
    from sizescan.model.tree import ScanModel

    rng = random.Random(1)
    top, mid = 10, 33
    leaves = dirs // (top * mid)
    root = root_key(0)
    slots = {root: [0, 0, 0, 1, 0, None, "/data", root]}
    leaf_keys = []
    for a in range(top):
        ka = dir_key(root, f"t{a}")
        slots[ka] = [0, 0, 0, 1, 1, root, f"t{a}", ka]
        for b in range(mid):
            kb = dir_key(ka, f"m{b}")
            slots[kb] = [0, 0, 0, 1, 2, ka, f"m{b}", kb]
            for c in range(leaves):
                kc = dir_key(kb, f"leaf{c}")
                size = rng.randrange(4096, 10_000_000)
                slots[kc] = [size, size + 4096, 30, 1, 3, kb, f"leaf{c}", kc]
                leaf_keys.append(kc)

    def result_of(model_slots):
        dirs_copy = {k: list(v) for k, v in model_slots.items()}
        direct = {k: v[2] for k, v in dirs_copy.items()}
        for depth in (3, 2, 1):
            for slot in dirs_copy.values():
                if slot[4] == depth:
                    parent = dirs_copy[slot[5]]
                    for i in range(4):
                        parent[i] += slot[i]
        r = dirs_copy[root]
        model = ScanModel(dirs_copy, direct, {}, {}, {}, None, None)
        return ScanResult(["/data"], [RootTotal("/data", r[0], r[1], r[2], r[3])], r[0], r[1],
                          r[2], r[3], [], [], [], started_at=time.time(), model=model,
                          rules={})  # fmt: skip

    started = time.perf_counter()
    with History(db) as history:
        history.save(result_of(slots), host="bench")
    first = time.perf_counter() - started
    size_one = os.path.getsize(db)
    for key in rng.sample(leaf_keys, len(leaf_keys) // 100):
        slots[key][0] += 1_000_000
        slots[key][1] += 1_000_000
    started = time.perf_counter()
    with History(db) as history:
        history.save(result_of(slots), host="bench")
    second = time.perf_counter() - started
    print(
        f"{len(slots):,} directories: saved in {first:.2f} s, then {second:.2f} s with 1% changed"
    )
    print(f"database: {size_one / 1e6:.1f} MB, {os.path.getsize(db) / 1e6:.1f} MB with both")
    growth = timed([*SIZESCAN, "growth", "--db", db, "--top", "10"])
    print(f"growth (whole command): {growth:.3f} s")


def main():
    quick = "--quick" in sys.argv
    tree = os.path.join(DATA, "tree-5000" if quick else "tree-1000000")
    if not os.path.isdir(tree):
        sys.exit(f"{tree} is missing: python benchmarks/bench.py makes it")
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "h.db")
        print(f"== {os.path.basename(tree)}")
        save_cost(tree, db)
        database_growth(tree, db)
        duc_row(tree, tmp)
        questions(tree, db)
        print("== synthetic history")
        synthetic(os.path.join(tmp, "synthetic.db"), 33_000 if quick else 330_000)


if __name__ == "__main__":
    main()
