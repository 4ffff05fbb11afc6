"""Posting the weekly digest from the worker: the week it is for, and several channels.

The digest runs against the local fake Slack over real HTTP; the clock is moved by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.core.blocktext import blocks_to_text
from bot.runtime import Runtime
from bot.sandbox import FakeSlack
from bot.services import digest_jobs
from bot.services.register import import_register, save_item
from bot.services.register_csv import parse_register
from storage import db
from storage.models import DigestPost, PrioritySnapshot
from tests.jobs.conftest import TEAM, Clock, MakeRuntime

SYDNEY = ZoneInfo("Australia/Sydney")
FIRST_SLOT = datetime(2026, 11, 23, 9, 0, tzinfo=SYDNEY)  # a Monday; Sunday 22:00 in UTC
REGISTER = """key,title,effort,impact,likelihood,detectability
DEBT-1,Flaky data ingestion,M,4,4,3
DEBT-2,Manual model deployment,S,3,4,2
DEBT-3,Missing drift monitoring,L,3,2,4
"""


def digest_yaml(channels: str) -> str:
    return f"""\
id: sydney
kind: digest
title: Sydney debt digest
channels: [{channels}]
schedule: {{cron: "0 9 * * MON", timezone: Australia/Sydney}}
"""


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    with FakeSlack(post_rate=None) as fake:
        fake.workspace.add_channel("C0DIGESTA", name="debt", members=["U0BOT"])
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", fake.base_url)
        yield fake


def _seed(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        import_register(
            session,
            team_id=TEAM,
            rows=parse_register(REGISTER),
            actor="U0LEAD",
            reason="seed",
            now=FIRST_SLOT - timedelta(weeks=4),
        )


def _digests(fake: FakeSlack, channel: str) -> list[str]:
    return [blocks_to_text(m.blocks) for m in fake.messages(channel=channel) if not m.thread_ts]


def _post(runtime: Runtime, clock: Clock, slot: datetime) -> list[digest_jobs.ChannelResult]:
    clock.now = slot.astimezone(UTC) + timedelta(seconds=5)
    return digest_jobs.post_digest(runtime, "sydney", slot)


def test_a_monday_digest_east_of_utc_is_for_that_monday_week(
    make_runtime: MakeRuntime, sqlite_engine: Engine, fake: FakeSlack
) -> None:
    clock = Clock(FIRST_SLOT.astimezone(UTC))
    runtime = make_runtime({"sydney.yaml": digest_yaml("C0DIGESTA")}, clock=clock)
    _seed(sqlite_engine)
    slots = [FIRST_SLOT + timedelta(weeks=n) for n in range(3)]

    assert [r.outcome for r in _post(runtime, clock, slots[0])] == ["posted"]
    with db.session_scope(sqlite_engine) as session:  # resolved during the first week
        save_item(
            session,
            team_id=TEAM,
            key="DEBT-2",
            fields={"status": "resolved"},
            actor="U0LEAD",
            reason="/debt status",
            now=slots[0].astimezone(UTC) + timedelta(days=2),
        )
    assert [r.outcome for r in _post(runtime, clock, slots[1])] == ["posted"]
    assert [r.outcome for r in _post(runtime, clock, slots[2])] == ["posted"]

    first, second, third = _digests(fake, "C0DIGESTA")
    # each digest reads the date its readers in Sydney see on their Monday
    assert "Sydney debt digest — week of Nov 23, 2026" in first
    assert "Sydney debt digest — week of Nov 30, 2026" in second
    assert "Sydney debt digest — week of Dec 07, 2026" in third
    # "You said, we did" tells of a resolved item once, in the digest after it was resolved
    resolved = "✅ DEBT-2 Manual model deployment — resolved Nov 24"
    assert resolved in second
    assert "You said, we did" not in first and "You said, we did" not in third
    with db.session_scope(sqlite_engine, write=False) as session:
        weeks = sorted({row.taken_for for row in session.exec(select(PrioritySnapshot))})
        posts = session.exec(select(DigestPost).order_by(DigestPost.id)).all()
    assert weeks == [slot.date() for slot in slots]
    assert [post.week for post in posts] == [slot.date() for slot in slots]
    # the week asked for by hand is the same Monday week
    assert "week of Dec 07, 2026" in blocks_to_text(digest_jobs.preview(runtime).message["blocks"])


def test_a_channel_that_fails_does_not_stop_the_others_and_is_posted_later(
    make_runtime: MakeRuntime, sqlite_engine: Engine, fake: FakeSlack
) -> None:
    clock = Clock(FIRST_SLOT.astimezone(UTC))
    runtime = make_runtime({"sydney.yaml": digest_yaml("C0GONE, C0DIGESTA")}, clock=clock)
    _seed(sqlite_engine)

    results = _post(runtime, clock, FIRST_SLOT)
    assert [(r.channel, r.outcome, r.detail) for r in results] == [
        ("C0GONE", "failed", "channel_not_found"),
        ("C0DIGESTA", "posted", results[1].detail),
    ]
    assert len(_digests(fake, "C0DIGESTA")) == 1

    fake.workspace.add_channel("C0GONE", name="gone", members=["U0BOT"])
    results = _post(runtime, clock, FIRST_SLOT)  # the hourly catch-up, say
    assert [(r.channel, r.outcome) for r in results] == [
        ("C0GONE", "posted"),
        ("C0DIGESTA", "already posted"),
    ]
    assert len(_digests(fake, "C0GONE")) == 1
    assert len(_digests(fake, "C0DIGESTA")) == 1
