"""The moments and references a person names snapshots by.

``42`` or ``@42`` is snapshot 42; ``latest`` (``@latest``) the newest of a
PATH and ``-1``, ``-2``... the newest, the one before it...; a date
(``2026-12-01``, midnight local time), a date-time (``2026-12-01 14:30``,
``2026-12-01T14:30:00``, local time unless it names its zone) or an age
(``90m``, ``12h``, ``7d``, ``2w``, ``6mo``, ``1y``: that long before now)
is a moment, and names the newest snapshot taken at or before it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime

_AGE = re.compile(r"(\d+)(m|min|h|d|w|mo|y)")
_SECONDS = {
    "m": 60,
    "min": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "mo": 30 * 86400,
    "y": 365 * 86400,
}


@dataclass(frozen=True)
class Moment:
    """What a WHEN names: a snapshot ``id``, the ``back``-th newest, or the
    newest taken at or before ``at`` (Unix time); ``text`` for messages."""

    text: str
    id: int | None = None
    back: int | None = None
    at: float = 0.0


def parse_when(text: str, now: float | None = None) -> Moment:
    """Read a WHEN (see the module's docstring); ValueError says what is wrong."""
    spoken = text.strip()
    body = spoken[1:] if spoken.startswith("@") else spoken
    if body.isdigit() and len(body) < 12:  # a year alone (2026) is read as an id too
        return Moment(spoken, id=int(body))
    if body == "latest":
        return Moment(spoken, back=1)
    if body.startswith("-") and body[1:].isdigit() and int(body[1:]) > 0:
        return Moment(spoken, back=int(body[1:]))
    age = _AGE.fullmatch(body)
    if age:
        start = time.time() if now is None else now
        return Moment(spoken, at=start - int(age.group(1)) * _SECONDS[age.group(2)])
    try:
        moment = datetime.fromisoformat(body)
    except ValueError:
        raise ValueError(
            f"{text!r} names no snapshot: give an id (42), latest or -N (-1 is the newest), "
            "a date (2026-12-01), a date-time (2026-12-01 14:30) or an age (7d, 2w, 12h)"
        ) from None
    return Moment(spoken, at=moment.timestamp())  # naive: local time
