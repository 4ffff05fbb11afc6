"""Catch-up at start and the slot a job runs for: the latest due slot within the grace window."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.jobs import scheduler as jobs
from bot.runtime import Runtime
from tests.factories import make_run
from tests.jobs.conftest import TEAM, MakeRuntime, survey_yaml

# Monday 10:00 in Berlin, winter time: 09:00 UTC.
SLOT = datetime(2026, 2, 9, 9, 0, tzinfo=UTC)
TEMPLATES = {
    "pulse.yaml": survey_yaml("pulse", "0 10 * * MON", "Europe/Berlin"),
    "monthly.yaml": survey_yaml("monthly", "0 10 1 * *", "Europe/Berlin"),
}

Call = tuple[str, datetime]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Calls of open_poll, recorded instead of opening anything."""
    calls: list[Call] = []

    def open_poll(runtime: Runtime, survey_id: str, scheduled_for: datetime, **_: object) -> int:
        calls.append((survey_id, scheduled_for))
        return len(calls)

    monkeypatch.setattr("bot.services.poll_jobs.open_poll", open_poll)
    monkeypatch.setattr("bot.services.poll_jobs.tick", lambda runtime: None)
    return calls


def test_a_slot_two_hours_ago_is_caught_up(make_runtime: MakeRuntime, opened: list[Call]) -> None:
    runtime = make_runtime(TEMPLATES)
    assert jobs.catch_up(runtime, now=SLOT + timedelta(hours=2)) == [("pulse", SLOT)]
    assert opened == [("pulse", SLOT)]
    assert opened[0][1].tzinfo == UTC


def test_a_slot_older_than_the_grace_window_is_not(
    make_runtime: MakeRuntime, opened: list[Call]
) -> None:
    runtime = make_runtime(TEMPLATES)
    assert jobs.catch_up(runtime, now=SLOT + jobs.MISFIRE_GRACE + timedelta(minutes=1)) == []
    assert jobs.catch_up(runtime, now=SLOT - timedelta(minutes=1)) == []  # not due yet
    assert opened == []


def test_a_slot_that_has_a_run_is_not_caught_up_again(
    make_runtime: MakeRuntime, opened: list[Call]
) -> None:
    runtime = make_runtime(TEMPLATES)
    with runtime.transaction() as session:
        make_run(session, survey_id="pulse", scheduled_for=SLOT, team_id=TEAM)
    assert jobs.catch_up(runtime, now=SLOT + timedelta(hours=2)) == []
    assert opened == []


def test_starting_the_scheduler_catches_up_once(
    make_runtime: MakeRuntime, opened: list[Call], monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(TEMPLATES, clock=lambda: SLOT + timedelta(hours=2))
    done = threading.Event()
    real = jobs.catch_up

    def catch_up(runtime: Runtime, *, now: datetime) -> list[Call]:
        try:
            return real(runtime, now=now)
        finally:
            done.set()

    monkeypatch.setattr(jobs, "catch_up", catch_up)
    scheduler = jobs.start_scheduler(runtime)
    try:
        assert done.wait(3)
        catch_up_job = scheduler.get_job(jobs.CATCH_UP_JOB)
        assert catch_up_job.trigger.interval == jobs.CATCH_UP_EVERY  # again in an hour
        survey_job = scheduler.get_job(jobs.survey_job_id("pulse"))
        assert survey_job.next_run_time > datetime.now(UTC)  # the cron job waits for its slot
    finally:
        scheduler.shutdown(wait=True)
    assert opened == [("pulse", SLOT)]


def test_a_job_runs_for_the_slot_that_came_due(
    make_runtime: MakeRuntime, opened: list[Call]
) -> None:
    now = [SLOT + timedelta(seconds=1)]
    runtime = make_runtime(TEMPLATES, clock=lambda: now[0])
    jobs.register(runtime)

    jobs.run_survey_slot("pulse")
    now[0] = SLOT + timedelta(hours=5)  # late, within the grace window: still that slot
    jobs.run_survey_slot("pulse")
    assert opened == [("pulse", SLOT), ("pulse", SLOT)]


def test_a_failing_job_is_logged_not_raised(
    make_runtime: MakeRuntime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = make_runtime(TEMPLATES, clock=lambda: SLOT + timedelta(minutes=1))
    jobs.register(runtime)

    def broken(*args: object) -> None:
        raise RuntimeError("Slack is down")

    monkeypatch.setattr("bot.services.poll_jobs.open_poll", broken)
    monkeypatch.setattr("bot.services.poll_jobs.tick", broken)
    with caplog.at_level(logging.ERROR, logger="bot"):
        jobs.run_survey_slot("pulse")
        jobs.run_tick()
        jobs.run_survey_slot("gone")  # its template disappeared: nothing to run
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failures] == [
        "opening pulse for 2026-02-09T09:00:00+00:00 failed",
        "tick failed",
    ]
    assert all(r.exc_info for r in failures)


def test_no_catch_up_while_the_workspace_cannot_be_told_then_it_resumes(
    make_runtime: MakeRuntime,
    opened: list[Call],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.teams import TeamError

    runtime = make_runtime(TEMPLATES)
    with runtime.transaction() as session:
        make_run(session, survey_id="pulse", scheduled_for=SLOT, team_id=TEAM)
    runtime.default_team = ""  # auth.test failed when the process started
    answers: list[str | Exception] = [TeamError("could not reach Slack (URLError)"), TEAM]

    def resolve(*_: object) -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr("bot.runtime.resolve_team", resolve)
    with caplog.at_level(logging.WARNING, logger=jobs.log.name):
        assert jobs.catch_up(runtime, now=SLOT + timedelta(hours=2)) == []
    assert "nothing caught up: cannot tell which workspace to post for: could not reach" in (
        caplog.text
    )
    # an hour later Slack answers: the team's run exists, so nothing is opened twice
    assert jobs.catch_up(runtime, now=SLOT + timedelta(hours=3)) == []
    assert runtime.default_team == TEAM and opened == []


def test_a_start_after_a_long_outage_names_the_run_it_missed(
    make_runtime: MakeRuntime, opened: list[Call], caplog: pytest.LogCaptureFixture
) -> None:
    """The pulse ran the week before; the worker was down on Monday and starts on Tuesday:
    too late to open, so the operator is told what was missed and what to do."""
    now = SLOT + timedelta(days=1)
    runtime = make_runtime(TEMPLATES, clock=lambda: now)
    with runtime.transaction() as session:
        make_run(session, survey_id="pulse", scheduled_for=SLOT - timedelta(days=7), team_id=TEAM)
    # monthly never ran here: its first slot passing unseen is no outage worth a line
    assert jobs.missed_slots(runtime, now=now) == [("pulse", SLOT, SLOT + timedelta(days=7))]
    with caplog.at_level(logging.WARNING, logger="bot"):
        scheduler = jobs.start_scheduler(runtime, clock=lambda: now)
        scheduler.shutdown(wait=True)
    said = [r.getMessage() for r in caplog.records if "missed" in r.getMessage()]
    assert said == [
        "pulse: the run of 2026-02-09 09:00 UTC was missed while no worker ran (over 6 h ago, "
        "too late to open; `debtpulse poll send pulse` opens one now); the next opens "
        "2026-02-16 09:00 UTC"
    ]
    assert opened == []  # nothing opened late by itself
    with runtime.transaction() as session:  # once sent by hand (its own slot), nothing is
        hand = now - timedelta(hours=1)
        make_run(session, survey_id="pulse", scheduled_for=hand, team_id=TEAM, source="manual")
    assert jobs.missed_slots(runtime, now=now) == []
