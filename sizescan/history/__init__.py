"""What a scan *was*: snapshots kept in a history database, and what changed.

A ``History`` (``store``) opens one SQLite database (``schema``: its
tables, their version and the upgrades; ``location``: where it is by
default) and keeps one snapshot per PATH of a saved scan: every
directory's totals, never its files, a directory's row written again only
when its totals change (``versions``).  ``growth`` compares two snapshots and
says where the change happened; ``when`` reads the moments and references a
person names snapshots by (an id, a date, an age like ``7d``, ``@-1``);
``retention`` is restic's rules for what ``--prune`` keeps.  It reads the
model's results and imports neither the engine nor an export format: a
snapshot from a live scan and one from an export are the same thing.
"""
