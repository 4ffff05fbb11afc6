"""A closed run's results are posted until they land: Slack down at the close, or the
process stopped between closing and posting, loses no results and posts none twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.runtime import Runtime
from bot.sandbox import BOT_USER_ID, FakeSlack
from bot.services import poll_jobs
from bot.services.poll_close import RESULTS_PATIENCE
from bot.slack.client import SERVER_ERROR_RETRIES
from storage import polls, result_posts
from storage.models import PollResultPost
from tests.jobs.conftest import Clock, MakeRuntime, slack_env

OPENED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PEOPLE = ["U0ANA", "U0BEN", "U0CAI"]
SURVEY = """\
id: check
title: Check
schedule: {cron: "0 10 * * MON", timezone: UTC}
audience: {channel: C0POLLS}
anonymous: false
open_for: 24h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(post_rate=None) as fake:
        for person in PEOPLE:
            fake.workspace.add_user(person, name=person.lower())
        fake.workspace.add_channel("C0POLLS", name="polls", members=[BOT_USER_ID, *PEOPLE])
        yield fake


@pytest.fixture
def clock() -> Clock:
    return Clock(OPENED)


@pytest.fixture
def runtime(
    make_runtime: MakeRuntime, fake: FakeSlack, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> Runtime:
    slack_env(monkeypatch, fake.base_url, "results")
    return make_runtime({"check.yaml": SURVEY}, clock=clock)


def _results(fake: FakeSlack) -> list:
    """The results messages in the poll's thread."""
    return [m for m in fake.messages(channel="C0POLLS") if m.thread_ts and "closed" in m.text]


def _posts(runtime: Runtime) -> list[PollResultPost]:
    with Session(runtime.engine) as session:
        return list(session.exec(select(PollResultPost)).all())


def _slack_down(fake: FakeSlack) -> None:
    """chat.postMessage fails, the client's own retries included."""
    fake.fail_next("chat.postMessage", status=503, times=SERVER_ERROR_RETRIES + 1)


def test_results_slack_did_not_take_at_the_close_are_posted_by_the_tick(
    runtime: Runtime, fake: FakeSlack, clock: Clock
) -> None:
    run_id = poll_jobs.open_poll(runtime, "check", OPENED)
    assert run_id is not None
    clock.now = OPENED + timedelta(hours=2)
    _slack_down(fake)
    closed = poll_jobs.close_poll(runtime, run_id)
    assert closed is not None and closed.posted_in == ()
    assert closed.problems == (
        "its results were not posted in C0POLLS (service_unavailable); the worker tries again",
    )
    assert _results(fake) == []
    assert [p.status for p in _posts(runtime)] == ["pending"]

    poll_jobs.tick(runtime)  # too soon: the pause after a failed try has not passed
    assert _results(fake) == []
    clock.now += timedelta(minutes=1)
    poll_jobs.tick(runtime)
    poll_jobs.tick(runtime)  # posted once, not twice
    results = _results(fake)
    assert len(results) == 1 and results[0].text == "Check closed: results"
    [post] = _posts(runtime)
    assert (post.status, post.attempts, post.message_ts) == ("posted", 2, results[0].ts)


def test_results_of_a_close_interrupted_before_posting_are_posted(
    runtime: Runtime, fake: FakeSlack, clock: Clock
) -> None:
    """The process stopped right after the close committed: the rows say what is owed."""
    run_id = poll_jobs.open_poll(runtime, "check", OPENED)
    assert run_id is not None
    clock.now = OPENED + timedelta(hours=25)
    with runtime.transaction() as session:  # what close_poll commits before it posts
        assert polls.close_run(session, run_id=run_id, now=clock.now)
        run = polls.run_by_id(session, run_id=run_id)
        assert run is not None
        [delivery] = polls.deliveries(session, run_id=run_id, status="sent")
        result_posts.plan(session, run=run, targets=[(delivery.channel_id, delivery.message_ts)])
    poll_jobs.tick(runtime)
    results = _results(fake)
    assert len(results) == 1 and results[0].thread_ts == delivery.message_ts
    assert poll_jobs.close_poll(runtime, run_id) is None  # closed already: nothing more


def test_a_channel_that_refuses_for_good_is_not_tried_again(
    runtime: Runtime, fake: FakeSlack, clock: Clock
) -> None:
    run_id = poll_jobs.open_poll(runtime, "check", OPENED)
    assert run_id is not None
    fake.workspace.channels["C0POLLS"].is_archived = True
    closed = poll_jobs.close_poll(runtime, run_id)
    assert closed is not None
    assert closed.problems == ("its results were not posted in C0POLLS (is_archived)",)
    tries = len(fake.calls_to("chat.postMessage"))
    clock.now += timedelta(hours=2)
    poll_jobs.tick(runtime)
    assert len(fake.calls_to("chat.postMessage")) == tries
    assert [(p.status, p.last_error) for p in _posts(runtime)] == [("failed", "is_archived")]


def test_the_worker_gives_up_a_day_after_the_close(
    runtime: Runtime, fake: FakeSlack, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    run_id = poll_jobs.open_poll(runtime, "check", OPENED)
    assert run_id is not None
    _slack_down(fake)
    assert poll_jobs.close_poll(runtime, run_id) is not None
    clock.now += RESULTS_PATIENCE + timedelta(minutes=1)
    _slack_down(fake)
    poll_jobs.tick(runtime)
    assert [p.status for p in _posts(runtime)] == ["failed"]
    assert "its results were not posted in C0POLLS (service_unavailable)" in caplog.text
    clock.now += timedelta(hours=1)
    poll_jobs.tick(runtime)
    assert _results(fake) == []  # given up: not posted a day late
