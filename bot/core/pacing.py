"""Pacing calls under a rate limit: when the next call may go (pure; "now" is a parameter).

A limit is a token bucket of ``burst`` calls refilled at ``per_minute``. It is kept as one
number, the bucket's *theoretical arrival time* (how far its calls are booked, the generic
cell rate algorithm): a call may go once that is no more than ``burst - 1`` intervals ahead of
now, and booking it moves it one interval on. One number is what several processes can share
in a database row, and booking ahead lets each caller sleep until its own moment instead of
polling for a free token.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """At most ``per_minute`` calls a minute, with up to ``burst`` at once after a pause."""

    per_minute: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_minute <= 0 or self.burst < 1:
            raise ValueError("a limit needs per_minute > 0 and burst >= 1")

    @property
    def interval(self) -> float:
        """Seconds between calls at the sustained rate."""
        return 60.0 / self.per_minute

    @property
    def tolerance(self) -> float:
        """How far ahead of now the bucket may be booked and still let a call go at once."""
        return (self.burst - 1) * self.interval


def book(booked_until: float | None, now: float, limit: Limit) -> tuple[float, float]:
    """Book one call: ``(start, booked_until')``, when it may go (``now`` or later) and how
    far the bucket is booked once it is (``booked_until`` None: never booked)."""
    base = now if booked_until is None else max(booked_until, now)
    start = max(now, base - limit.tolerance)
    return start, base + limit.interval


def give_back(booked_until: float | None, limit: Limit) -> float | None:
    """The bucket with one booked call handed back (it was refused and used nothing)."""
    return None if booked_until is None else booked_until - limit.interval


def hold(booked_until: float | None, until: float, limit: Limit) -> float:
    """The bucket booked so that no call goes before ``until`` (Slack said to wait)."""
    return max(booked_until or 0.0, until + limit.tolerance)
