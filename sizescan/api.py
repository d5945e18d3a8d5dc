"""The library's front door: :func:`scan` builds the options, runs the engine,
and writes an export when asked.

The engine knows no output format: an export is a consumer of the scan,
wired here (the ncdu encoder goes to the workers, the spool to the
collector) and written here once the scan is complete.
"""

from __future__ import annotations

import inspect
import os
import stat as _stat
import tempfile
import time
from typing import Callable

from ._version import __version__
from .engine import walker
from .engine.walker import ScanProgress
from .errors import ExportFailed, InvalidOption
from .files.atomic import OutputFile
from .model.options import ScanOptions
from .model.options import settings as settings_of_scan
from .model.result import ScanResult
from .signals import held_signals


def _paths(paths):
    """The PATHs without trailing slashes, and the indexes of those that had one.

    As for du, ``slink/`` is the directory a symlink points to, where
    ``slink`` is the link itself: the slash is remembered, not kept.
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    try:
        given = [os.fsdecode(os.fspath(p)) for p in paths]
    except TypeError:
        raise InvalidOption(f"PATH must be a path or a list of paths, not {paths!r}") from None
    if not given:
        raise InvalidOption("no path given")
    for p in given:
        if "\0" in p:
            raise InvalidOption(f"PATH {p!r:.60} holds a NUL byte: no file has such a name")
    stripped = [p.rstrip("/") or p[:1] for p in given]
    slashed = {i for i, (p, s) in enumerate(zip(given, stripped)) if p != s}
    for i in sorted(slashed):
        # "slink slink/": two PATHs, one name.  The directory is then "slink/."
        # (shown so), which names it without the slash and without a clash.
        if any(stripped[j] == stripped[i] and j not in slashed for j in range(len(given))):
            stripped[i] += "/."
            slashed.discard(i)
    return stripped, frozenset(slashed)


def scan(
    paths,
    *,
    progress: Callable[[ScanProgress], None] | None = None,
    export=None,
    scheduler=None,
    tls=None,
    **settings,
) -> ScanResult:
    """Measure the disk usage of ``paths`` (one path, or a list of them).

    The totals equal GNU du's: ``total_size`` is ``du -sb`` and
    ``disk_usage`` is ``du -sB1``, hard links counted once per scan (each
    link with ``count_links``).  ``top`` bounds the largest files and
    directories kept; ``max_depth`` limits which directories are listed
    (never what is counted); ``apparent`` sorts by apparent size instead of
    disk usage.  ``one_file_system``, ``dereference`` (follow symlinks; a
    loop is entered once) and ``exclude`` (du's ``--exclude`` globs; one
    string is one pattern) mean what they mean to du; ``exclude_kernfs``
    skips pseudo filesystems (proc, sysfs, cgroup...) below the PATHs;
    ``gitignore`` takes lines in gitignore syntax, matched relative to each
    PATH; ``exclude_caches`` skips directories holding a valid
    ``CACHEDIR.TAG``.  Excluded entries are counted nowhere.

    ``views=True`` keeps what :meth:`ScanResult.tree`, ``by_type``,
    ``by_age`` and ``directories`` need (per directory, never per file:
    each directory's ``top`` largest files).  ``export`` (a path, or a
    binary file open for writing) receives the whole tree in ncdu's JSON
    export format, streamed, with owner, mode and mtime if ``extended``;
    it takes a single directory PATH.

    ``workers`` defaults to one per CPU (see :func:`sizescan.engine.fs.default_workers`);
    ``io_depth`` is the requests each worker keeps in flight with its threads,
    by default 1 on local disks and up to 64 on network and FUSE mounts whose
    requests are slow (:func:`sizescan.engine.fs.default_io_depth`).
    ``by_owner=True`` keeps totals by user and group (:meth:`ScanResult.by_owner`).
    ``scheduler`` runs the scan on a Dask cluster (``pip install
    'sizescan[dask]'``): a scheduler's address ("tcp://host:8786") or a
    ``distributed.Client`` (left open); see ``sizescan.engine.dask``.  ``tls``
    reaches a ``tls://`` scheduler: ``{"ca_file": ..., "cert": ..., "key":
    ...}``, PEM files (by default, Dask's ``distributed.comm.tls``
    configuration's).
    ``progress`` is called with a :class:`ScanProgress` a few times a
    second.  ``start_method`` picks the multiprocessing context ("fork",
    "forkserver", "spawn"; default: the platform's).  Under spawn and
    forkserver, call ``scan`` from under ``if __name__ == "__main__":``.
    Any number of scans may run at once, in threads of one process.

    Problems with single paths are in ``result.errors``; only unusable
    input raises (:class:`InvalidOption`, :class:`CannotAccess`), and a
    scan that failed: an :class:`EngineFailure` subclass names how (a dead
    collector, workers dying on the same directories, lost results, a pool
    that could not start), :class:`ExportFailed` an export not written.
    """
    paths, slashed = _paths(paths)
    if progress is not None and not callable(progress):
        raise InvalidOption(f"progress must be a callable, not {progress!r:.40}")
    options = ScanOptions.from_environment(**settings)
    if options.extended and export is None:
        raise InvalidOption("extended only adds fields to an export")
    if scheduler is None:
        if tls:
            raise InvalidOption("tls is for a scan on a Dask cluster (scheduler=...)")
        return _scan(paths, slashed, options, progress, export, None)
    # Here, not at the top: the cluster's code is half a MB that a scan on
    # this machine, the common case, has no use for.
    from .engine.dask import Cluster

    on = Cluster(scheduler, tls)
    try:
        return _scan(paths, slashed, options, progress, export, on)
    finally:
        on.close()


# scan()'s settings are ScanOptions' own fields, declared there once; its
# signature says so to help() and to editors that read it at run time.
scan.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        inspect.Parameter("paths", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        *(
            inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default)
            for f in settings_of_scan()
        ),
        *(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None)
            for name in ("progress", "export", "scheduler", "tls")
        ),
    ],
    return_annotation=ScanResult,
)


def _scan(paths, slashed, options, progress, export, cluster):
    if export is None:
        return walker.run(paths, options, progress=progress, slashed=slashed, cluster=cluster)[0]
    return _scan_and_export(paths, slashed, options, progress, export, cluster)


def _scan_and_export(paths, slashed, options, progress, export, cluster) -> ScanResult:
    if len(paths) != 1:
        raise InvalidOption("an export holds one tree: give a single PATH")
    root = paths[0]
    # Here: a scan without an export needs none of these.
    from .files.ncdu import ExportSpool, NcduEncoder, SpoolFailed

    encoder = NcduEncoder(options.extended)
    try:
        st = os.stat(root + "/" if slashed else root, follow_symlinks=options.dereference)
    except OSError:
        st = None  # the engine reports it (CannotAccess)
    if st is not None and not _stat.S_ISDIR(st.st_mode):
        raise InvalidOption(f"cannot export {root!r}: not a directory")
    target = spool_path = None
    try:
        # Each temporary file is made and remembered with the signals held:
        # one in between would leave it behind.
        with held_signals():
            # Opened first: a scan of hours must not end in "cannot write".
            target = OutputFile(export, "export")
            try:
                fd, spool_path = tempfile.mkstemp(prefix="sizescan-export-")
                os.close(fd)
            except OSError as exc:
                raise ExportFailed(target.name, exc) from None
        try:
            result, spool = walker.run(
                paths,
                options,
                progress=progress,
                encoder=encoder,
                spool=ExportSpool(spool_path),
                slashed=slashed,
                cluster=cluster,
            )
        except SpoolFailed as exc:
            raise ExportFailed(target.name, exc) from None
        root_info = encoder.root(root, st)
        try:
            spool.write(target.out, root_info, progver=__version__, timestamp=int(time.time()))
        except OSError as exc:
            raise ExportFailed(target.name, exc) from None
        target.commit()
    except BaseException:
        if target is not None:
            target.abandon()
        raise
    finally:
        if spool_path is not None:
            os.unlink(spool_path)
    return result
