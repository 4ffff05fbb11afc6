"""The demo's simulated time: a clock that moves only when the simulation moves it.

The runtime reads "now" through it (``Runtime.clock``), so every listener and job the demo
drives stamps answers, signals, snapshots and digests with simulated dates. The fake Slack
keeps the wall clock: trigger ids and signed requests expire in real seconds.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class SimClock:
    """Aware UTC time that only goes forward, readable from any thread: ``clock()``."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()
        self._running_since: float | None = None  # set once it follows the wall clock

    def __call__(self) -> datetime:
        with self._lock:
            if self._running_since is None:
                return self._now
            return self._now + timedelta(seconds=time.monotonic() - self._running_since)

    def follow_wall_clock(self) -> None:
        """From now on, move with real time from where the simulation left it (``demo
        --serve``: sign-in links expire and sessions end in real minutes)."""
        with self._lock:
            self._running_since = time.monotonic()

    def set(self, when: datetime) -> None:
        """Move to ``when``; a moment already passed leaves the clock where it is."""
        with self._lock:
            self._now = max(self._now, when.astimezone(UTC))

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += max(delta, timedelta(0))
