"""Slack-shaped identifiers: message timestamps, trigger ids, view ids and hashes.

Deterministic for a given seed, so two runs of the same test produce the same ids.
"""

from __future__ import annotations

import random
import string
import threading

_UPPER = string.ascii_uppercase + string.digits
_BASE62 = string.ascii_letters + string.digits


class IdFactory:
    """Issues unique, realistic-looking ids; thread-safe."""

    def __init__(self, *, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._last_ts_micros = 0
        self._counter = 0

    def _pick(self, alphabet: str, length: int) -> str:
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def ts(self, now: float) -> str:
        """A message timestamp such as ``1712345678.000100``, strictly increasing."""
        with self._lock:
            micros = max(int(now * 1_000_000), self._last_ts_micros + 1)
            self._last_ts_micros = micros
        seconds, fraction = divmod(micros, 1_000_000)
        return f"{seconds}.{fraction:06d}"

    def prefixed(self, prefix: str, length: int = 10) -> str:
        """``V0A1B2C3D4``-style ids (views, files, events)."""
        with self._lock:
            return prefix + self._pick(_UPPER, length)

    def trigger_id(self, now: float) -> str:
        with self._lock:
            serial = self._next()
            return f"{int(now)}.{serial:09d}.{self._pick('0123456789abcdef', 32)}"

    def view_hash(self, now: float) -> str:
        with self._lock:
            return f"{now:.6f}.{self._pick(_BASE62, 8)}"

    def block_id(self) -> str:
        with self._lock:
            return self._pick(_BASE62, 5)

    def secret(self, length: int = 24) -> str:
        with self._lock:
            return self._pick(_BASE62, length)
