"""The history: snapshots in a real SQLite file, growth against du, retention as restic's."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import du, run_cli, write

from sizescan import History, HistoryError, scan
from sizescan.history import schema
from sizescan.history.retention import Keep, kept
from sizescan.history.when import parse_when


def saved(db, root, **settings):
    """Scan ``root`` as --save does, keep it in ``db``; the snapshot."""
    result = scan(root, sums=True, top=100, **settings)
    with History(db) as history:
        (snap,) = history.save(result)
    return snap


@pytest.fixture
def tree(tmp_path):
    root = str(tmp_path / "data")
    write(f"{root}/logs/app/today.log", size=200_000)
    write(f"{root}/logs/app/old.log", size=10_000)
    write(f"{root}/logs/sys/kern.log", size=30_000)
    write(f"{root}/cache/blob", size=50_000)
    write(f"{root}/src/main.py", size=4_000)
    write(f"{root}/media/movie.mkv", size=400_000)
    write(f"{root}/media/deep/a/b/c/d.txt", size=1_000)
    return root


def change(root):
    write(f"{root}/logs/app/today.log", size=3_000_000)  # grew: the place is logs/app
    write(f"{root}/media/movie.mkv", size=100_000)  # shrank
    shutil.rmtree(f"{root}/cache")  # gone
    write(f"{root}/build/out/pkg.whl", size=60_000)  # new, two levels
    write(f"{root}/media/deep/a/b/c/e.txt", size=5_000)


def du_dirs(root) -> dict:
    """{path relative to root: (apparent, disk)} of every directory, from GNU du."""
    apparent, disk = du("-b", root), du("-B1", root)
    rel = {}
    for path in disk:
        name = "." if path == root else os.path.relpath(path, root)
        rel[name] = (apparent[path], disk[path])
    return rel


def test_growth_equals_the_difference_of_du_for_every_changed_directory(tree, tmp_path):
    db = str(tmp_path / "h.db")
    before = du_dirs(tree)
    saved(db, tree)
    change(tree)
    after = du_dirs(tree)
    saved(db, tree)
    with History(db) as history:
        growth = history.growth("-2", "latest", tree)
    by_path = {c.path: c for c in growth.changes}
    # Every directory du sees change is listed, and only those.
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    assert set(by_path) == changed
    for path, c in by_path.items():
        assert (c.old_size, c.old_disk_usage) == before.get(path, (0, 0)), path
        assert (c.new_size, c.new_disk_usage) == after.get(path, (0, 0)), path
    assert by_path["cache"].status == "gone" and by_path["build/out"].status == "new"
    assert by_path["logs/app"].status == "grew" and by_path["media"].status == "shrank"
    # Where it happened: logs/app, not logs and not "." above it.
    places = [c.path for c in growth.places()]
    assert places[0] == "logs/app"
    assert "logs" not in places and "." not in places
    # A new or gone subtree is named by its top.
    assert "build" in places and "build/out" not in places and "cache" in places
    assert growth.total_change == after["."][1] - before["."][1]
    # The change in the directory itself: logs/app's own files grew; logs' did not.
    app = by_path["logs/app"]
    assert app.own_change() == app.change()
    assert by_path["logs"].own_change() == 0
    # The largest files: the new wheel is new, the log grew, the movie shrank.
    files = {f.path: f.status for f in growth.files}
    assert files["logs/app/today.log"] == "grew"
    assert files["build/out/pkg.whl"] == "new"
    assert files["cache/blob"] == "gone"


def test_growth_command_text_tree_and_json(tree, tmp_path):
    db = str(tmp_path / "h.db")
    env = {"SIZESCAN_DB": db}
    assert run_cli(tree, "--save", "--no-progress", env=env).returncode == 0
    change(tree)
    assert run_cli(tree, "--save", "--no-progress", env=env).returncode == 0
    proc = run_cli("growth", tree, "-b", env=env)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    lines = text.splitlines()
    where = lines.index(next(line for line in lines if line.startswith("Where it changed")))
    assert lines[where + 2].split()[-1] == "logs/app"
    proc = run_cli("growth", tree, "--tree", env=env)
    tree_lines = proc.stdout.decode().splitlines()
    names = [line.split()[-1] for line in tree_lines if line.strip()]
    assert names.index("logs") < names.index("app")  # the chain, top down
    proc = run_cli("growth", tree, "--json", env=env)
    doc = json.loads(proc.stdout)
    assert doc["places"][0] == "logs/app"
    row = next(c for c in doc["changes"] if c["path"] == "logs")
    assert row["own_change"] == 0 and row["change"] == row["new_disk_usage"] - row["old_disk_usage"]
    assert doc["rules_differ"] == {} and doc["rules_unknown"] is False


def test_snapshots_of_a_scan_and_of_its_ncdu_export_are_equal(tree, tmp_path):
    db = str(tmp_path / "h.db")
    export = str(tmp_path / "ncdu.json")
    subprocess.run(["ncdu", "-0", "-o", export, tree], check=True, capture_output=True)
    live = saved(db, tree)
    proc = run_cli("-f", export, "--save", "--db", db, "--no-progress")
    assert proc.returncode == 0, proc.stderr
    with History(db) as history:
        snaps = history.snapshots(tree)
        assert len(snaps) == 2  # one PATH: the export lands beside the scan
        imported = next(s for s in snaps if s.source == "export")
        assert imported.rules is None and live.rules is not None
        for field in ("size", "disk_usage", "files", "dirs", "path"):
            assert getattr(imported, field) == getattr(live, field), field
        a, b = history.load(live.id), history.load(imported.id)
        assert a.directories().keys() == b.directories().keys()
        assert a.directories() == {
            p.replace(b.paths[0], a.paths[0], 1): d for p, d in b.directories().items()
        }
        growth = history.growth(live.id, imported.id)
        assert growth.changes == [] and growth.rules_unknown


def test_an_export_is_dated_by_its_timestamp_or_by_at(tree, tmp_path):
    db = str(tmp_path / "h.db")
    export = str(tmp_path / "t.json")
    scan(tree, export=export)
    stamp = json.load(open(export))[2]["timestamp"]
    assert run_cli("-f", export, "--save", "--db", db).returncode == 0
    proc = run_cli("-f", export, "--save", "--db", db, "--at", "2026-01-02 03:04")
    assert proc.returncode == 0, proc.stderr
    with History(db) as history:
        times = sorted(s.taken_at for s in history.snapshots())
    assert times == sorted([stamp, parse_when("2026-01-02 03:04").at])
    proc = run_cli(tree, "--at", "7d", "--db", db)
    assert proc.returncode == 2 and b"--at" in proc.stderr


def test_unchanged_directories_cost_no_row(tree, tmp_path):
    db = str(tmp_path / "h.db")
    saved(db, tree)
    con = sqlite3.connect(db)
    rows = con.execute("SELECT count(*) FROM version").fetchone()[0]
    dirs = int(
        subprocess.run(["find", tree, "-type", "d"], capture_output=True).stdout.count(b"\n")
    )
    assert rows == dirs
    saved(db, tree)
    assert con.execute("SELECT count(*) FROM version").fetchone()[0] == rows
    write(f"{tree}/media/deep/a/b/c/new.txt", size=9_000)
    saved(db, tree)
    # One new row for each directory on the way down, and no other.
    assert con.execute("SELECT count(*) FROM version").fetchone()[0] == rows + 6
    with History(db) as history:
        snaps = history.snapshots(tree)
        for snap in snaps:  # each snapshot reads back whole, with its own totals
            result = history.load(snap.id)
            top = result.directories()[result.paths[0]]
            assert (top.size, top.disk_usage, top.files) == (snap.size, snap.disk_usage, snap.files)


def test_trend_and_history_commands(tree, tmp_path):
    db = str(tmp_path / "h.db")
    env = {"SIZESCAN_DB": db}
    sizes = []
    for n in range(3):
        write(f"{tree}/logs/app/grow.log", size=100_000 * (n + 1))
        assert run_cli(tree, "--save", "-q", env=env).returncode == 0
        sizes.append(du("-sB1", f"{tree}/logs/app")[f"{tree}/logs/app"])
    proc = run_cli("trend", f"{tree}/logs/app", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert [p["disk_usage"] for p in json.loads(proc.stdout)["points"]] == sizes
    text = run_cli("trend", f"{tree}/logs/app", "-b", env=env).stdout.decode()
    assert "▁" in text and "█" in text and str(sizes[-1]) in text
    proc = run_cli("history", "--json", env=env)
    snaps = json.loads(proc.stdout)["snapshots"]
    assert [s["id"] for s in snaps] == [3, 2, 1]  # newest first
    lines = run_cli("history", tree, env=env).stdout.decode().splitlines()
    assert lines[0].split()[:2] == ["ID", "TAKEN"] and len(lines) == 4
    proc = run_cli("trend", str(tmp_path), env=env)
    assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1


def test_diff_takes_snapshot_references(tree, tmp_path):
    db = str(tmp_path / "h.db")
    saved(db, tree)
    change(tree)
    proc = run_cli("diff", "@-1", tree, "--db", db, "--json", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    changes = {c["path"]: c for c in json.loads(proc.stdout)["changes"]}
    assert changes["cache"]["status"] == "gone" and changes["logs/app"]["status"] == "grew"
    saved(db, tree)
    proc = run_cli("diff", "@1", "@latest", "--db", db, "--json", "--top", "0")
    assert proc.returncode == 0, proc.stderr
    assert {c["path"] for c in json.loads(proc.stdout)["changes"]} >= {"cache", "logs/app"}
    proc = run_cli("diff", "@9", tree, "--db", db)
    assert proc.returncode == 2 and proc.stderr == f"sizescan: no snapshot 9 in {db}\n".encode()


HOSTILE = [b"caf\xe9", b"new\nline", b"-rf", b"tab\there", b"\xff\xfe", b"sp ace ", b"q'uo\"te"]


def test_hostile_names_round_trip(tmp_path):
    root = tmp_path / "h"
    root.mkdir()
    broot = os.fsencode(str(root))
    for name in HOSTILE:
        os.makedirs(broot + b"/" + name + b"/" + name)
        with open(broot + b"/" + name + b"/" + name + b"/f", "wb") as f:
            f.write(b"x" * 5000)
    db = str(tmp_path / "h.db")
    result = scan(str(root), sums=True)
    with History(db) as history:
        history.save(result)
        back = history.load("latest", str(root))
        assert back.directories() == result.directories()
        deep = os.fsdecode(broot + b"/" + HOSTILE[0] + b"/" + HOSTILE[0])
        (point,) = history.trend(deep)
        assert point.size == 5000 + result.directories()[deep].size - 5000


# restic's own golden cases (internal/data/testdata/policy_keep_snapshots_{5,15,16}):
# its test list of snapshot times, the policy, and what restic keeps.
RESTIC_TIMES = """
2014-09-01 10:20:30,2014-09-02 10:20:30,2014-09-05 10:20:30,2014-09-06 10:20:30,
2014-09-08 10:20:30,2014-09-09 10:20:30,2014-09-10 10:20:30,2014-09-11 10:20:30,
2014-09-20 10:20:30,2014-09-22 10:20:30,2014-08-08 10:20:30,2014-08-10 10:20:30,
2014-08-12 10:20:30,2014-08-13 10:20:30,2014-08-13 10:20:30.1,2014-08-15 10:20:30,
2014-08-18 10:20:30,2014-08-20 10:20:30,2014-08-21 10:20:30,2014-08-22 10:20:30,
2014-10-01 10:20:30,2014-10-02 10:20:30,2014-10-05 10:20:30,2014-10-06 10:20:30,
2014-10-08 10:20:30,2014-10-09 10:20:30,2014-10-10 10:20:30,2014-10-11 10:20:30,
2014-10-20 10:20:30,2014-10-22 10:20:30,2014-11-08 10:20:30,2014-11-10 10:20:30,
2014-11-12 10:20:30,2014-11-13 10:20:30,2014-11-13 10:20:30.1,2014-11-15 10:20:30,
2014-11-18 10:20:30,2014-11-20 10:20:30,2014-11-21 10:20:30,2014-11-22 10:20:30,
2015-09-01 10:20:30,2015-09-02 10:20:30,2015-09-05 10:20:30,2015-09-06 10:20:30,
2015-09-08 10:20:30,2015-09-09 10:20:30,2015-09-10 10:20:30,2015-09-11 10:20:30,
2015-09-20 10:20:30,2015-09-22 10:20:30,2015-08-08 10:20:30,2015-08-10 10:20:30,
2015-08-12 10:20:30,2015-08-13 10:20:30,2015-08-13 10:20:30.1,2015-08-15 10:20:30,
2015-08-18 10:20:30,2015-08-20 10:20:30,2015-08-21 10:20:30,2015-08-22 10:20:30,
2015-10-01 10:20:30,2015-10-02 10:20:30,2015-10-05 10:20:30,2015-10-06 10:20:30,
2015-10-08 10:20:30,2015-10-09 10:20:30,2015-10-10 10:20:30,2015-10-11 10:20:30,
2015-10-20 10:20:30,2015-10-22 10:20:30,2015-10-22 10:20:30,2015-10-22 10:20:30,
2015-10-22 10:20:30,2015-10-22 10:20:30,2015-11-08 10:20:30,2015-11-10 10:20:30,
2015-11-12 10:20:30,2015-11-13 10:20:30,2015-11-13 10:20:30.1,2015-11-15 10:20:30,
2015-11-18 10:20:30,2015-11-20 10:20:30,2015-11-21 10:20:30,2015-11-22 10:20:30,
2016-01-01 01:02:03,2016-01-01 01:03:03,2016-01-01 07:08:03,2016-01-03 07:02:03,
2016-01-04 10:23:03,2016-01-04 11:23:03,2016-01-04 12:23:03,2016-01-04 12:24:03,
2016-01-04 12:28:03,2016-01-04 12:30:03,2016-01-04 16:23:03,2016-01-05 09:02:03,
2016-01-06 08:02:03,2016-01-07 10:02:03,2016-01-08 20:02:03,2016-01-09 21:02:03,
2016-01-12 21:02:03,2016-01-12 21:08:03,2016-01-18 12:02:03
"""
RESTIC_KEPT = {
    Keep(hourly=20): "2016-01-18 12:02:03,2016-01-12 21:08:03,2016-01-09 21:02:03,"
    "2016-01-08 20:02:03,2016-01-07 10:02:03,2016-01-06 08:02:03,2016-01-05 09:02:03,"
    "2016-01-04 16:23:03,2016-01-04 12:30:03,2016-01-04 11:23:03,2016-01-04 10:23:03,"
    "2016-01-03 07:02:03,2016-01-01 07:08:03,2016-01-01 01:03:03,2015-11-22 10:20:30,"
    "2015-11-21 10:20:30,2015-11-20 10:20:30,2015-11-18 10:20:30,2015-11-15 10:20:30,"
    "2015-11-13 10:20:30.1",
    Keep(daily=2, weekly=2, monthly=6): "2016-01-18 12:02:03,2016-01-12 21:08:03,"
    "2015-11-22 10:20:30,2015-10-22 10:20:30,2015-09-22 10:20:30,2015-08-22 10:20:30,"
    "2014-11-22 10:20:30",
    Keep(yearly=10): "2016-01-18 12:02:03,2015-11-22 10:20:30,2014-11-22 10:20:30,"
    "2014-08-08 10:20:30",
}


class _Snap:
    def __init__(self, sid, at):
        self.id, self.taken_at = sid, at


def _utc(text):
    from datetime import datetime, timezone

    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize("keep", list(RESTIC_KEPT), ids=lambda k: repr(k)[5:-1])
def test_retention_keeps_what_restic_keeps(keep, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")  # restic's cases are in UTC
    time.tzset()
    try:
        times = [t.strip() for t in RESTIC_TIMES.replace("\n", "").split(",")]
        snaps = [_Snap(i, _utc(t)) for i, t in enumerate(times)]
        chosen = sorted((_utc(t) for t in RESTIC_KEPT[keep].split(",")), reverse=True)
        got = sorted((s.taken_at for s in snaps if s.id in kept(snaps, keep)), reverse=True)
        assert got == chosen
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_prune_and_drop_shrink_the_file_and_keep_the_rest_whole(tree, tmp_path):
    db = str(tmp_path / "h.db")
    env = {"SIZESCAN_DB": db}
    for n in range(6):
        for d in range(40):  # changes worth some pages
            write(f"{tree}/gen{n}/d{d}/f", size=1000)
        assert run_cli(tree, "--save", "-q", env=env).returncode == 0
    with History(db) as history:
        keep_ids = [s.id for s in history.snapshots()][:2]
        wanted = {sid: history.load(sid).directories() for sid in keep_ids}
    proc = run_cli("history", "--prune", "--keep-last", "2", "--dry-run", env=env)
    assert proc.stdout.decode().startswith("would remove 4 snapshots")
    before = os.path.getsize(db)
    proc = run_cli("history", "--prune", "--keep-last", "2", env=env)
    assert proc.returncode == 0 and proc.stdout.decode().startswith("removed 4 snapshots")
    assert os.path.getsize(db) < before
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with History(db) as history:
        assert [s.id for s in history.snapshots()] == keep_ids
        for sid, dirs in wanted.items():
            assert history.load(sid).directories() == dirs
    # Dropping the newest makes the one before it the base of the next save.
    assert run_cli("history", "--drop", str(keep_ids[0]), env=env).returncode == 0
    write(f"{tree}/later/x", size=7000)
    assert run_cli(tree, "--save", "-q", env=env).returncode == 0
    with History(db) as history:
        growth = history.growth(keep_ids[1], "latest")
        assert {c.path for c in growth.changes} == {".", "later", "gen5"} | {
            f"gen5/d{d}" for d in range(40)
        }
    assert run_cli("history", "--prune", env=env).returncode == 2  # no rule: refused
    assert run_cli("history", "--drop", "99", env=env).returncode == 2


def test_database_problems_are_one_line_and_exit_2_and_change_nothing(tree, tmp_path):
    def attempt(db, *args):
        proc = run_cli(tree, "--save", "--no-progress", "--db", db, *args)
        lines = proc.stderr.decode().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in lines[0], proc
        return lines[0]

    text = tmp_path / "notes.txt"
    text.write_bytes(b"not a database at all, but someone's notes\n" * 100)
    original = text.read_bytes()
    out = tmp_path / "scan.json"
    line = attempt(str(text), "-o", str(out))
    assert "not a database" in line and text.read_bytes() == original
    assert json.load(open(out))  # the scan's own output is written all the same
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    assert "not a sizescan history" in attempt(str(other))
    newer = tmp_path / "newer.db"
    saved(str(newer), tree)
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    con.commit()
    con.close()
    image = newer.read_bytes()
    assert "newer sizescan" in attempt(str(newer))
    assert newer.read_bytes() == image
    corrupt = tmp_path / "corrupt.db"
    saved(str(corrupt), tree)
    data = bytearray(corrupt.read_bytes())
    data[4096:8192] = b"\x5a" * 4096  # a page of the tables, overwritten
    corrupt.write_bytes(bytes(data))
    assert "malformed" in attempt(str(corrupt)) or "corrupt" in attempt(str(corrupt))
    for command in (["history"], ["growth"], ["trend", tree]):
        proc = run_cli(*command, "--db", str(tmp_path / "missing.db"))
        assert proc.returncode == 2 and b"no history database" in proc.stderr
        assert not (tmp_path / "missing.db").exists()


def test_read_only_and_full_databases_fail_whole(tree, tmp_path, public_tmp):
    db = os.path.join(public_tmp, "h.db")
    write(f"{public_tmp}/t/f", size=3000)
    assert run_cli(f"{public_tmp}/t", "--save", "--db", db).returncode == 0
    image = open(db, "rb").read()
    proc = run_cli(f"{public_tmp}/t", "--save", "--db", db, user="nobody")
    assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1, proc.stderr
    assert b"Traceback" not in proc.stderr and open(db, "rb").read() == image
    # A filesystem that fills up mid-save (a file size limit: EFBIG as ENOSPC).
    for n in range(300):
        write(f"{tree}/many/d{n}/f", size=10)
    full = str(tmp_path / "full.db")
    saved(full, tree)
    for n in range(300):
        write(f"{tree}/many/d{n}/f", size=20)

    def limited():
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        # Two pages: the first frames of the journal fit, the rest of the save does not.
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    proc = subprocess.run(
        [sys.executable, "-m", "sizescan", tree, "--save", "--db", full, "-q"],
        capture_output=True,
        preexec_fn=limited,
    )
    assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1, proc.stderr
    con = sqlite3.connect(full)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT count(*) FROM snapshot").fetchone()[0] == 1


def test_a_planted_link_is_not_followed(tree, public_tmp):
    sticky = os.path.join(public_tmp, "sticky")
    os.mkdir(sticky)
    os.chmod(sticky, 0o1777)
    victim = os.path.join(public_tmp, "victim")
    open(victim, "wb").write(b"root's own file")
    link = os.path.join(sticky, "h.db")
    subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "ln", "-s", victim, link], check=True)  # fmt: skip
    proc = run_cli(tree, "--save", "--db", link)
    assert proc.returncode == 2 and b"protected_symlinks" in proc.stderr
    assert open(victim, "rb").read() == b"root's own file"


def test_an_older_layout_is_upgraded_in_one_step(tree, tmp_path, monkeypatch):
    db = str(tmp_path / "h.db")
    saved(db, tree)
    monkeypatch.setattr(schema, "VERSION", schema.VERSION + 1)
    monkeypatch.setattr(
        schema, "UPGRADES", {schema.VERSION - 1: ("ALTER TABLE snapshot ADD COLUMN note TEXT",)}
    )
    with History(db) as history:
        assert len(history.snapshots()) == 1  # a reader upgrades it too
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION
    assert "note" in [r[1] for r in con.execute("PRAGMA table_info(snapshot)")]
    con.close()
    # A step that fails leaves the layout as it was: the version too.
    monkeypatch.setattr(schema, "VERSION", schema.VERSION + 1)
    monkeypatch.setattr(
        schema,
        "UPGRADES",
        {
            schema.VERSION - 1: (
                "ALTER TABLE snapshot ADD COLUMN other TEXT",
                "ALTER TABLE no_such_table ADD COLUMN x",
            )
        },
    )
    with pytest.raises(HistoryError):
        History(db).snapshots()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION - 1
    assert "other" not in [r[1] for r in con.execute("PRAGMA table_info(snapshot)")]


def test_when_reads_ids_references_dates_and_ages():
    now = 1_800_000_000.0
    assert parse_when("42").id == 42 and parse_when("@42").id == 42
    assert parse_when("latest").back == 1 and parse_when("@-3").back == 3
    assert parse_when("7d", now).at == now - 7 * 86400
    assert parse_when("2w", now).at == now - 14 * 86400
    assert parse_when("12h", now).at == now - 12 * 3600
    assert parse_when("2026-12-01").at == time.mktime((2026, 12, 1, 0, 0, 0, 0, 0, -1))
    assert parse_when("2026-12-01T00:00:00+00:00").at == _utc("2026-12-01 00:00:00")
    for bad in ("yesterday", "-0", "7x", ""):
        with pytest.raises(ValueError):
            parse_when(bad)


def test_whose_usage_grew_and_of_which_type(tree, tmp_path, public_tmp):
    db = str(tmp_path / "h.db")
    root = os.path.join(public_tmp, "shared")
    write(f"{root}/a/x.log", size=5000)
    assert run_cli(root, "--save", "--by-owner", "--by-type", "-q", "--db", db).returncode == 0
    os.chmod(root, 0o777)
    subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "mkdir", f"{root}/nb"], check=True)  # fmt: skip
    subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "sh", "-c", f"head -c 70000 /dev/zero > {root}/nb/big.iso"], check=True)  # fmt: skip
    assert run_cli(root, "--save", "--by-owner", "--by-type", "-q", "--db", db).returncode == 0
    proc = run_cli("growth", root, "--json", "--db", db)
    doc = json.loads(proc.stdout)
    owners = {o["owner"]: o for o in doc["by_owner"]}
    nobody = owners["user nobody"]
    assert nobody["old_size"] == 0 and nobody["new_size"] >= 70000
    kinds = {k["type"]: k for k in doc["by_type"]}
    assert kinds[".iso"]["new_size"] == 70000 and kinds[".iso"]["old_count"] == 0


@pytest.mark.slow
def test_concurrent_saves_all_land(tree, tmp_path):
    db = str(tmp_path / "h.db")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "sizescan", tree, "--save", "--db", db, "-q"],
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with History(db) as history:
        snaps = history.snapshots()
        assert len(snaps) == 4
        for snap in snaps:
            assert history.load(snap.id).directories() == history.load(snaps[0].id).directories()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_killed_saves_leave_the_history_whole(tmp_path, how):
    import random
    import signal

    # 20,000 directories: the save is a tenth of the run, where about one
    # kill in five lands.
    root = str(tmp_path / "big")
    for a in range(100):
        for b in range(200):
            os.makedirs(f"{root}/d{a}/e{b}")
    db = str(tmp_path / "h.db")
    saved(db, root)
    with History(db) as history:
        first = history.load("latest", root).directories()
    rng = random.Random(how)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "sizescan", root, "--save", "--db", db, "-q"], capture_output=True
    )
    duration = time.monotonic() - started
    landed = 2
    for n in range(12):
        os.makedirs(f"{root}/d{n}/new{n}")  # rows to write each time
        proc = subprocess.Popen(
            [sys.executable, "-m", "sizescan", root, "--save", "--db", db, "-q"],
            stderr=subprocess.PIPE,
        )
        time.sleep(rng.uniform(0.5, 1.05) * duration)
        proc.send_signal(signal.SIGKILL if how == "SIGKILL" else signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        if how == "SIGINT":  # (a SIGKILL'd run's orphans may say their pipe broke)
            assert b"Traceback" not in err
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = con.execute("SELECT count(*) FROM snapshot").fetchone()[0]
        con.close()
        # Landed or not (a signal after the commit ends a run whose save is
        # in), and never a part of one: each snapshot reads back whole below.
        assert count == landed + 1 if proc.returncode == 0 else count in (landed, landed + 1)
        landed = count
    with History(db) as history:
        snaps = history.snapshots(root)
        assert history.load(snaps[-1].id).directories() == first
        for snap in snaps:
            back = history.load(snap.id)
            top = back.directories()[back.paths[0]]
            assert (top.size, top.disk_usage, top.files) == (snap.size, snap.disk_usage, snap.files)
            assert len(back.directories()) == snap.dirs
