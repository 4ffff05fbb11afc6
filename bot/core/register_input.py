"""The register's typed values as people write them (pure): effort spent and calendar days.

One syntax for ``/debt status KEY resolved effort 3d``, ``debtpulse debt status --effort 3d``
and the register CSV's ``effort_spent``: a number and a unit, ``d`` (days), ``h`` (hours, 8 to
a day) or ``w`` (weeks, 5 days), such as ``3d``, ``4h``, ``2w`` or ``1.5d``; the CSV also takes
a plain number of days. It is stored as person-days, to a thousandth of a day. Dates are
``YYYY-MM-DD``.

Errors are :class:`ValueError` whose message does not name the field: each caller names it
as its user knows it (``effort``, ``--effort``, ``effort_spent``).
"""

from __future__ import annotations

import re
from datetime import date

HOURS_PER_DAY = 8
DAYS_PER_WEEK = 5
#: More than this many person-days (40 person-years) on one item is taken for a typo.
MAX_EFFORT_DAYS = 10_000
_UNIT_DAYS = {"d": 1.0, "h": 1 / HOURS_PER_DAY, "w": float(DAYS_PER_WEEK)}
# ASCII digits only, at most 6 before and 3 after the point: "²d" or "1e3d" is no effort
_EFFORT = re.compile(r"([0-9]{1,6}(?:\.[0-9]{1,3})?)\s*([dhw]?)")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EFFORT_HELP = "expected a number with d (days), h (hours, 8 a day) or w (weeks, 5 days): 3d, 4h, 2w"
_SHOWN = 20


def _shown(text: str) -> str:
    return f'"{text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"}"'


def parse_effort(text: str, *, plain_days: bool = False) -> float:
    """Person-days of ``3d``, ``4h``, ``2w`` or ``1.5d`` (and of ``2.5`` when ``plain_days``)."""
    written = text.strip()
    match = _EFFORT.fullmatch(written.lower())
    help_text = EFFORT_HELP + (", or a number of days" if plain_days else "")
    if match is None or (not match.group(2) and not plain_days):
        raise ValueError(f"{_shown(written)} is not an effort: {help_text}")
    # to a thousandth of a day (half a minute): what is stored reads back exactly
    days = round(float(match.group(1)) * _UNIT_DAYS[match.group(2) or "d"], 3)
    if days > MAX_EFFORT_DAYS:
        raise ValueError(f"{_shown(written)} is more than {MAX_EFFORT_DAYS:,} days")
    return days


def effort_text(days: float) -> str:
    """``3 days``, ``1 day``, ``0.5 days``: what a person reads."""
    number = f"{days:.3f}".rstrip("0").rstrip(".")
    return f"{number} day" if number == "1" else f"{number} days"


def effort_cell(days: float | None) -> str:
    """The CSV cell of an effort: a plain number of days that reads back exactly."""
    if days is None:
        return ""
    return str(int(days)) if days.is_integer() else repr(days)


def parse_day(text: str) -> date:
    """A calendar day written ``YYYY-MM-DD``."""
    written = text.strip()
    try:
        if not _DAY.fullmatch(written):
            raise ValueError
        return date.fromisoformat(written)
    except ValueError:
        raise ValueError(f"{_shown(written)} is not a date: expected YYYY-MM-DD") from None
