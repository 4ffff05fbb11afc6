"""Accepted debt reopens itself on its review date: at the start of that day in the team's time
zone (its digest's), audited, once; and a date that passed while no worker ran is caught up
when the scheduler starts."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.jobs import scheduler as jobs
from bot.runtime import Runtime
from bot.services import register as register_service
from bot.services import reviews, team_settings
from bot.services.ranking import current_ranking
from storage.models import AuditEvent, DebtItem
from tests.jobs.conftest import TEAM, Clock, MakeRuntime, digest_yaml

REVIEW = date(2027, 3, 1)
# Auckland is 13 hours ahead of UTC in March (summer time): 1 March starts at 11:00 UTC on
# 28 February.
ZONE = "Pacific/Auckland"
LOCAL_MIDNIGHT = datetime(2027, 2, 28, 11, 0, tzinfo=UTC)
ACCEPTED_AT = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


def _arrange(runtime: Runtime, items: list[tuple[str, str, date | None]]) -> None:
    """Items (team, title, review date: accepted until then, or None: open), added and
    accepted as a lead does it."""
    zone = reviews.team_zone(runtime)
    with runtime.transaction() as session:
        for team, title, until in items:
            item = register_service.add_item(
                session,
                team_id=team,
                fields={"title": title},
                actor="U0LEAD",
                reason="test",
                now=ACCEPTED_AT,
            )
            if until is not None:
                register_service.set_status(
                    session,
                    team_id=team,
                    key=item.key,
                    status="accepted",
                    why="works well enough",
                    command="/debt status",
                    actor="U0LEAD",
                    now=ACCEPTED_AT,
                    zone=zone,
                    accepted_until=until,
                )


def _items(runtime: Runtime) -> list[tuple[str, str, str, date | None]]:
    with runtime.transaction(write=False) as session:
        rows = session.exec(select(DebtItem).order_by(col(DebtItem.id))).all()
        return [(i.team_id, i.key, i.status, i.accepted_until) for i in rows]


def _reopen_events(runtime: Runtime) -> list[tuple[str, str, str, object, object, str]]:
    with runtime.transaction(write=False) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.actor == reviews.ACTOR).order_by(col(AuditEvent.id))
        ).all()
        return [(e.team_id, e.subject, e.action, e.before, e.after, e.reason) for e in events]


@pytest.fixture
def clock() -> Clock:
    return Clock(LOCAL_MIDNIGHT - timedelta(minutes=30))


@pytest.fixture
def runtime(make_runtime: MakeRuntime, clock: Clock, engine: Engine) -> Runtime:
    """Over SQLite, and PostgreSQL when configured (where the due items are locked)."""
    templates = {"digest.yaml": digest_yaml("weekly", zone=ZONE)}
    return make_runtime(templates, clock=clock, engine=engine)


def test_an_accepted_item_reopens_when_its_review_day_starts_in_the_team_zone(
    runtime: Runtime, clock: Clock
) -> None:
    _arrange(
        runtime,
        [
            (TEAM, "Legacy CSV exporter", REVIEW),
            (TEAM, "Flaky data ingestion", None),
            (TEAM, "Old feature store", REVIEW + timedelta(days=1)),
            ("T0002", "Another workspace's exporter", REVIEW),
        ],
    )
    assert reviews.team_zone(runtime).key == ZONE  # type: ignore[attr-defined]
    # 23:30 on 28 February in Auckland: not yet
    assert reviews.reopen_due_items(runtime) == []
    statuses = [status for _, _, status, _ in _items(runtime)]
    assert statuses == ["accepted", "open", "accepted", "accepted"]

    clock.now = LOCAL_MIDNIGHT + timedelta(minutes=30)  # 00:30 on 1 March there
    reopened = reviews.reopen_due_items(runtime)
    assert reopened == [
        reviews.Reopened(TEAM, "DEBT-1", REVIEW),
        reviews.Reopened("T0002", "DEBT-1", REVIEW),
    ]
    assert _items(runtime) == [
        (TEAM, "DEBT-1", "open", None),
        (TEAM, "DEBT-2", "open", None),
        (TEAM, "DEBT-3", "accepted", REVIEW + timedelta(days=1)),
        ("T0002", "DEBT-1", "open", None),
    ]
    reason = "review date 2027-03-01 reached"
    assert _reopen_events(runtime) == [
        (TEAM, "DEBT-1", "item.status", {"status": "accepted"}, {"status": "open"}, reason),
        (
            TEAM,
            "DEBT-1",
            "item.updated",
            {"accepted_until": "2027-03-01"},
            {"accepted_until": None},
            reason,
        ),
        ("T0002", "DEBT-1", "item.status", {"status": "accepted"}, {"status": "open"}, reason),
        (
            "T0002",
            "DEBT-1",
            "item.updated",
            {"accepted_until": "2027-03-01"},
            {"accepted_until": None},
            reason,
        ),
    ]
    # back in the ranking
    with runtime.transaction(write=False) as session:
        ranking = current_ranking(
            session, team_id=TEAM, now=clock.now, settings=runtime.score_settings
        )
    assert sorted(item.breakdown.key for item in ranking.items) == ["DEBT-1", "DEBT-2"]

    # the hourly job again: nothing more to do, nothing audited twice
    clock.now += timedelta(hours=1)
    assert reviews.reopen_due_items(runtime) == []
    assert len(_reopen_events(runtime)) == 4


def test_a_review_date_passed_while_no_worker_ran_is_caught_up_at_start(
    runtime: Runtime, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.services.poll_jobs.tick", lambda runtime: None)
    _arrange(runtime, [(TEAM, "Legacy CSV exporter", REVIEW)])
    clock.now = datetime(2027, 3, 20, 8, 0, tzinfo=UTC)  # the worker was down for weeks
    scheduler = jobs.start_scheduler(runtime)
    try:
        deadline = time.monotonic() + 5
        while _items(runtime)[0][2] != "open" and time.monotonic() < deadline:
            time.sleep(0.05)
        review_job = scheduler.get_job(jobs.REVIEW_JOB)
        assert review_job.trigger.interval == timedelta(hours=1)  # and again every hour
    finally:
        scheduler.shutdown(wait=True)
    assert _items(runtime) == [(TEAM, "DEBT-1", "open", None)]
    assert [e[2] for e in _reopen_events(runtime)] == ["item.status", "item.updated"]


def test_a_failing_review_job_is_logged_not_raised(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(runtime: Runtime, *, now: datetime | None = None) -> list[reviews.Reopened]:
        raise RuntimeError("database went away")

    monkeypatch.setattr(reviews, "reopen_due_items", broken)
    jobs.register(runtime)
    jobs.run_reviews()
    assert "reopening accepted items failed" in caplog.text


def test_each_team_reopens_at_the_start_of_the_day_in_its_own_time_zone(
    runtime: Runtime, clock: Clock
) -> None:
    # T0002 set its own zone (UTC): 1 March starts 13 hours later there than in Auckland
    team_settings.set_value(runtime, "T0002", "timezone", "UTC", actor="U0LEAD", reason="test")
    _arrange(runtime, [(TEAM, "Legacy CSV exporter", REVIEW), ("T0002", "Exporter", REVIEW)])
    clock.now = LOCAL_MIDNIGHT + timedelta(minutes=30)  # 00:30 in Auckland, 11:30 UTC on 28 Feb
    assert reviews.reopen_due_items(runtime) == [reviews.Reopened(TEAM, "DEBT-1", REVIEW)]
    assert [status for _, _, status, _ in _items(runtime)] == ["open", "accepted"]

    clock.now = datetime(2027, 3, 1, 0, 30, tzinfo=UTC)  # 00:30 on 1 March in UTC
    assert reviews.reopen_due_items(runtime) == [reviews.Reopened("T0002", "DEBT-1", REVIEW)]
    assert [status for _, _, status, _ in _items(runtime)] == ["open", "open"]
