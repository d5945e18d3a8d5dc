"""How a scan is *made*: a walker, a pool of workers and a collector process.

``records`` is the wire contract between them.  ``plan`` turns the PATHs
and the options into one plan (a ``Root`` per PATH, the settings resolved
for the filesystems found).  Each worker runs the per-entry ``pipeline``
(the entry filter of ``exclude`` and ``entries``, the ``tally`` of a
directory's kinds, ages and largest files), with ``lanes`` of threads on
slow filesystems.  The ``walker`` feeds the ``pool`` (a
``multiprocessing.Pool``, supervised there) or a Dask cluster (``dask``);
the ``collector`` process alone owns the totals (``collect``).  ``fs``
knows the machine: mounts, filesystem types, latency, descriptors.  The
engine knows no file format: an export's encoder and spool are handed in.
"""
