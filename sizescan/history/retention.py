"""Which snapshots ``history --prune`` keeps: restic's ``forget`` rules.

Snapshots are taken newest first.  ``last`` keeps the N newest; ``hourly``,
``daily``, ``weekly``, ``monthly`` and ``yearly`` each keep the newest
snapshot of each of the last N hours, days, ISO weeks, months or years
that have one (local time).  A snapshot any rule keeps is kept; the rules
count on their own, as restic's do (its internal/restic/snapshot_policy.go),
and -1 is "no limit".
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Keep:
    """How many snapshots each rule keeps (0: the rule is off; -1: all)."""

    last: int = 0
    hourly: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0

    @property
    def empty(self) -> bool:
        return not any((self.last, self.hourly, self.daily, self.weekly, self.monthly, self.yearly))


def _buckets(keep: Keep):
    def hour(t, nr):
        return (t.tm_year, t.tm_yday, t.tm_hour)

    def day(t, nr):
        return (t.tm_year, t.tm_yday)

    def week(t, nr):
        import datetime

        iso = datetime.date(t.tm_year, t.tm_mon, t.tm_mday).isocalendar()
        return (iso[0], iso[1])

    def month(t, nr):
        return (t.tm_year, t.tm_mon)

    def year(t, nr):
        return t.tm_year

    def always(t, nr):
        return nr  # every snapshot a bucket of its own

    return [
        [keep.last, always],
        [keep.hourly, hour],
        [keep.daily, day],
        [keep.weekly, week],
        [keep.monthly, month],
        [keep.yearly, year],
    ]


def kept(snapshots, keep: Keep) -> set:
    """The ids of ``snapshots`` (with ``id`` and ``taken_at``) that ``keep`` keeps."""
    ordered = sorted(snapshots, key=lambda s: (s.taken_at, s.id), reverse=True)
    buckets = [[count, bucket, None] for count, bucket in _buckets(keep)]
    out = set()
    oldest = len(ordered) - 1
    for nr, snap in enumerate(ordered):
        moment = time.localtime(snap.taken_at)
        for rule in buckets:
            count, bucket, last = rule
            if count == 0:
                continue
            value = bucket(moment, nr)
            # The oldest is kept too while a rule has counts left: the
            # longest history the counts allow (restic 0.17 and later).
            if value != last or nr == oldest:
                out.add(snap.id)
                rule[2] = value
                if count > 0:
                    rule[0] -= 1
    return out
