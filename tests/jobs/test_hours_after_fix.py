"""The hours-lost poll keeps asking about an item for a while after its fix, so the return on
the fix is measured with answers from after it; an item fixed long ago is not asked about."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from bot.runtime import Runtime
from bot.sandbox import BOT_USER_ID, FakeSlack
from bot.services import poll_jobs
from storage import polls
from storage.models import DebtItem
from tests.factories import make_item
from tests.jobs.conftest import TEAM, Clock, MakeRuntime, slack_env

OPENED = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
PEOPLE = ["U0ANA", "U0BEN", "U0CAI"]
SURVEY = """\
id: hours
title: Hours lost
schedule: {cron: "0 14 * * THU", timezone: UTC}
audience: {channel: C0POLLS}
anonymous: false
open_for: 24h
questions:
  - id: hours
    type: hours
    prompt: "Roughly how many hours did *{{ item.title }}* cost you this week?"
    for_each: {debt_items: {status: open, top: 2, also_resolved_within: 8w}}
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
    slack_env(monkeypatch, fake.base_url, "hours")
    return make_runtime({"hours.yaml": SURVEY}, clock=Clock(OPENED))


def _resolve(session: Session, key: str, ago: timedelta) -> None:
    item = make_item(session, key, team_id=TEAM, title=f"Fix {key}")
    stored = session.get(DebtItem, item.id)
    assert stored is not None
    stored.status, stored.resolved_at = "resolved", OPENED - ago
    session.add(stored)


def test_items_fixed_in_the_window_are_asked_about_after_the_open_ones(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        for key in ("DEBT-1", "DEBT-2", "DEBT-3"):
            make_item(session, key, team_id=TEAM, title=f"Open {key}")
        _resolve(session, "DEBT-7", timedelta(weeks=3))
        _resolve(session, "DEBT-8", timedelta(weeks=1))
        _resolve(session, "DEBT-9", timedelta(weeks=9))  # fixed too long ago
    run_id = poll_jobs.open_poll(runtime, "hours", OPENED)
    assert run_id is not None
    with runtime.transaction(write=False) as session:
        run = polls.run_by_id(session, run_id=run_id)
        assert run is not None
        asked = [item["key"] for item in run.frozen["questions"][0]["items"]]
    # the two open items the template's top allows, then the recent fixes, newest first
    assert asked[2:] == ["DEBT-8", "DEBT-7"]
    assert len(asked) == 4 and "DEBT-9" not in asked
