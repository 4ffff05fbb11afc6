"""Durations in survey templates: ``90m``, ``48h``, ``2d``, ``1w``, ``1d12h``.

A duration is written as one or more ``<number><unit>`` parts, largest unit first, with the
units ``w`` (weeks), ``d`` (days), ``h`` (hours) and ``m`` (minutes). Parts may be separated
by spaces (``1d 12h``). Inside a template model a duration is a :class:`datetime.timedelta`;
in JSON (the stored survey definition) it is written back in the same short form, so a
stored definition validates again unchanged. A duration is at most :data:`MAX_DURATION`
(a year): a poll open longer means nothing, and a far longer one would overflow the dates
it is added to.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer
from pydantic_core import PydanticCustomError

__all__ = ["MAX_DURATION", "Duration", "format_duration", "parse_duration"]

_DURATION_RE = re.compile(
    r"(?:(?P<w>\d+)\s*w)?\s*(?:(?P<d>\d+)\s*d)?\s*(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m)?"
)
_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}

_HINT = "expected a duration such as 90m, 48h, 2d or 1d12h"

MAX_DURATION = timedelta(days=365)
"""The longest duration a template may give."""
_MAX_DIGITS = len(str(int(MAX_DURATION / _UNITS["m"])))
"""More significant digits than this in one part is longer than :data:`MAX_DURATION`."""


def parse_duration(text: str) -> timedelta:
    """Parse ``text`` (``48h``, ``2d``, ``90m``, ``1d12h`` …) into a timedelta.

    Raises ``ValueError`` for anything else, including bare numbers without a unit, and for
    a duration longer than :data:`MAX_DURATION` (however many digits it is written with).
    """
    cleaned = text.strip().lower()
    match = _DURATION_RE.fullmatch(cleaned)
    if not cleaned or match is None or not any(match.groupdict().values()):
        raise ValueError(f"{text!r} is not a duration; {_HINT}")
    total = timedelta()
    for unit, amount in match.groupdict().items():
        if amount is None:
            continue
        digits = amount.lstrip("0") or "0"
        if len(digits) > _MAX_DIGITS:  # int() would not even read thousands
            raise ValueError(_too_long(text))
        total += int(digits) * _UNITS[unit]
        if total > MAX_DURATION:
            raise ValueError(_too_long(text))
    return total


def _too_long(text: str) -> str:
    shown = text.strip() if len(text.strip()) <= 20 else text.strip()[:19] + "…"
    return f"{shown!r} is too long; a duration is at most {format_duration(MAX_DURATION)}"


def format_duration(value: timedelta) -> str:
    """Write ``value`` in the template form, e.g. ``timedelta(hours=36)`` → ``1d12h``.

    Only whole minutes can be written; anything finer raises ``ValueError``.
    """
    seconds = int(value.total_seconds())
    if seconds < 0 or seconds % 60 or value.microseconds:
        raise ValueError(f"{value} is not a whole, non-negative number of minutes")
    minutes = seconds // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return "".join(parts) or "0m"


def _to_positive_duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, str):
        try:
            result = parse_duration(value)
        except ValueError as exc:
            raise PydanticCustomError("duration", str(exc)) from None
    else:
        raise PydanticCustomError("duration", f"{value!r} is not a duration; {_HINT}")
    if result <= timedelta():
        raise PydanticCustomError("duration", "must be longer than zero")
    if result > MAX_DURATION:
        limit = format_duration(MAX_DURATION)
        raise PydanticCustomError("duration", f"must be at most {limit}")
    if result % timedelta(minutes=1):
        raise PydanticCustomError("duration", "must be a whole number of minutes")
    return result


Duration = Annotated[
    timedelta,
    BeforeValidator(_to_positive_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A positive duration in whole minutes, read from the short form (``48h``)."""
