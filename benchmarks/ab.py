"""This checkout against an earlier commit, in one run, alternating.

    python benchmarks/ab.py HEAD~3                 # 1M files: plain scan and export
    python benchmarks/ab.py cd7c0d5 --files 100000 --repeat 5
    python benchmarks/ab.py cd7c0d5 --cases views import

The earlier commit is taken out with ``git archive`` into a temporary
directory and run from there (``PYTHONPATH``), so both run on the same
tree, the same Python and the same dependencies.  Runs alternate (old, new,
old, new...) so a noisy neighbour hits both alike; the report gives the
median time of each, new/old, and the peak memory (PSS of all processes)
from one extra run each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import DATA, build_tree, run  # noqa: E402


def checkout(rev: str, into: str) -> None:
    archive = subprocess.run(
        ["git", "-C", os.path.dirname(HERE), "archive", rev, "sizescan"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("baseline", help="the earlier commit (any git revision)")
    ap.add_argument("--files", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--cases",
        nargs="+",
        default=["plain", "export"],
        choices=["plain", "export", "views", "import", "report"],
    )
    args = ap.parse_args()

    tree = os.path.join(DATA, f"tree-{args.files}")
    build_tree(tree, args.files)
    export = os.path.join(DATA, f"ab-export-{args.files}.json")
    every = {
        "plain": ("plain scan", [tree, "--json", "--no-progress"]),
        "export": ("export -o FILE", [tree, "-q", "-o", export]),
        "views": (
            "--tree --by-type --by-age",
            [tree, "--no-progress", "--tree", "--by-type", "--by-age"],
        ),
        "report": (
            "--html FILE",
            [tree, "--no-progress", "--html", os.path.join(DATA, f"ab-report-{args.files}.html")],
        ),
        # Read by both sides from the same file, written by this checkout.
        "import": ("import -f FILE", ["-f", export, "--tree", "--by-type"]),
    }
    cases = [every[name] for name in args.cases]
    if "import" in args.cases and not os.path.exists(export):
        subprocess.run(
            [sys.executable, "-m", "sizescan", tree, "-q", "-o", export],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    with tempfile.TemporaryDirectory(prefix="sizescan-ab-") as scratch:
        old_dir = os.path.join(scratch, "old")
        os.mkdir(old_dir)
        checkout(args.baseline, old_dir)
        sides = {"old": old_dir, "new": os.path.dirname(HERE)}
        # Run from a directory of neither side: `python -m` puts the working
        # directory first on sys.path, so run from the project root both
        # sides would import this checkout (it did, until this check).
        os.chdir(scratch)
        for side, where in sides.items():
            found = subprocess.run(
                [
                    "env",
                    f"PYTHONPATH={where}",
                    sys.executable,
                    "-c",
                    "import sizescan; print(sizescan.__file__)",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            if not found.startswith(os.path.join(where, "sizescan")):
                sys.exit(f"{side}: imports {found}, not the code in {where}")
        print(
            f"tree: {tree} ({args.files:,} files); baseline {args.baseline}; "
            f"{os.cpu_count()} CPUs; medians of {args.repeat}, alternating"
        )
        print(
            f"{'case':<26} {'old s':>7} {'new s':>7} {'new/old':>8} {'old PSS':>9} {'new PSS':>9}"
        )
        for label, extra in cases:

            def cmd(side):
                return [
                    "env",
                    f"PYTHONPATH={sides[side]}",
                    sys.executable,
                    "-m",
                    "sizescan",
                    *extra,
                ]

            times = {"old": [], "new": []}
            for side in ("old", "new"):  # warm-up, and a check that both work
                if run(cmd(side))[2] not in (0, 1):
                    sys.exit(f"{side}: {' '.join(cmd(side))} failed")
            for _ in range(args.repeat):
                for side in ("old", "new"):
                    times[side].append(run(cmd(side))[0])
            peak = {side: run(cmd(side), measure_memory=True)[1] for side in ("old", "new")}
            old, new = statistics.median(times["old"]), statistics.median(times["new"])
            print(
                f"{label:<26} {old:>7.2f} {new:>7.2f} {new / old:>8.3f} "
                f"{peak['old'] / 2**20:>5.0f} MiB {peak['new'] / 2**20:>5.0f} MiB"
            )


if __name__ == "__main__":
    main()
