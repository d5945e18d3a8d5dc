"""``sizescan history``, ``growth`` and ``trend``, and what ``--save`` and
``diff @REF`` ask of the history database.

The history package is imported when one of these runs: a scan without
``--save`` never loads sqlite3.
"""

from __future__ import annotations

import json
import os
import sys

import click

from ..errors import HistoryError, NotInHistory
from . import options, streams
from .people import Palette, growth_report, history_report, trend_report
from .streams import EXIT_OK

# Places the report's growth panel lists.
PLACES_SHOWN = 30


def _history(db):
    from ..history.store import History

    return History(db)


def _json(doc) -> None:
    streams.write_stdout(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def _fail(exc: Exception):
    streams.fail(str(exc))


def files_kept(top: int) -> int:
    """How many of the largest files a scan with --save keeps (its --top, or more)."""
    from ..history.store import FILES_KEPT

    return max(top, FILES_KEPT)


def moment_of(text: str | None) -> float | None:
    """``--at WHEN`` as Unix time (a date, a date-time or an age; not a snapshot)."""
    if text is None:
        return None
    from ..history.when import parse_when

    try:
        when = parse_when(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from None
    if when.id is not None or when.back is not None:
        raise click.BadParameter(
            f"{text!r} names a snapshot, not a moment: give a date, a date-time or an age",
            param_hint="--at",
        )
    return when.at


def save(result, db, at, source) -> None:
    """Keep ``result`` in the history; a failure is one line and exit 2 (the
    scan's own outputs are written already, as without --save)."""
    try:
        with _history(db) as history:
            history.save(result, at=at)
    except HistoryError as exc:
        _fail(exc)
    except ValueError as exc:  # an export without a timestamp
        streams.fail(f"{source}: {exc}" if source else str(exc))


def for_report(result, db, since):
    """What the --html report shows of the history (see files.html.render):
    the PATH's totals over time when the database holds it, and with
    ``since`` its growth since that snapshot.  None when there is nothing."""
    from ..history.location import default_path

    if since is None and not os.path.exists(db or default_path()):
        return None
    if len(result.paths) != 1:
        if since is not None:
            raise click.UsageError("--since compares one PATH with its snapshot")
        return None
    path = result.paths[0]
    try:
        with _history(db) as history:
            try:
                points = history.trend(path)
            except NotInHistory:
                if since is None:
                    return None
                points = []
            doc: dict = {"trend": [[p.snapshot.taken_at, p.size, p.disk_usage] for p in points]}
            if since is not None:
                snap = history.snapshot(since, path)
                doc.update(_growth_since(history.load(snap.id), result))
                doc["since"] = {"id": snap.id, "taken_at": snap.taken_at}
            return doc
    except HistoryError as exc:
        if since is not None:
            _fail(exc)  # asked for: the run fails
        click.echo(f"sizescan: the report shows no history: {exc}", err=True)
        return None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


def _growth_since(old, new) -> dict:
    """Each directory's totals in snapshot ``old`` by its path in ``new``, and
    where it changed since (as growth names places)."""
    from ..history.growth import where_changed
    from ..model.diff import diff
    from ..model.keys import join
    from ..model.tree import APPARENT, DIRS, DISK

    model = old.model
    before = {}
    for key, slot in model.dirs.items():
        if not slot[DIRS]:
            continue
        rel = model.path(key)[len(old.paths[0]) :].lstrip("/")
        before[join(new.paths[0], rel or None)] = [slot[APPARENT], slot[DISK], *model.own_part(key)]
    changes = {c.path: c for c in diff(old, new).changes}

    def parent_of(rel):
        return None if rel == "." else rel.rsplit("/", 1)[0] if "/" in rel else "."

    placed = where_changed(
        {rel: (c.status, c.change(new.apparent)) for rel, c in changes.items()}, parent_of
    )
    places = sorted(
        (changes[rel] for rel in placed), key=lambda c: (-abs(c.change(new.apparent)), c.path)
    )
    return {
        "before": before,
        "places": [
            (
                c.path,
                c.status,
                c.new_size - c.old_size,
                c.new_disk_usage - c.old_disk_usage,
                c.new_size,
                c.new_disk_usage,
            )  # fmt: skip
            for c in places[:PLACES_SHOWN]
        ],
    }


def load(ref: str, db, path):
    """``diff``'s side ``@REF``: the snapshot as a result (of ``path``'s
    snapshots, when the other side names a PATH)."""
    try:
        with _history(db) as history:
            return history.load(ref, path)
    except HistoryError as exc:
        _fail(exc)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("history")
@click.argument("path", required=False, type=click.Path(path_type=str, readable=False))
@options.database
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--prune", is_flag=True, help="Remove the snapshots no --keep-* rule keeps.")
@click.option("--keep-last", type=click.IntRange(min=-1), default=0, metavar="N",
              help="With --prune: keep the N newest snapshots (-1: all).")  # fmt: skip
@click.option("--keep-hourly", type=click.IntRange(min=-1), default=0, metavar="N",
              help="... the newest of each of the last N hours that have one.")  # fmt: skip
@click.option("--keep-daily", type=click.IntRange(min=-1), default=0, metavar="N",
              help="... of each of the last N days.")  # fmt: skip
@click.option("--keep-weekly", type=click.IntRange(min=-1), default=0, metavar="N",
              help="... of each of the last N ISO weeks.")  # fmt: skip
@click.option("--keep-monthly", type=click.IntRange(min=-1), default=0, metavar="N",
              help="... of each of the last N months.")  # fmt: skip
@click.option("--keep-yearly", type=click.IntRange(min=-1), default=0, metavar="N",
              help="... of each of the last N years.")  # fmt: skip
@click.option("--drop", "drop", multiple=True, type=click.IntRange(min=1), metavar="ID",
              help="Remove snapshot ID (repeatable).")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="With --prune or --drop: say what would go.")
@options.sizes
def history_command(path, db, as_json, prune, drop, dry_run, apparent, si, exact, color, **keep):
    """List the snapshots kept by --save, newest first (of PATH, if given).

    With --prune, remove those that no --keep-* rule keeps, per PATH (the
    rules of restic's forget: a snapshot any rule keeps stays); with --drop,
    the snapshots named.  The database file shrinks to what is left.
    """
    from ..history.retention import Keep, kept

    size = options.size_format(si, exact)
    rules = Keep(**{k[len("keep_") :]: v for k, v in keep.items()})
    if prune and rules.empty:
        raise click.UsageError("--prune needs at least one --keep-* rule (nothing would stay)")
    if not prune and not rules.empty:
        raise click.UsageError("--keep-* rules are for --prune")
    if dry_run and not (prune or drop):
        raise click.UsageError("--dry-run is for --prune and --drop")
    try:
        with _history(db) as history:
            snaps = history.snapshots(path)
            if not (prune or drop):
                if as_json:
                    _json({"database": history.path, "snapshots": [s.to_dict() for s in snaps]})
                else:
                    streams.write_stdout(history_report(snaps, size) + "\n")
                sys.exit(EXIT_OK)
            gone = {history.snapshot(ref).id for ref in drop}
            if prune:
                trees: dict = {}
                for s in snaps:
                    trees.setdefault((s.host, s.path), []).append(s)
                for group in trees.values():
                    staying = kept(group, rules)
                    gone |= {s.id for s in group if s.id not in staying}
            if not dry_run:
                history.drop(gone)
    except HistoryError as exc:
        _fail(exc)
    removed = [s for s in snaps if s.id in gone]
    if as_json:
        _json({"removed": [s.id for s in removed], "dry_run": dry_run})
    else:
        verb = "would remove" if dry_run else "removed"
        text = f"{verb} {len(removed)} snapshot{'' if len(removed) == 1 else 's'}"
        listed = history_report(removed, size) if removed else ""
        streams.write_stdout(text + ("\n" + listed if listed else "") + "\n")
    sys.exit(EXIT_OK)


@click.command("growth")
@click.argument("path", required=False, type=click.Path(path_type=str, readable=False))
@click.option("--since", metavar="WHEN", default=None,
              help="The older snapshot: an id, -N, a date or date-time, or an age (7d, 2w) "
              "[default: the one before the newest].")  # fmt: skip
@click.option("--until", metavar="WHEN", default=None,
              help="The newer snapshot [default: the newest].")  # fmt: skip
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many places, files, types and owners to list (0: all).")  # fmt: skip
@click.option("--tree", "as_tree", is_flag=True,
              help="Show the places with every directory above them.")  # fmt: skip
@options.database
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@options.sizes
def growth_command(path, since, until, top, as_tree, db, as_json, apparent, si, exact, color):
    """Show where PATH grew or shrank between two snapshots (default: the last two).

    A place is listed where the change happened: a directory whose change
    is mostly one subdirectory's is left to that subdirectory.  CHANGE is
    everything at and below it, HERE the directory itself and its own files.
    WHEN names the newest snapshot taken at or before it.
    """
    size = options.size_format(si, exact)
    try:
        with _history(db) as history:
            growth = history.growth(
                since if since is not None else "-2",
                until if until is not None else "latest",
                path,
                apparent=apparent,
            )
    except HistoryError as exc:
        _fail(exc)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if as_json:
        _json(growth.to_dict(top or None))
    else:
        text = growth_report(growth, size, Palette(options.colour(color)), top, as_tree)
        streams.write_stdout(text + "\n")
    sys.exit(EXIT_OK)


@click.command("trend")
@click.argument("directory", type=click.Path(path_type=str, readable=False))
@options.database
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@options.sizes
def trend_command(directory, db, as_json, apparent, si, exact, color):
    """Show DIRECTORY's totals in every snapshot that holds it, oldest first.

    DIRECTORY is a PATH saved with --save or any directory below one.
    """
    size = options.size_format(si, exact)
    try:
        with _history(db) as history:
            points = history.trend(directory)
    except HistoryError as exc:
        _fail(exc)
    if as_json:
        from ..model.names import path_fields

        _json(
            dict(
                path_fields(directory),
                points=[
                    dict(
                        snapshot=p.snapshot.id,
                        taken_at=p.snapshot.taken_at,
                        size=p.size,
                        disk_usage=p.disk_usage,
                        files=p.files,
                        dirs=p.dirs,
                        unreadable=p.unreadable,
                    )
                    for p in points
                ],
            )
        )
    else:
        streams.write_stdout(trend_report(directory, points, size, apparent) + "\n")
    sys.exit(EXIT_OK)
