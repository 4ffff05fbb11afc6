"""Injected failures, and the token buckets behind the rate limits (method, channel, workspace).

A ``FaultPlan`` decides, per request, whether the fake answers normally, answers with an
HTTP error, resets the connection, or answers late. Method names are Web API methods, plus
``upload`` (the upload URL) and ``response_url``; ``"*"`` matches every request.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.sandbox.clock import Clock

ANY = "*"


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or before) answering: an HTTP error, a reset, or a delay."""

    status: int | None = None
    retry_after: int | str | None = None
    reset: bool = False
    delay: float = 0.0


@dataclass
class _Queued:
    method: str
    fault: Fault
    remaining: int | None  # None: forever


@dataclass
class _Ratio:
    ratio: float
    statuses: tuple[int, ...]
    rng: random.Random = field(default_factory=random.Random)


class FaultPlan:
    """Failures to inject, consumed in the order they were planned; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Queued] = []
        self._ratios: dict[str, _Ratio] = {}

    def add(self, method: str, fault: Fault, *, times: int | None) -> None:
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        with self._lock:
            self._queue.append(_Queued(method=method, fault=fault, remaining=times))

    def add_ratio(
        self, method: str, ratio: float, *, statuses: Iterable[int], seed: int | None
    ) -> None:
        if not 0.0 <= ratio <= 1.0:
            raise ValueError("ratio must be between 0 and 1")
        choices = tuple(statuses)
        if not choices:
            raise ValueError("give at least one status")
        with self._lock:
            self._ratios[method] = _Ratio(ratio=ratio, statuses=choices, rng=random.Random(seed))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._ratios.clear()

    def take(self, method: str) -> list[Fault]:
        """The faults for this request: any delays first, then at most one failure."""
        with self._lock:
            taken: list[Fault] = []
            failure: Fault | None = None
            for queued in list(self._queue):
                if queued.method not in (method, ANY):
                    continue
                is_delay = queued.fault.status is None and not queued.fault.reset
                if not is_delay and failure is not None:
                    continue
                if is_delay:
                    taken.append(queued.fault)
                else:
                    failure = queued.fault
                if queued.remaining is not None:
                    queued.remaining -= 1
                    if queued.remaining == 0:
                        self._queue.remove(queued)
            if failure is None:
                failure = self._roll(method)
            return taken + ([failure] if failure else [])

    def _roll(self, method: str) -> Fault | None:
        rule = self._ratios.get(method) or self._ratios.get(ANY)
        if rule is None or rule.rng.random() >= rule.ratio:
            return None
        status = rule.rng.choice(rule.statuses)
        return Fault(status=status, retry_after=1 if status == 429 else None)


class TokenBucket:
    """Per-key token buckets: ``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, *, rate: float, burst: int, clock: Clock) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)

    def try_take(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + max(0.0, now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1.0, now)
            return True

    def retry_after(self, key: str) -> int:
        """Whole seconds until ``key`` has a token again (at least 1), for ``Retry-After``."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + max(0.0, now - last) * self.rate)
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
