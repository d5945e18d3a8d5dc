"""What a scan is asked to do: one frozen, validated value.

:func:`sizescan.scan` keeps its keyword API and builds a :class:`ScanOptions`;
the engine, the workers and the collector read their settings from it, so
a setting is named, checked and documented once.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, field
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
        raise InvalidOption(f"{name} must be a pattern or a list of patterns, not {value!r}") from None
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
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
            high is not None and value > high):
        bounds = f">= {low}" if high is None else f"from {low} to {high}"
        raise InvalidOption(f"{name} must be an integer {bounds}, not {value!r:.40}")


@dataclass(frozen=True)
class ScanOptions:
    """Every setting of one scan (see :func:`sizescan.scan` for their meaning)."""

    workers: Optional[int] = None
    io_depth: Optional[int] = None
    top: int = 10
    max_depth: Optional[int] = None
    apparent: bool = False
    one_file_system: bool = False
    dereference: bool = False
    exclude: tuple[str, ...] = ()
    exclude_kernfs: bool = False
    count_links: bool = False
    start_method: Optional[str] = None
    views: bool = False
    extended: bool = False
    gitignore: tuple[str, ...] = ()
    exclude_caches: bool = False
    by_owner: bool = False
    # Tuning the tests and benchmarks reach through the environment.
    split_at: int = field(default=4096, repr=False)
    descend_s: float = field(default=0.005, repr=False)
    inline_budget_s: float = field(default=0.05, repr=False)
    # A Dask task's time budget (see cluster.py: about 1 ms of scheduler
    # time a task, so 0.2 s keeps that under 1%).
    task_budget_s: float = field(default=0.2, repr=False)

    def __post_init__(self):
        for name in ("apparent", "one_file_system", "dereference", "exclude_kernfs",
                     "count_links", "views", "extended", "exclude_caches", "by_owner"):
            # Strictly: "no" is truthy, and would turn a flag on.
            if not isinstance(getattr(self, name), bool):
                raise InvalidOption(f"{name} must be True or False, not "
                                    f"{getattr(self, name)!r:.40}")
        _integer("workers", self.workers, 1, optional=True, high=MAX_WORKERS)
        _integer("io_depth", self.io_depth, 1, optional=True, high=MAX_IO_DEPTH)
        _integer("top", self.top, 0, optional=False)
        _integer("max_depth", self.max_depth, 0, optional=True)
        _integer("split_at", self.split_at, 1, optional=False)
        if self.start_method is not None and self.start_method not in multiprocessing.get_all_start_methods():
            raise InvalidOption(f"unknown start method {self.start_method!r}")
        object.__setattr__(self, "exclude", _patterns("exclude", self.exclude))
        object.__setattr__(self, "gitignore", _patterns("gitignore", self.gitignore))

    @classmethod
    def from_environment(cls, **settings) -> ScanOptions:
        """``settings``, plus the tuning knobs the environment may set.

        SIZESCAN_INLINE_BUDGET_S: how long the caller scans alone before
        starting processes (0 always starts them); SIZESCAN_DESCEND_S: how
        long a task goes on into what it found; SIZESCAN_SPLIT_AT: names per
        chunk of a very large directory; SIZESCAN_TASK_BUDGET_S: a Dask
        task's time budget.  The tests use them to force the pool, the
        chunked path and many tasks on small trees.
        """
        env = os.environ
        try:
            return cls(**settings,
                       split_at=int(env.get("SIZESCAN_SPLIT_AT", cls.split_at)),
                       descend_s=float(env.get("SIZESCAN_DESCEND_S", cls.descend_s)),
                       inline_budget_s=float(env.get("SIZESCAN_INLINE_BUDGET_S",
                                                     cls.inline_budget_s)),
                       task_budget_s=float(env.get("SIZESCAN_TASK_BUDGET_S",
                                                   cls.task_budget_s)))
        except ValueError as exc:
            if isinstance(exc, InvalidOption):
                raise
            raise InvalidOption(f"a SIZESCAN_* tuning variable is not a number: {exc}") from None

    @property
    def measure(self) -> Measure:
        return Measure.of(self.apparent)

    @property
    def detailed(self) -> bool:
        """Whether records carry a Detail (views, or excluding caches).

        An export adds one too: see WorkerConfig.detailed.
        """
        return self.views or self.exclude_caches or self.by_owner
