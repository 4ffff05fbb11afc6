"""Pacing under a rate limit (pure): a burst at once, then one call an interval apart."""

from __future__ import annotations

import pytest

from bot.core.pacing import Limit, book, hold

LIMIT = Limit(per_minute=60, burst=3)  # one a second, three at once


def starts(count: int, *, at: float = 1000.0, booked: float | None = None) -> list[float]:
    """When ``count`` calls asked for at once may go."""
    out = []
    for _ in range(count):
        start, booked = book(booked, at, LIMIT)
        out.append(start)
    return out


def test_a_burst_goes_at_once_then_one_call_an_interval_apart() -> None:
    assert starts(6) == [1000.0, 1000.0, 1000.0, 1001.0, 1002.0, 1003.0]


def test_an_idle_bucket_refills_to_its_burst_and_no_further() -> None:
    _, booked = book(None, 1000.0, LIMIT)
    for _ in range(5):
        _, booked = book(booked, 1000.0, LIMIT)  # booked up to 1006
    assert starts(4, at=1010.0, booked=booked) == [1010.0, 1010.0, 1010.0, 1011.0]
    assert starts(4, at=5000.0, booked=booked) == [5000.0, 5000.0, 5000.0, 5001.0]


def test_over_any_window_no_more_calls_start_than_the_limit_allows() -> None:
    limit = Limit(per_minute=200, burst=16)
    booked: float | None = None
    moments = []
    for n in range(500):
        start, booked = book(booked, 1000.0 + n * 0.1, limit)  # asked for faster than allowed
        moments.append(start)
    for first in range(len(moments)):
        window = [m for m in moments[first:] if m < moments[first] + 60]
        assert len(window) <= 200 + 16


def test_hold_keeps_every_call_back_until_slack_says() -> None:
    _, booked = book(None, 1000.0, LIMIT)
    held = hold(booked, 1005.0, LIMIT)
    assert starts(2, at=1000.0, booked=held) == [1005.0, 1006.0]


def test_a_limit_needs_a_rate_and_a_burst() -> None:
    with pytest.raises(ValueError):
        Limit(per_minute=0)
    with pytest.raises(ValueError):
        Limit(per_minute=10, burst=0)
