"""The poll fan-out against the fake Slack with its limits: list calls to resolve an audience,
a DM straight to the user id, several sends in flight, a 429 that holds up no one else,
deliveries shared by two workers on one database, and a crash mid-fan-out.

The workers are runtimes in the test process, each with its own engine (as another process
would have), over a migrated SQLite file or the PostgreSQL test schema.
"""

from __future__ import annotations

import math
import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from bot.config import load_settings
from bot.jobs import worker as worker_module
from bot.runtime import Runtime, build_runtime
from bot.sandbox import BOT_TOKEN, FakeSlack
from bot.services import fanout, poll_jobs
from bot.slack import people
from storage import db, deliveries
from storage import lease as lease_rows
from storage.models import PollDelivery, PollRun
from storage.types import utcnow
from tests.conftest import postgres_engine

TEAM = "T0TEST"
BIG, TEAM_CHANNEL = "C0BIG", "C0TEAM"
ROBOT, LEFT = "U0ROBOT", "U0LEFT"
SLOT = datetime(2026, 11, 6, 14, 0, tzinfo=UTC)


def survey(survey_id: str, audience: str) -> str:
    return f"""
id: {survey_id}
title: Check {survey_id}
schedule: {{cron: "0 9 * * FRI", timezone: UTC}}
audience: {audience}
anonymous: false
open_for: 24h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""


TEMPLATES = {
    "big-channel.yaml": survey("big-channel", f"{{channel: {BIG}}}"),
    "team-dm.yaml": survey("team-dm", f"{{dm: {{channel_members: {TEAM_CHANNEL}}}}}"),
    "group-dm.yaml": survey("group-dm", "{dm: {usergroup: S0GROUP}}"),
}


def person(n: int) -> str:
    return f"U1{n:05d}"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """Slack's limits as the fake models them: every tier, and chat.postMessage's per channel
    and per workspace (200 a minute, a burst of 20)."""
    with FakeSlack() as slack:
        slack.workspace.add_user(ROBOT, name="robot", is_bot=True)
        slack.workspace.add_user(LEFT, name="left", deleted=True)
        yield slack


@pytest.fixture
def sqlite_engine(tmp_path: Path, migrated_sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "fanout.db"
    shutil.copy(migrated_sqlite_template, path)
    engine = db.make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def another_engine(engine: Engine) -> Engine:
    """A second engine on the same database, as a second worker process would open."""
    if engine.dialect.name == "sqlite":
        return db.make_engine(str(engine.url))
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    return postgres_engine(schema)


MakeRuntime = Callable[[Engine], Runtime]


@pytest.fixture
def make_runtime(fake: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MakeRuntime:
    templates = tmp_path / "surveys"
    templates.mkdir()
    for name, body in TEMPLATES.items():
        (templates / name).write_text(body, encoding="utf-8")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "fanout-secret")
    monkeypatch.setenv("SLACK_API_URL", fake.base_url)
    monkeypatch.setenv("DEBTPULSE_SURVEYS_DIR", str(templates))

    def make(engine: Engine) -> Runtime:
        return build_runtime(load_settings(), engine=engine, default_team=TEAM)

    return make


def rows(engine: Engine, run_id: int) -> list[PollDelivery]:
    with Session(engine) as session:
        query = select(PollDelivery).where(PollDelivery.poll_run_id == run_id)
        return list(session.exec(query.order_by(col(PollDelivery.id))))


def open_unsent(runtime: Runtime, survey_id: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Open a run with every message planned and none sent yet (as if its opener stopped
    right after the commit)."""
    with monkeypatch.context() as patch:
        patch.setattr(fanout, "deliver_due", lambda *args, **kwargs: fanout.Drained())
        run_id = poll_jobs.open_poll(runtime, survey_id, SLOT, source="manual")
    assert run_id is not None
    return run_id


def add_group(fake: FakeSlack, size: int) -> list[str]:
    group = [person(n) for n in range(size)]
    for user in group:
        fake.workspace.add_user(user, name=user.lower())
    fake.workspace.add_usergroup("S0GROUP", handle="group", users=[*group, ROBOT, LEFT])
    return group


# -- resolving an audience ------------------------------------------------------------------


def test_a_channel_audience_is_counted_with_list_calls_not_a_call_per_member(
    fake: FakeSlack, sqlite_engine: Engine, make_runtime: MakeRuntime
) -> None:
    members = [person(n) for n in range(1_100)]
    for user in members:
        fake.workspace.add_user(user, name=user.lower())
    channel = ["U0BOT", *members, ROBOT, LEFT]
    fake.workspace.add_channel(BIG, name="big", members=channel)
    runtime = make_runtime(sqlite_engine)

    run_id = poll_jobs.open_poll(runtime, "big-channel", SLOT, source="manual")

    with Session(sqlite_engine) as session:
        run = session.get(PollRun, run_id)
    assert run is not None and run.audience == 1_100  # people only: no bots, no deactivated
    pages = math.ceil(len(channel) / people.MEMBERS_PAGE)
    directory = math.ceil(len(fake.workspace.users) / people.USERS_PAGE)
    assert len(fake.calls_to("conversations.members")) == pages == 2
    assert len(fake.calls_to("users.list")) == directory == 6
    assert fake.calls_to("users.info") == []
    assert [c.params["channel"] for c in fake.calls_to("chat.postMessage")] == [BIG]
    assert {c.status for c in fake.calls} == {200}  # within every tier's limit


def test_a_dm_audience_gets_one_dm_each_at_the_user_id_and_no_conversations_open(
    fake: FakeSlack, sqlite_engine: Engine, make_runtime: MakeRuntime
) -> None:
    team = [person(n) for n in range(25)]  # more than a few: one directory sweep
    for user in team:
        fake.workspace.add_user(user, name=user.lower(), tz="Asia/Tokyo")
    fake.workspace.add_channel(TEAM_CHANNEL, name="team", members=["U0BOT", *team, ROBOT, LEFT])
    runtime = make_runtime(sqlite_engine)

    run_id = poll_jobs.open_poll(runtime, "team-dm", SLOT, source="manual")
    assert run_id is not None
    assert len(team) > people.LOOK_UP_AT_MOST

    assert sorted(d.recipient for d in rows(sqlite_engine, run_id)) == team
    assert {d.status for d in rows(sqlite_engine, run_id)} == {"sent"}
    assert fake.dm_counts == dict.fromkeys(team, 1)  # nobody twice, no bot, no deactivated
    assert len(fake.calls_to("conversations.members")) == 1
    assert len(fake.calls_to("users.list")) == 1
    assert fake.calls_to("users.info") == fake.calls_to("conversations.open") == []
    posts = fake.calls_to("chat.postMessage")
    assert sorted(c.params["channel"] for c in posts) == team  # straight to the user id
    assert {c.status for c in posts} == {200}  # paced within the workspace's limit


def test_a_few_people_are_looked_up_one_by_one(
    fake: FakeSlack, sqlite_engine: Engine, make_runtime: MakeRuntime
) -> None:
    """Up to ``LOOK_UP_AT_MOST`` people, a users.info each is quicker than sweeping a large
    workspace's directory."""
    group = add_group(fake, 3)
    for n in range(500):  # a large workspace around them
        fake.workspace.add_user(f"U9{n:05d}", name=f"other{n}")
    run_id = poll_jobs.open_poll(make_runtime(sqlite_engine), "group-dm", SLOT, source="manual")
    assert run_id is not None
    assert fake.calls_to("users.list") == []
    assert sorted(c.params["user"] for c in fake.calls_to("users.info")) == sorted(
        [*group, ROBOT, LEFT]
    )
    assert fake.dm_counts == dict.fromkeys(group, 1)


def test_a_small_audience_in_a_very_large_workspace_reads_a_minute_of_the_directory_at_most(
    fake: FakeSlack, sqlite_engine: Engine, make_runtime: MakeRuntime
) -> None:
    for n in range(people.SWEEP_PAGES * people.USERS_PAGE + 500):  # 4,500 others first
        fake.workspace.add_user(f"U9{n:05d}", name=f"other{n}")
    team = [person(n) for n in range(30)]  # listed last
    for user in team:
        fake.workspace.add_user(user, name=user.lower())
    fake.workspace.add_channel(TEAM_CHANNEL, name="team", members=["U0BOT", *team])
    run_id = poll_jobs.open_poll(make_runtime(sqlite_engine), "team-dm", SLOT, source="manual")
    assert run_id is not None
    assert len(fake.calls_to("users.list")) == people.SWEEP_PAGES
    assert sorted(c.params["user"] for c in fake.calls_to("users.info")) == team
    assert fake.dm_counts == dict.fromkeys(team, 1)


# -- sending -------------------------------------------------------------------------------


def test_a_429_on_one_recipient_does_not_hold_up_the_others(
    fake: FakeSlack, sqlite_engine: Engine, make_runtime: MakeRuntime
) -> None:
    group = add_group(fake, 10)
    fake.fail_next("chat.postMessage", status=429, retry_after=2)  # the first send only
    run_id = poll_jobs.open_poll(make_runtime(sqlite_engine), "group-dm", SLOT, source="manual")
    assert run_id is not None

    posts = fake.calls_to("chat.postMessage")
    refused = next(n for n, c in enumerate(posts) if c.status == 429)
    waiting = posts[refused].params["channel"]
    landed = next(
        n for n, c in enumerate(posts) if c.status == 200 and c.params["channel"] == waiting
    )
    # while it waited out Retry-After, every other person's DM went out
    sent_meanwhile = {c.params["channel"] for c in posts[refused + 1 : landed] if c.status == 200}
    assert sent_meanwhile == set(group) - {waiting}
    assert fake.dm_counts == dict.fromkeys(group, 1)
    assert {d.status for d in rows(sqlite_engine, run_id)} == {"sent"}


@pytest.mark.parametrize(
    "sqlite_or_postgres", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_two_workers_share_the_deliveries_and_send_each_once(
    fake: FakeSlack,
    make_runtime: MakeRuntime,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_or_postgres: str,
) -> None:
    engine: Engine = request.getfixturevalue(
        "sqlite_engine" if sqlite_or_postgres == "sqlite" else "engine_postgres"
    )
    group = add_group(fake, 30)
    first = make_runtime(engine)
    run_id = open_unsent(first, "group-dm", monkeypatch)
    second_engine = another_engine(engine)
    second = make_runtime(second_engine)

    start = threading.Barrier(2)
    drained: dict[str, fanout.Drained] = {}

    def drain(name: str, runtime: Runtime) -> None:
        start.wait(timeout=10)
        drained[name] = fanout.deliver_due(runtime)

    try:
        workers = [
            threading.Thread(target=drain, args=(name, runtime))
            for name, runtime in (("first", first), ("second", second))
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
    finally:
        second_engine.dispose()
    assert fake.dm_counts == dict.fromkeys(group, 1)  # each once, whoever sent it
    assert drained["first"].sent + drained["second"].sent == len(group)
    assert drained["first"].sent and drained["second"].sent  # both took a share
    assert {d.status for d in rows(engine, run_id)} == {"sent"}
    # one budget for the workspace: two pacers of their own would have burst past Slack's 20
    assert {c.status for c in fake.calls_to("chat.postMessage")} == {200}


@pytest.fixture
def engine_postgres(request: pytest.FixtureRequest) -> Engine:
    """The PostgreSQL test schema, emptied (skips without one)."""
    from tests.conftest import _truncate_all

    pg: Engine = request.getfixturevalue("migrated_postgres")
    _truncate_all(pg)
    return pg


@pytest.mark.parametrize(
    "sqlite_or_postgres", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_after_a_crash_mid_fan_out_the_next_pass_sends_the_rest_and_none_twice(
    fake: FakeSlack,
    make_runtime: MakeRuntime,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_or_postgres: str,
) -> None:
    """A worker died mid fan-out: 8 DMs sent, 3 claimed and in flight (they may have
    landed), the rest never tried. The next pass sends the rest; the 3 are never sent again
    and are given up once longer in flight than any send takes."""
    engine: Engine = request.getfixturevalue(
        "sqlite_engine" if sqlite_or_postgres == "sqlite" else "engine_postgres"
    )
    group = add_group(fake, 24)
    runtime = make_runtime(engine)
    run_id = open_unsent(runtime, "group-dm", monkeypatch)
    client = poll_jobs.slack_client(runtime)
    with runtime.transaction() as session:
        for _ in range(8):  # sent, and marked so
            claimed = deliveries.claim_next(session, team_id=TEAM, now=runtime.clock())
            assert claimed is not None
            client.chat_postMessage(channel=claimed.recipient, text="poll")
            deliveries.finish(session, delivery_id=claimed.id, status="sent", now=runtime.clock())
        in_flight = [
            deliveries.claim_next(session, team_id=TEAM, now=runtime.clock()) for _ in range(3)
        ]
    stuck = {c.recipient for c in in_flight if c is not None}
    assert len(stuck) == 3
    before = dict(fake.dm_counts)

    poll_jobs.tick(make_runtime(engine))  # the restarted worker's next pass

    counts = fake.dm_counts
    assert {p: counts.get(p, 0) for p in group if p not in stuck} == {
        p: 1 for p in group if p not in stuck
    }  # nobody missing, nobody twice
    assert all(counts.get(p, 0) == before.get(p, 0) for p in stuck)  # not sent again
    by_recipient = {d.recipient: d for d in rows(engine, run_id)}
    assert {(by_recipient[p].status, by_recipient[p].last_error) for p in stuck} == {
        ("pending", "sending")
    }

    later = fake_clock_runtime(make_runtime, engine, fanout.SEND_TIMEOUT + timedelta(minutes=1))
    fanout.deliver_due(later)
    by_recipient = {d.recipient: d for d in rows(engine, run_id)}
    assert {(by_recipient[p].status, by_recipient[p].last_error) for p in stuck} == {
        ("failed", "interrupted while sending")
    }
    assert fake.dm_counts == counts


def fake_clock_runtime(make_runtime: MakeRuntime, engine: Engine, ahead: timedelta) -> Runtime:
    runtime = make_runtime(engine)
    runtime.clock = lambda: datetime.now(UTC) + ahead
    return runtime


def test_a_spare_worker_waiting_for_the_lease_sends_due_deliveries(
    fake: FakeSlack,
    sqlite_engine: Engine,
    make_runtime: MakeRuntime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another worker holds the scheduler lease; this one waits for it, and its sender
    shares the deliveries all the same."""
    group = add_group(fake, 5)
    runtime = make_runtime(sqlite_engine)
    open_unsent(runtime, "group-dm", monkeypatch)
    with db.session_scope(sqlite_engine) as session:
        assert lease_rows.try_acquire(
            session, name="scheduler", holder="other", now=utcnow(), ttl=timedelta(minutes=5)
        )
    stop = threading.Event()
    worker = threading.Thread(
        target=worker_module.run_worker,
        args=(runtime,),
        kwargs={"stop_event": stop, "holder": "spare", "poll_every": 0.05, "renew_every": 1.0},
    )
    worker.start()
    try:
        fake.wait_for(lambda: fake.dm_counts == dict.fromkeys(group, 1), timeout=10)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert Counter(c.status for c in fake.calls_to("chat.postMessage")) == {200: len(group)}
    with db.session_scope(sqlite_engine, write=False) as session:
        lease = lease_rows.current(session, name="scheduler")
    assert lease is not None and lease.holder == "other"  # it never ran the scheduler
