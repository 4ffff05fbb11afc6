"""Time for the fake Slack: the wall clock by default, a hand-driven one in tests.

Everything in the sandbox that expires or refills (trigger ids, response URLs, the
per-channel posting rate) reads time through a ``Clock``, so tests move time forward
instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Seconds since the epoch, like ``time.time``."""


class ManualClock:
    """A clock that only moves when told to: ``clock.advance(3.5)``."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += seconds
