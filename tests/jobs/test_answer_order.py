"""An anonymous run's participation rows do not keep the order people answered in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.jobs import poll_jobs
from bot.runtime import Runtime
from bot.sandbox import BOT_USER_ID, FakeSlack
from storage import polls
from storage.models import Participation, PollRun
from tests.jobs.conftest import Clock, MakeRuntime, slack_env

OPENED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PEOPLE = [f"U0P{n:02d}" for n in range(30)]
SURVEY = """\
id: {id}
title: Check
schedule: {{cron: "0 10 * * MON", timezone: UTC}}
audience: {{channel: C0POLLS}}
anonymous: {anonymous}
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
def runtime(make_runtime: MakeRuntime, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    slack_env(monkeypatch, fake.base_url, "order")
    templates = {
        "anon.yaml": SURVEY.format(id="anon", anonymous="true"),
        "named.yaml": SURVEY.format(id="named", anonymous="false"),
    }
    return make_runtime(templates, clock=Clock(OPENED + timedelta(minutes=5)))


def _answered(runtime: Runtime, run_id: int, people: list[str]) -> None:
    """People answer one after another (what the listeners record besides the answer)."""
    for person in people:
        with runtime.transaction() as session:
            run = session.get(PollRun, run_id)
            assert run is not None
            polls.record_participation(
                session, run=run, user_id=person, answered_on=date(2026, 11, 23)
            )


def _by_id(runtime: Runtime, run_id: int) -> list[str]:
    with Session(runtime.engine) as session:
        statement = (
            select(Participation.user_id)
            .where(Participation.poll_run_id == run_id)
            .order_by(col(Participation.id))
        )
        return list(session.exec(statement).all())


def test_the_tick_hides_who_answered_when(runtime: Runtime) -> None:
    anon = poll_jobs.open_poll(runtime, "anon", OPENED)
    named = poll_jobs.open_poll(runtime, "named", OPENED)
    assert anon is not None and named is not None
    _answered(runtime, anon, PEOPLE[:29])
    _answered(runtime, named, PEOPLE[:29])
    assert _by_id(runtime, anon) == PEOPLE[:29]  # as written: in answering order

    poll_jobs.tick(runtime)
    shuffled = _by_id(runtime, anon)
    assert shuffled != PEOPLE[:29] and sorted(shuffled) == PEOPLE[:29]  # same people
    poll_jobs.tick(runtime)
    assert _by_id(runtime, anon) == shuffled  # nothing new: left as it is

    _answered(runtime, anon, PEOPLE[29:])
    assert _by_id(runtime, anon)[-1] == PEOPLE[29]  # the newest answer shows last...
    poll_jobs.tick(runtime)
    again = _by_id(runtime, anon)
    assert sorted(again) == PEOPLE
    assert again != shuffled + PEOPLE[29:]  # ...until the next tick shuffles all of them
    assert _by_id(runtime, named) == PEOPLE[:29]  # a named run has nothing to hide
