"""The worker's hold on the scheduler lease: take it, renew it, give it up, and say so.

Only the holder of the lease runs a scheduler, so two workers on one database never fire
the same slot twice. A worker that finds the lease held waits; when the holder stops (and
releases it) or dies (and its lease expires), the waiting worker takes over.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage import lease as lease_rows
from storage.db import session_scope
from storage.types import utcnow

log = logging.getLogger(__name__)

SCHEDULER_LEASE = "scheduler"
DEFAULT_TTL = timedelta(seconds=30)


def make_holder() -> str:
    """This process's name for the lease: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _at(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class Lease:
    """One process's attempts at one lease. Not thread-safe: one worker thread drives it."""

    def __init__(
        self,
        engine: Engine,
        *,
        name: str = SCHEDULER_LEASE,
        holder: str | None = None,
        ttl: timedelta = DEFAULT_TTL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.name = name
        self.holder = holder or make_holder()
        self.ttl = ttl
        self.clock = clock
        self.held = False
        self.expires_at: datetime | None = None
        self._waiting_for: str | None = None

    def try_take(self) -> bool:
        """One attempt at taking the lease; logs who has it. True when this process holds it."""
        now = self.clock()
        try:
            with session_scope(self.engine) as session:
                before = lease_rows.current(session, name=self.name)
                previous = (before.holder, before.expires_at) if before else None
                taken = lease_rows.try_acquire(
                    session, name=self.name, holder=self.holder, now=now, ttl=self.ttl
                )
        except SQLAlchemyError as exc:
            log.warning("could not reach the database for the %s lease: %s", self.name, exc)
            return False
        if not taken:
            holder, until = previous if previous else ("another worker", now)
            if self._waiting_for != holder:
                log.info(
                    "waiting: the %s lease is held by %s until %s", self.name, holder, _at(until)
                )
                self._waiting_for = holder
            return False
        self.held, self.expires_at, self._waiting_for = True, now + self.ttl, None
        if previous is not None and previous[0] != self.holder:
            log.warning(
                "took over the %s lease from %s (expired at %s)",
                self.name,
                previous[0],
                _at(previous[1]),
            )
        else:
            log.info("%s lease taken by %s", self.name, self.holder)
        return True

    def renew(self) -> bool:
        """Extend the lease; False once it is lost (taken by another, or expired unrenewed)."""
        now = self.clock()
        try:
            with session_scope(self.engine) as session:
                kept = lease_rows.try_acquire(
                    session, name=self.name, holder=self.holder, now=now, ttl=self.ttl
                )
                after = None if kept else lease_rows.current(session, name=self.name)
        except SQLAlchemyError as exc:
            still = self.expires_at is not None and now < self.expires_at
            log.warning(
                "could not renew the %s lease (%s); %s",
                self.name,
                exc,
                f"it holds until {_at(self.expires_at)}" if still and self.expires_at else "lost",
            )
            self.held = still
            return still
        if kept:
            self.expires_at = now + self.ttl
            return True
        self.held = False
        log.error(
            "lost the %s lease to %s; stopping the scheduler",
            self.name,
            after.holder if after else "nobody (the row is gone)",
        )
        return False

    def release(self) -> None:
        """Give the lease up (if held) so a waiting worker can take over at once."""
        if not self.held:
            return
        self.held = False
        try:
            with session_scope(self.engine) as session:
                released = lease_rows.release(session, name=self.name, holder=self.holder)
        except SQLAlchemyError as exc:
            log.warning("could not release the %s lease (it will expire): %s", self.name, exc)
            return
        if released:
            log.info("%s lease released by %s", self.name, self.holder)
