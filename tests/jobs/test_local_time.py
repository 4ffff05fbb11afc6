"""``per_recipient_timezone``: each person gets the DM at the schedule's time in their own zone."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlmodel import Session, col, select

from bot.core.polls import recipient_due
from bot.jobs.scheduler import latest_fire_time
from bot.runtime import Runtime
from bot.sandbox import FakeSlack
from bot.services import poll_jobs
from storage import polls
from storage.models import PollDelivery, PollRun
from surveys import validate_template
from tests.jobs.conftest import Clock, MakeRuntime, slack_env

BERLIN, TOKYO, NEW_YORK = "Europe/Berlin", "Asia/Tokyo", "America/New_York"
PEOPLE = {"U0TOKYO": TOKYO, "U0BERLIN": BERLIN, "U0NY": NEW_YORK, "U0NOZONE": ""}
SURVEY = """\
id: local-check
title: Local check
schedule: {cron: "0 10 * * MON", timezone: Europe/Berlin}
audience: {dm: {usergroup: S0TEAM}}
per_recipient_timezone: true
anonymous: true
open_for: 24h
reminders: [4h]
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""
# Monday 10:00 local, winter time: Tokyo 01:00 UTC, Berlin 09:00 UTC, New York 15:00 UTC.
LOCAL_TEN = {
    "U0TOKYO": datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
    "U0BERLIN": datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    "U0NY": datetime(2026, 11, 23, 15, 0, tzinfo=UTC),
    "U0NOZONE": datetime(2026, 11, 23, 9, 0, tzinfo=UTC),  # the schedule's zone
}


def test_the_local_time_of_the_slot_in_each_zone() -> None:
    survey = validate_template(yaml.safe_load(SURVEY))
    slot = latest_fire_time(
        survey.trigger(), datetime(2026, 11, 22, 21, 0, tzinfo=UTC), within=timedelta(days=1)
    )
    assert slot == datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # Monday 10:00 at UTC+14
    for person, zone in PEOPLE.items():
        due = recipient_due(
            slot, opening_zone=survey.opening_zone, recipient_zone=zone, fallback=ZoneInfo(BERLIN)
        )
        assert due == LOCAL_TEN[person], person


def test_dst_and_unknown_zones() -> None:
    opening = ZoneInfo("Etc/GMT-14")
    # 02:30 on the night Berlin springs forward does not exist: read with the old offset.
    slot = datetime(2027, 3, 28, 2, 30, tzinfo=opening)
    gap = recipient_due(slot, opening_zone=opening, recipient_zone=BERLIN, fallback=UTC)
    assert gap == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    summer = datetime(2027, 6, 7, 10, 0, tzinfo=opening)
    assert recipient_due(
        summer, opening_zone=opening, recipient_zone=NEW_YORK, fallback=UTC
    ) == datetime(2027, 6, 7, 14, 0, tzinfo=UTC)
    assert recipient_due(
        summer, opening_zone=opening, recipient_zone="Mars/Olympus", fallback=ZoneInfo(BERLIN)
    ) == datetime(2027, 6, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(post_rate=None) as fake:
        for person, zone in PEOPLE.items():
            fake.workspace.add_user(person, name=person.lower(), tz=zone or "")
        fake.workspace.add_usergroup("S0TEAM", handle="team", users=list(PEOPLE))
        yield fake


def _runtime(
    make_runtime: MakeRuntime, fake: FakeSlack, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> Runtime:
    slack_env(monkeypatch, fake.base_url, "local-time")
    return make_runtime({"local-check.yaml": SURVEY}, clock=clock)


def test_each_person_gets_the_dm_at_ten_their_time(
    make_runtime: MakeRuntime, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(datetime(2026, 11, 22, 20, 0, 5, tzinfo=UTC))  # the job fires at UTC+14
    runtime = _runtime(make_runtime, fake, clock, monkeypatch)
    survey = runtime.catalog["local-check"].survey
    assert survey is not None
    slot = latest_fire_time(survey.trigger(), clock(), within=timedelta(hours=1))
    assert slot is not None
    run_id = poll_jobs.open_poll(runtime, "local-check", slot)
    assert run_id is not None
    assert fake.dm_counts == {}  # nobody's 10:00 has come yet

    sent_at: dict[str, datetime] = {}
    while clock.now < datetime(2026, 11, 23, 16, 0, tzinfo=UTC):
        clock.now += timedelta(minutes=30)
        poll_jobs.tick(runtime)
        for person in PEOPLE:
            if fake.dm_count(person) and person not in sent_at:
                sent_at[person] = clock.now
    for person, due in LOCAL_TEN.items():  # each at the first tick at or after their 10:00
        assert due <= sent_at[person] < due + timedelta(minutes=30), person

    with Session(runtime.engine) as session:
        run = session.exec(select(PollRun).where(PollRun.id == run_id)).one()
        deliveries = session.exec(
            select(PollDelivery)
            .where(PollDelivery.poll_run_id == run_id)
            .order_by(col(PollDelivery.recipient))
        ).all()
    assert run.closes_at == LOCAL_TEN["U0NY"] + timedelta(hours=24)  # everyone gets 24 h
    assert run.audience == len(PEOPLE)
    assert {d.recipient: d.status for d in deliveries} == dict.fromkeys(PEOPLE, "sent")
    # reminders count from each person's own DM: Tokyo was reminded at 05:00 UTC, New York
    # (DM at 15:00) not yet at 16:00.
    assert {d.recipient: d.reminders_sent for d in deliveries} == {
        "U0BERLIN": 1,
        "U0NOZONE": 1,
        "U0NY": 0,
        "U0TOKYO": 1,
    }


def test_a_channel_polls_audience_counts_people_only(
    make_runtime: MakeRuntime, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other bots, debtpulse itself and deactivated members are not people the poll reaches."""
    from bot.sandbox import BOT_USER_ID

    fake.workspace.add_user("U0JIRA", name="jira", is_bot=True)
    fake.workspace.add_user("U0GONE", name="gone", deleted=True)
    members = [BOT_USER_ID, "U0JIRA", "U0GONE", *PEOPLE]
    fake.workspace.add_channel("C0POLLS", name="polls", members=members)
    clock = Clock(datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC))
    runtime = _runtime(make_runtime, fake, clock, monkeypatch)
    monkeypatch.setattr(runtime.settings, "poll_channel", "C0POLLS")
    channel_survey = SURVEY.replace("audience: {dm: {usergroup: S0TEAM}}\n", "").replace(
        "per_recipient_timezone: true\n", ""
    )
    runtime.catalog["local-check"] = dataclasses.replace(
        runtime.catalog["local-check"], template=validate_template(yaml.safe_load(channel_survey))
    )
    run_id = poll_jobs.open_poll(runtime, "local-check", clock())
    with Session(runtime.engine) as session:
        run = session.exec(select(PollRun).where(PollRun.id == run_id)).one()
    assert run.audience == len(PEOPLE)
    assert len(fake.messages(channel="C0POLLS")) == 1

    # The 4 h reminder goes to the poll's thread while someone has not answered...
    people = list(PEOPLE)
    with runtime.transaction() as session:
        for person in people[:-1]:
            polls.record_participation(session, run=run, user_id=person, answered_on=clock().date())
    clock.now += timedelta(hours=4)
    poll_jobs.tick(runtime)
    replies = [m for m in fake.messages(channel="C0POLLS") if m.thread_ts]
    assert [m.text for m in replies] == ["Reminder: Local check (closes Tue 24 Nov 09:00 UTC)"]
    assert "3 of 4 have answered so far." in str(replies[0].blocks)
    # ...and not once everyone has.
    with runtime.transaction() as session:
        polls.record_participation(session, run=run, user_id=people[-1], answered_on=clock().date())
    survey = SURVEY.replace("reminders: [4h]", "reminders: [4h, 8h]")
    runtime.catalog["local-check"] = dataclasses.replace(
        runtime.catalog["local-check"],
        template=validate_template(
            yaml.safe_load(
                survey.replace("audience: {dm: {usergroup: S0TEAM}}\n", "").replace(
                    "per_recipient_timezone: true\n", ""
                )
            )
        ),
    )
    clock.now += timedelta(hours=5)
    poll_jobs.tick(runtime)
    assert len([m for m in fake.messages(channel="C0POLLS") if m.thread_ts]) == 1
