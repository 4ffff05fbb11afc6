"""The scheduler lease: one holder at a time, taken over after expiry, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.jobs.lease import Lease
from storage import lease
from storage.db import session_scope
from tests.jobs.conftest import Clock

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
TTL = timedelta(seconds=30)


def acquire(engine: Engine, holder: str, at: datetime) -> bool:
    with session_scope(engine) as session:
        return lease.try_acquire(session, name="scheduler", holder=holder, now=at, ttl=TTL)


def current_holder(engine: Engine) -> tuple[str, datetime, datetime] | None:
    with session_scope(engine, write=False) as session:
        row = lease.current(session, name="scheduler")
        return (row.holder, row.acquired_at, row.expires_at) if row else None


def test_one_holder_until_expiry_then_the_other(engine: Engine) -> None:
    assert current_holder(engine) is None
    assert acquire(engine, "a:1:x", T0)
    assert not acquire(engine, "b:2:y", T0 + timedelta(seconds=10))

    # A renews: the lease lasts longer, the time it was first taken stays.
    assert acquire(engine, "a:1:x", T0 + timedelta(seconds=20))
    assert current_holder(engine) == ("a:1:x", T0, T0 + timedelta(seconds=50))
    assert not acquire(engine, "b:2:y", T0 + timedelta(seconds=45))
    assert not acquire(engine, "b:2:y", T0 + timedelta(seconds=50))  # expiring, not expired

    # A stopped renewing: B takes over once the lease has expired.
    later = T0 + timedelta(seconds=51)
    assert acquire(engine, "b:2:y", later)
    assert current_holder(engine) == ("b:2:y", later, later + TTL)
    assert not acquire(engine, "a:1:x", later + timedelta(seconds=1))


def test_release_frees_the_lease_only_for_its_holder(engine: Engine) -> None:
    assert acquire(engine, "a:1:x", T0)
    with session_scope(engine) as session:
        assert not lease.release(session, name="scheduler", holder="b:2:y")
    assert current_holder(engine) is not None
    with session_scope(engine) as session:
        assert lease.release(session, name="scheduler", holder="a:1:x")
    assert current_holder(engine) is None
    assert acquire(engine, "b:2:y", T0 + timedelta(seconds=1))


def test_racing_holders_exactly_one_wins(engine: Engine) -> None:
    holders = [f"h:{i}:race" for i in range(6)]
    barrier = threading.Barrier(len(holders))
    won: list[str] = []

    def race(holder: str) -> None:
        barrier.wait()
        if acquire(engine, holder, T0):
            won.append(holder)

    threads = [threading.Thread(target=race, args=(h,)) for h in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(won) == 1
    assert current_holder(engine) == (won[0], T0, T0 + TTL)


def test_the_lease_helper_says_who_holds_and_who_took_over(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    clock = Clock(T0)
    first = Lease(engine, holder="host-a:11:aaaa", ttl=TTL, clock=clock)
    second = Lease(engine, holder="host-b:22:bbbb", ttl=TTL, clock=clock)

    assert first.try_take()
    assert "scheduler lease taken by host-a:11:aaaa" in caplog.messages

    caplog.clear()
    clock.now = T0 + timedelta(seconds=5)
    assert not second.try_take()
    assert not second.try_take()  # still waiting: said once
    assert caplog.messages == [
        "waiting: the scheduler lease is held by host-a:11:aaaa until 2026-03-29T00:30:30+00:00"
    ]

    clock.now = T0 + timedelta(seconds=10)
    assert first.renew()

    caplog.clear()
    clock.now = T0 + timedelta(seconds=41)  # first died after renewing at +10 s
    assert second.try_take()
    assert caplog.messages == [
        "took over the scheduler lease from host-a:11:aaaa (expired at 2026-03-29T00:30:40+00:00)"
    ]

    caplog.clear()
    assert not first.renew()  # first comes back: it lost the lease and must stop
    assert not first.held
    assert caplog.messages == ["lost the scheduler lease to host-b:22:bbbb; stopping the scheduler"]

    first.release()  # not held: nothing to release, the other keeps it
    second.release()
    assert current_holder(engine) is None
