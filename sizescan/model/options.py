"""What a scan is asked to do: one frozen, validated value.

:func:`sizescan.scan` keeps its keyword API and builds a :class:`ScanOptions`;
the engine, the workers and the collector read their settings from it, so
a setting is named, checked and documented once.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, field, fields
from typing import Optional

from ..errors import InvalidOption
from .measure import Measure


def _patterns(name: str, value) -> tuple[str, ...]:
    # A single string is one pattern, never a sequence of one-character ones.
    if isinstance(value, (str, bytes)):
        value = (value,)
    try:
        value = tuple(value)
    except TypeError:
        raise InvalidOption(
            f"{name} must be a pattern or a list of patterns, not {value!r}"
        ) from None
    for pattern in value:
        if not isinstance(pattern, str):
            raise InvalidOption(f"{name} patterns must be strings, not {pattern!r}")
    return value


# More worker processes than this only cost memory and descriptors: on a
# slow filesystem the requests in flight are what counts, not processes.
MAX_WORKERS = 512

# Requests in flight per worker process (its threads).  Beyond this a
# client only queues at the server; and each costs a thread and a descriptor.
MAX_IO_DEPTH = 256


def _integer(name: str, value, low: int, optional: bool, high=None) -> None:
    if value is None and optional:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        bounds = f">= {low}" if high is None else f"from {low} to {high}"
        raise InvalidOption(f"{name} must be an integer {bounds}, not {value!r:.40}")


def _setting(
    default,
    help: str,
    *flags: str,
    low=None,
    high=None,
    metavar=None,
    choices=None,
    show_default=False,
):
    """A setting of the scan, declared once: its default, its bounds (checked
    here), and how the command offers it (``flags``: none for a setting the
    command spells another way, or not at all).  The command's options,
    ``scan()``'s keywords and docs/cli.md all come from these fields
    (tests/test_docs.py checks that they agree)."""
    return field(
        default=default,
        metadata={
            "help": help,
            "flags": flags,
            "low": low,
            "high": high,
            "metavar": metavar,
            "choices": choices,
            "show_default": show_default,
        },
    )


def _tuning(default):
    """A knob the tests and benchmarks reach through the environment
    (see ScanOptions.from_environment), never an option."""
    return field(default=default, repr=False, metadata={"tuning": True})


@dataclass(frozen=True)
class ScanOptions:
    """Every setting of one scan (see :func:`sizescan.scan` for their meaning)."""

    workers: Optional[int] = _setting(
        None,
        "Worker processes (at most 512). Default: one per CPU (at most 16); two per CPU "
        "on a network or FUSE mount answering in under 0.25 ms, one per 4 CPUs on one whose "
        "requests take 0.5 ms or more (threads do the waiting, see --io-depth); at most 2 on "
        "a spinning disk. Fewer when the descriptor limit is low; none (in-process) in a "
        "daemonic process.",
        "--workers",
        low=1,
        high=MAX_WORKERS,
    )
    io_depth: Optional[int] = _setting(
        None,
        "Requests each worker keeps in flight, with its threads (at most 256). Default: "
        "1 on local disks and on mounts that answer in under 0.25 ms; on slower network and "
        "FUSE mounts, where every stat waits for a round trip, one per 20 us of a request's "
        "time (measured at the start), at most 64.",
        "--io-depth",
        low=1,
        high=MAX_IO_DEPTH,
    )
    top: int = _setting(
        10,
        "How many of the largest files and directories to list (0: none); also the "
        "entries shown per directory by --tree, and the types by --by-type (the rest folded "
        "into one row).",
        "--top",
        low=0,
        show_default=True,
    )
    max_depth: Optional[int] = _setting(
        None,
        "List only directories at most N levels below a PATH (like du -d N); "
        "everything is still counted.  The depth of --tree (default 3).",
        "-d",
        "--max-depth",
        low=0,
    )
    # The command's --apparent-size is shared with diff (a display setting there too).
    apparent: bool = _setting(False, "Sort by apparent size (st_size) instead of disk usage.")
    one_file_system: bool = _setting(
        False, "Skip directories on other filesystems.", "-x", "--one-file-system"
    )
    dereference: bool = _setting(
        False,
        "Follow symbolic links; a directory reached twice (or a loop) is counted once.",
        "-L",
        "--dereference",
    )
    exclude: tuple[str, ...] = _setting(
        (),
        "Skip entries matching the shell PATTERN, with du's rules (repeatable).",
        "--exclude",
        metavar="PATTERN",
    )
    exclude_kernfs: bool = _setting(
        False,
        "Skip pseudo filesystems (proc, sysfs, cgroup, debugfs...) below each PATH.",
        "--exclude-kernfs",
    )
    count_links: bool = _setting(
        False, "Count every hard link of a file, not just one.", "-l", "--count-links"
    )
    start_method: Optional[str] = _setting(
        None,
        "multiprocessing start method (default: the platform's).",
        "--start-method",
        choices=("fork", "forkserver", "spawn"),
    )
    # The command keeps views for --tree, --by-type, --by-age and --html.
    views: bool = _setting(False, "Keep what the tree and the views need.")
    # History (--save) and diff keep this: every directory's totals, without
    # the views' per-file work (a 1M-file scan: +2% where views cost +45%).
    sums: bool = _setting(False, "Keep every directory's totals (ScanResult.directories()).")
    extended: bool = _setting(False, "With --export: also uid, gid, mode and mtime.", "--extended")
    # The command reads them from --exclude-from FILE.
    gitignore: tuple[str, ...] = _setting((), "Lines in gitignore syntax, relative to each PATH.")
    exclude_caches: bool = _setting(
        False,
        "Skip directories holding a valid CACHEDIR.TAG (bford.info/cachedir).",
        "--exclude-caches",
    )
    by_owner: bool = _setting(
        False,
        "Totals by user and by group (names from the password and group databases); "
        "also from an --extended export.",
        "--by-owner",
    )
    split_at: int = _tuning(4096)
    # 0.05 s: each directory a task hands back costs a trip through the
    # walker (0.005 s made 128 tasks of /usr), and much longer tasks leave a
    # worker alone at the end.  Against du, medians of 7 in one run, 0.005 s
    # then 0.05 s: /usr 1.40x, 1.38x; a copy of the standard library 1.92x,
    # 1.89x; a deep tree 1.14x, 1.02x.  Each task's one message holds ten
    # times the records: 546 runs under ulimit -v from 30 to 120 MB each
    # ended in du's totals or one line (tests/test_resources.py).
    descend_s: float = _tuning(0.05)
    # A tree the caller reads in 0.02 s (sample_tree/ in 4 ms) never starts
    # a process; past that, two cores are worth the pool's 15-20 ms start.
    # Against du, medians of 7, 0.05 s then 0.02 s: /usr 1.38x, 1.28x; the
    # standard library 1.89x, 1.92x; the deep tree 1.02x, 1.00x.
    inline_budget_s: float = _tuning(0.02)
    # A Dask task's time budget (see engine.dask: about 1 ms of scheduler
    # time a task, so 0.2 s keeps that under 1%).
    task_budget_s: float = _tuning(0.2)

    def __post_init__(self):
        for f in settings():
            value = getattr(self, f.name)
            if f.type == "bool" and not isinstance(value, bool):
                # Strictly: "no" is truthy, and would turn a flag on.
                raise InvalidOption(f"{f.name} must be True or False, not {value!r:.40}")
            if f.metadata["low"] is not None:
                _integer(
                    f.name,
                    value,
                    f.metadata["low"],
                    optional=f.default is None,
                    high=f.metadata["high"],
                )
        _integer("split_at", self.split_at, 1, optional=False)
        if (
            self.start_method is not None
            and self.start_method not in multiprocessing.get_all_start_methods()
        ):
            raise InvalidOption(f"unknown start method {self.start_method!r}")
        object.__setattr__(self, "exclude", _patterns("exclude", self.exclude))
        object.__setattr__(self, "gitignore", _patterns("gitignore", self.gitignore))

    @classmethod
    def from_environment(cls, **given) -> ScanOptions:
        """The settings ``given``, plus the tuning knobs the environment may set.

        SIZESCAN_INLINE_BUDGET_S: how long the caller scans alone before
        starting processes (0 always starts them); SIZESCAN_DESCEND_S: how
        long a task goes on into what it found; SIZESCAN_SPLIT_AT: names per
        chunk of a very large directory; SIZESCAN_TASK_BUDGET_S: a Dask
        task's time budget.  The tests use them to force the pool, the
        chunked path and many tasks on small trees.
        """
        env = os.environ
        try:
            return cls(
                **given,
                split_at=int(env.get("SIZESCAN_SPLIT_AT", cls.split_at)),
                descend_s=float(env.get("SIZESCAN_DESCEND_S", cls.descend_s)),
                inline_budget_s=float(env.get("SIZESCAN_INLINE_BUDGET_S", cls.inline_budget_s)),
                task_budget_s=float(env.get("SIZESCAN_TASK_BUDGET_S", cls.task_budget_s)),
            )
        except ValueError as exc:
            if isinstance(exc, InvalidOption):
                raise
            raise InvalidOption(f"a SIZESCAN_* tuning variable is not a number: {exc}") from None
        except TypeError:  # a keyword that is no setting
            unknown = sorted(set(given) - {f.name for f in settings()})
            raise InvalidOption(f"unknown option {', '.join(unknown)}") from None

    @property
    def measure(self) -> Measure:
        return Measure.of(self.apparent)

    def rules(self) -> dict:
        """The settings that change the numbers, not only how they are shown:
        kept with each snapshot of the history, so that snapshots made under
        other rules are never compared silently."""
        return {name: _plain(getattr(self, name)) for name in RULES}

    @property
    def detailed(self) -> bool:
        """Whether records carry a Detail (views, or excluding caches).

        An export adds one too: see WorkerConfig.detailed.
        """
        return self.views or self.exclude_caches or self.by_owner


# The settings ScanOptions.rules() names, in the order they are shown.
RULES = (
    "one_file_system",
    "dereference",
    "count_links",
    "exclude",
    "gitignore",
    "exclude_caches",
    "exclude_kernfs",
)


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def settings() -> list:
    """The fields of ScanOptions that are settings (not tuning knobs), in order."""
    return [f for f in fields(ScanOptions) if not f.metadata.get("tuning")]
