"""The current time, for every layer; this module imports nothing heavy (no SQLAlchemy)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def utcnow() -> datetime:
    """The current time, aware UTC. Storage callers pass explicit times where it matters."""
    return datetime.now(UTC)


def week_of(moment: date) -> date:
    """The Monday of the (UTC) week holding ``moment`` (a date, or an aware datetime)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime given for a UTC week; pass an aware datetime")
        moment = moment.astimezone(UTC).date()
    return moment - timedelta(days=moment.weekday())
