"""Slack calls paced per workspace and method, shared by every process that sends.

Before a paced call, the caller books its moment under the method's limit
(:mod:`bot.slack.rate_limits`) in the database (:mod:`storage.pacing`), in a transaction of its
own or together with the claim of the delivery it is about to send, then sleeps until that
moment. So a worker, a second worker and a ``poll send`` in the web process all draw on the
one budget Slack gives the workspace. ``chat.postMessage`` is paced per channel too, in this
process (a fan-out posts once per person, so the channels of one fan-out never collide).

A 429 says the call was refused; the caller tries that call again after ``Retry-After``
without holding up its other calls. Only when Slack refuses several calls of a method in a
row is the method itself held for ``Retry-After``: that is Slack's own limit speaking, not a
passing fault. A call Slack refused or failed (429, 5xx) posted nothing and hands its moment
back (:meth:`Pacer.give_back`), as a token bucket counts only the calls it served.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlmodel import Session

from bot.core.pacing import Limit, book, give_back, hold
from bot.runtime import Runtime
from bot.slack.rate_limits import POST_MESSAGE, POSTS_PER_CHANNEL, method_limit
from storage import pacing as pace_rows

#: Refusals of one method in a row, with no call of it going through between, after which
#: the whole method waits out ``Retry-After``.
HOLD_AFTER_REFUSALS = 3


class Pacer:
    """Books Slack calls; one per process (:data:`PACER`), thread-safe."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] = time.sleep,
        channel_limit: Limit = POSTS_PER_CHANNEL,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.channel_limit = channel_limit
        self._lock = threading.Lock()
        self._channels: dict[tuple[int, str, str], float] = {}
        self._refusals: dict[tuple[str, str], int] = {}

    def book(
        self, session: Session, *, team: str, method: str, channel: str | None = None
    ) -> float:
        """Book one call of ``method`` for ``team`` in ``session``'s transaction: when it may
        go (seconds since the epoch). A method debtpulse does not pace may go now."""
        now = self.clock()
        limit = method_limit(method)
        start = now
        if limit is not None:
            booked = pace_rows.locked(session, team_id=team, key=method)
            start, until = book(booked, now, limit)
            pace_rows.book(session, team_id=team, key=method, until=until)
        if channel and method == POST_MESSAGE:
            database = id(session.get_bind().engine.pool)  # another database: another deployment
            with self._lock:
                self._forget_idle_channels(now)
                key = (database, team, channel)
                start, self._channels[key] = book(
                    self._channels.get(key), start, self.channel_limit
                )
        return start

    def give_back(self, session: Session, *, team: str, method: str) -> None:
        """Hand back one booked call of ``method`` that Slack refused or failed."""
        limit = method_limit(method)
        if limit is None:
            return
        booked = pace_rows.locked(session, team_id=team, key=method)
        until = give_back(booked, limit)
        if until is not None:
            pace_rows.book(session, team_id=team, key=method, until=until)

    def wait(
        self,
        runtime: Runtime,
        *,
        team: str,
        method: str,
        channel: str | None = None,
    ) -> None:
        """Book one call (in a transaction of its own) and sleep until it may go."""
        with runtime.transaction() as session:
            start = self.book(session, team=team, method=method, channel=channel)
        self.sleep_until(start)

    def sleep_until(self, start: float) -> None:
        delay = start - self.clock()
        if delay > 0:
            self.sleep(delay)

    def refused(self, runtime: Runtime, *, team: str, method: str, retry_after: float) -> bool:
        """Slack answered 429 to a call: True when that made the method wait (several
        refusals in a row), which holds every process's next calls of it."""
        key = (team, method)
        with self._lock:
            self._refusals[key] = refusals = self._refusals.get(key, 0) + 1
            if refusals < HOLD_AFTER_REFUSALS:
                return False
            self._refusals[key] = 0
        limit = method_limit(method)
        if limit is None:
            return False
        with runtime.transaction() as session:
            booked = pace_rows.locked(session, team_id=team, key=method)
            until = hold(booked, self.clock() + retry_after, limit)
            pace_rows.book(session, team_id=team, key=method, until=until)
        return True

    def went_through(self, *, team: str, method: str) -> None:
        """A call of ``method`` was not refused: the refusals in a row start again."""
        with self._lock:
            self._refusals.pop((team, method), None)

    def _forget_idle_channels(self, now: float) -> None:
        if len(self._channels) < 4096:
            return
        for key, until in list(self._channels.items()):
            if until < now:
                del self._channels[key]


PACER = Pacer()
"""This process's pacer."""


def paced(runtime: Runtime, team: str) -> Callable[[str], None]:
    """``before_call(method)`` for code that makes Slack calls one after another: each call
    waits for its moment under the method's limit."""

    def before_call(method: str) -> None:
        PACER.wait(runtime, team=team, method=method)

    return before_call
