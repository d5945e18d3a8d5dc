"""What a scan *is*: the model every other part speaks.

A directory is known by a key chained from its parent's (``keys``), and a
size is one of two measures (``measure``: apparent bytes or disk usage).
Entries group by kind and by age (``kinds``).  ``result`` holds what a scan
returns: per-PATH totals, the largest files and directories, the issues,
the views (by type, by age, by owner) and, when asked for, the whole tree
as a ``ScanModel`` (``tree``: the model and the trees drawn from it).  ``diff``
compares two results; ``options`` is what a scan is asked to do; ``names``
is how a name is shown to people.  Nothing here reads a disk or starts a
process, and nothing here imports the engine or a file format.
"""
