"""Shared inputs for the scoring tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.inputs import PainAnswer

#: "now" of every scoring test: a Monday morning.
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def weeks_ago(weeks: float) -> datetime:
    return NOW - timedelta(weeks=weeks)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def answers(*values: float, age_weeks: float = 1.0) -> list[PainAnswer]:
    """One answer per value, each from a different respondent, all ``age_weeks`` old."""
    return [PainAnswer(f"u{i}", v, weeks_ago(age_weeks)) for i, v in enumerate(values, start=1)]
