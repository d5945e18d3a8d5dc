"""The walker's state, and the seam between the walker and what runs the workers.

The ``Frontier`` holds the directories and chunks not yet handed out; a
``Backend`` takes work from it (``fill``), hands back what a task found
(``next_result``) and finds lost work (``check``).  The walker drives both
the same way whether the worker code runs in the caller's process
(``walker.InlineBackend``), in a local pool (``pool.PoolBackend``) or on a
Dask cluster (``dask.DaskBackend``).
"""

from __future__ import annotations

from collections import deque

from .records import DirTask, TaskResult


class Frontier:
    """The walker's state: work not yet handed out, and what came back."""

    def __init__(self, dereference):
        self.pending = deque()  # DirTask
        self.chunks = deque()  # ChunkTask
        # Under -L a directory can be reached through several symlinks, and
        # a link to an ancestor makes a loop: each directory is entered once
        # (du's "hash_all"), so a loop is skipped, never followed.
        self.seen_dirs = set() if dereference else None
        # Under -L the PATHs are walked one after the other, as du does: a
        # PATH that an earlier one reached through a symlink is then
        # skipped, and a later one never takes what an earlier one holds.
        self.waiting_roots = deque()

    def add(self, task: DirTask) -> bool:
        if self.seen_dirs is not None:
            if (task.dev, task.ino) in self.seen_dirs:
                return False
            self.seen_dirs.add((task.dev, task.ino))
        self.pending.append(task)
        return True

    def add_root(self, task: DirTask):
        if self.seen_dirs is None:
            self.pending.append(task)
        else:
            self.waiting_roots.append(task)

    def start_next_root(self) -> bool:
        """Start the next PATH not reached yet; False when none is left."""
        while self.waiting_roots:
            if self.add(self.waiting_roots.popleft()):
                return True
        return False

    def absorb(self, result: TaskResult):
        if self.seen_dirs is None:
            self.pending.extend(result.subdirs)
        else:
            for task in result.subdirs:
                self.add(task)
        self.chunks.extend(result.chunks)

    def take_dirs(self, count: int) -> list:
        """Up to ``count`` directories from the front."""
        pending = self.pending
        return [pending.popleft() for _ in range(min(count, len(pending)))]

    def take_chunks(self, names: int) -> list:
        """Chunks from the front until they hold ``names`` names (or none are left)."""
        chunks, held = [], 0
        while self.chunks and held < names:
            chunks.append(self.chunks.popleft())
            held += len(chunks[-1].names)
        return chunks

    def __bool__(self):
        return bool(self.pending or self.chunks)


class Backend:
    """The seam between the walker and whatever runs the worker code."""

    inflight = 0

    def fill(self, frontier: Frontier) -> None:
        """Hand out work from ``frontier`` while there is capacity."""
        raise NotImplementedError

    def next_result(self, timeout: float) -> TaskResult | None:
        """One task's result, or None after ``timeout``."""
        raise NotImplementedError

    def check(self) -> None:
        """Called when no result came for a while: find lost work, or raise."""
