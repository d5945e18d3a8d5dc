"""What --by-type and --by-age group entries by: kinds and modification-time buckets.

Shared by the per-entry pipeline (``worker``) and the export reader
(``ncdu``), so a scan and an import group alike.
"""

from __future__ import annotations

import stat as _stat

# Modification-time buckets of --by-age: (label, upper bound in seconds),
# ages measured from the scan's start (a file dated in the future is "< 1 day").
AGES = (
    ("< 1 day", 86400),
    ("1 day - 1 week", 7 * 86400),
    ("1 week - 1 month", 30 * 86400),
    ("1 month - 1 year", 365 * 86400),
    (">= 1 year", None),
)
# (Which bucket a file falls in: tally.age_bucket.)

DIRECTORY_KIND = "(directory)"


def kind_of(name: str, mode: int) -> str:
    """What --by-type groups an entry under: its extension, or what it is.

    The extension is the last suffix, lower-cased, if it is short and
    alphanumeric (``.tar.gz`` is ``.gz``; ``.bashrc`` has none), so
    arbitrary names cannot flood the table.
    """
    fmt = _stat.S_IFMT(mode)
    if fmt == _stat.S_IFREG:
        return suffix_kind(tally_key(name, mode))
    if fmt == _stat.S_IFDIR:
        return DIRECTORY_KIND
    if fmt == _stat.S_IFLNK:
        return "(symlink)"
    return "(other)"


def merge_suffixes(counts: dict, into: dict | None = None) -> dict:
    """``{suffix or kind: [count, apparent, disk]}`` summed by kind (see suffix_kind).

    The per-entry loops group regular files by their raw suffix, which is
    cheap; the suffixes become kinds here, once per directory.  A kind is
    its own kind, so this also adds up counts that are kinds already.
    """
    by_kind = {} if into is None else into
    for key, (count, size, blocks) in counts.items():
        add_counts(by_kind, key_kind(key), count, size, blocks)
    return by_kind


def key_kind(key: str) -> str:
    """The kind a tally key (see tally_key) is counted under: a kind is its own."""
    return key if key[:1] == "(" else suffix_kind(key)


def suffix_kind(suffix: str) -> str:
    """The kind of a regular file whose name ends in ``suffix`` ("" or ".xyz")."""
    ext = suffix[1:]
    if 0 < len(ext) <= 8 and ext.isascii() and ext.isalnum():
        return suffix.lower()
    return "(no extension)"


def tally_key(name: str, mode: int) -> str:
    """What DirTally.add groups an entry under: a regular file's raw suffix
    (made a kind once per directory, by merge_suffixes), else its kind.

    The one suffix rule: the last dot and what follows, "" for none or for
    a name that only starts with a dot.  Inline, not a call: with views it
    runs once per file."""
    if _stat.S_ISREG(mode):
        dot = name.rfind(".")
        return name[dot:] if dot > 0 else ""
    return kind_of(name, mode)


def add_counts(table: dict, key, count: int, apparent: int, disk: int) -> None:
    """Add to ``table[key]``, a ``[count, apparent, disk]`` (made if missing)."""
    slot = table.get(key)
    if slot is None:
        table[key] = [count, apparent, disk]
    else:
        slot[0] += count
        slot[1] += apparent
        slot[2] += disk


def add_owner(owners: dict, uid: int, gid: int, apparent: int, disk: int) -> None:
    """Count one entry owned by ``uid`` and ``gid`` into ``owners`` (see Detail)."""
    add_counts(owners, (uid, gid), 1, apparent, disk)
