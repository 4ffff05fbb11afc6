"""Poll delivery under failure: flaky Slack, a worker killed mid fan-out, racing schedulers.

The worker is a runtime in the test process (``poll_jobs`` and ``scheduler`` called
directly) over a migrated SQLite file, against the fake Slack; the killed worker is a
separate Python process. Delivery is *at most once* by design: every DM is planned in
``poll_delivery`` and marked ``sending`` before the request goes out, and a delivery found
``sending`` on resume is marked failed rather than sent again, since it may have landed.
The fan-out sends several at once (``fanout.SENDERS``), so that many may be in flight.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.config import load_settings
from bot.jobs import scheduler
from bot.runtime import Runtime, build_runtime
from bot.sandbox import FakeSlack
from bot.services import fanout, poll_jobs
from storage import db
from storage.models import PollDelivery, PollRun
from tests.e2e.conftest import LEAD, server_env

pytestmark = pytest.mark.e2e

TEAM = "T0TEST"
PEOPLE = [f"U0P{n:02d}" for n in range(1, 31)]
SQUAD = ["U0S1", "U0S2", "U0S3"]
ROBOT, LEFT, GONE = "U0ROBOT", "U0LEFT", "U0GONE"
BOT_USER = "U0BOT"
POLLS, SQUAD_CHANNEL = "C0POLLS", "C0SQUAD"
ARCHIVED, PRIVATE = "C0ARCHIVED", "C0PRIVATE"  # archived; private without debtpulse
INTERRUPTED = "interrupted while sending"

DM_SURVEY = """
id: dm-check
title: Quick check
schedule: {cron: "0 9 * * FRI", timezone: America/New_York}
audience: {dm: {usergroup: S0TEAM}}
anonymous: true
open_for: 24h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""
SQUAD_SURVEY = f"""
id: squad-check
title: Squad check
schedule: {{cron: "0 9 * * TUE", timezone: UTC}}
audience: {{dm: {{channel_members: {SQUAD_CHANNEL}}}}}
anonymous: true
open_for: 24h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""
CHANNEL_SURVEY = """
id: {id}
title: Weekly pulse {id}
schedule: {{cron: "0 10 * * MON", timezone: {zone}}}
audience: {{channel: {channel}}}
anonymous: true
open_for: 48h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""
TEMPLATES = {
    "dm-check.yaml": DM_SURVEY,
    "squad-check.yaml": SQUAD_SURVEY,
    "berlin.yaml": CHANNEL_SURVEY.format(id="berlin", zone="Europe/Berlin", channel=POLLS),
    "new-york.yaml": CHANNEL_SURVEY.format(id="new-york", zone="America/New_York", channel=POLLS),
    "archived.yaml": CHANNEL_SURVEY.format(id="archived", zone="UTC", channel=ARCHIVED),
    "private.yaml": CHANNEL_SURVEY.format(id="private", zone="UTC", channel=PRIVATE),
}
# A manual slot for the DM polls (what `poll send` would take).
SLOT = datetime(2026, 11, 6, 14, 0, tzinfo=UTC)


@dataclass
class Env:
    fake: FakeSlack
    surveys: Path
    database_url: str
    folder: Path

    def environ(self) -> dict[str, str]:
        return server_env(self.fake, self.database_url, DEBTPULSE_SURVEYS_DIR=str(self.surveys))

    def runtime(
        self, monkeypatch: pytest.MonkeyPatch, *, clock: Callable[[], datetime] | None = None
    ) -> Runtime:
        """A worker's runtime (its own engine, as another process would have)."""
        for name, value in self.environ().items():
            monkeypatch.setenv(name, value)
        settings = load_settings()
        if clock is None:
            return build_runtime(settings, default_team=TEAM)
        return build_runtime(settings, default_team=TEAM, clock=clock)

    @cached_property
    def engine(self) -> Engine:
        return db.make_engine(self.database_url)

    def session(self) -> Session:
        return Session(self.engine)

    def deliveries(self, run_id: int) -> list[PollDelivery]:
        with self.session() as session:
            query = select(PollDelivery).where(PollDelivery.poll_run_id == run_id)
            return list(session.exec(query.order_by(col(PollDelivery.id))))

    def runs(self) -> list[PollRun]:
        with self.session() as session:
            return list(session.exec(select(PollRun)))


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeSlack, Path]]:
    surveys = tmp_path_factory.mktemp("delivery-surveys")
    for name, text in TEMPLATES.items():
        (surveys / name).write_text(text, encoding="utf-8")
    with FakeSlack(post_rate=None) as slack:
        workspace = slack.workspace
        workspace.add_user(LEAD, name="lead")
        for person in [*PEOPLE, *SQUAD, GONE]:
            workspace.add_user(person, name=person.lower())
        workspace.add_user(ROBOT, name="robot", is_bot=True)
        workspace.add_user(LEFT, name="left", deleted=True)
        workspace.add_usergroup("S0TEAM", handle="team", users=[*PEOPLE, ROBOT, LEFT])
        workspace.add_channel(POLLS, name="polls", members=[BOT_USER, LEAD, *PEOPLE])
        # bots and a deactivated account added straight to the audience channel
        squad = [BOT_USER, *SQUAD, GONE, ROBOT, LEFT]
        workspace.add_channel(SQUAD_CHANNEL, name="squad", members=squad)
        workspace.add_channel(ARCHIVED, name="old-polls", members=[BOT_USER], is_archived=True)
        workspace.add_channel(PRIVATE, name="leads", members=[LEAD], is_private=True)
        yield slack, surveys


@pytest.fixture
def env(
    fake: tuple[FakeSlack, Path], tmp_path: Path, migrated_sqlite_template: Path
) -> Iterator[Env]:
    """A fresh database per test (``tick`` acts on every open run) and a clean fake."""
    slack, surveys = fake
    slack.reset()
    path = tmp_path / "debtpulse.db"
    shutil.copy(migrated_sqlite_template, path)
    env = Env(slack, surveys, f"sqlite:///{path}", tmp_path)
    yield env
    slack.clear_faults()
    env.engine.dispose()


def tick_until_delivered(runtime: Runtime, env: Env, run_id: int, *, limit: int = 10) -> int:
    """Run ``tick`` until the run has no pending delivery; how many ticks it took."""
    for ticks in range(1, limit + 1):
        poll_jobs.tick(runtime)
        if not [d for d in env.deliveries(run_id) if d.status == "pending"]:
            return ticks
    raise AssertionError(f"deliveries still pending after {limit} ticks")


def test_every_recipient_gets_one_dm_despite_429s_and_503s(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = env.fake
    # The first DM is refused four times running (429, Retry-After: 0), then one post in ten
    # answers 429 (Retry-After: 1) or 503 at random. The fan-out tries each again after
    # Slack's Retry-After (or a short pause after a 503) while it sends the others.
    fake.fail_next("chat.postMessage", status=429, retry_after=0, times=4)
    fake.fail_ratio("chat.postMessage", 0.1, statuses=(429, 503), seed=12)
    runtime = env.runtime(monkeypatch)

    run_id = poll_jobs.open_poll(runtime, "dm-check", SLOT, source="manual")
    assert run_id is not None
    deliveries = env.deliveries(run_id)
    assert sorted(d.recipient for d in deliveries) == PEOPLE  # bot and deactivated left out
    assert {d.status for d in deliveries} == {"sent"}  # nothing left for the next tick
    assert all(d.message_ts and d.channel_id == "D" + d.recipient[1:] for d in deliveries)
    assert {p: fake.dm_count(p) for p in PEOPLE} == {p: 1 for p in PEOPLE}
    assert fake.dm_count(ROBOT) == 0 and fake.dm_count(LEFT) == 0

    statuses = Counter(c.status for c in fake.calls_to("chat.postMessage"))
    assert statuses[429] >= 6 and statuses[503] >= 1, statuses  # the faults did happen
    assert statuses[200] == len(PEOPLE)
    # each DM went to the user id: no conversations.open, no users.info per person
    assert fake.calls_to("conversations.open") == fake.calls_to("users.info") == []
    assert {c.params["channel"] for c in fake.calls_to("chat.postMessage")} == set(PEOPLE)

    poll_jobs.tick(runtime)  # nothing left to send
    assert statuses == Counter(c.status for c in fake.calls_to("chat.postMessage"))


OPEN_SCRIPT = """
import sys
from datetime import datetime
from bot.config import load_settings
from bot.services import fanout, poll_jobs
from bot.runtime import build_runtime

runtime = build_runtime(load_settings(), default_team=sys.argv[1])
poll_jobs.open_poll(runtime, sys.argv[2], datetime.fromisoformat(sys.argv[3]), source="manual")
print("finished", flush=True)
"""


def test_a_worker_killed_mid_fan_out_resumes_without_a_second_copy(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed while fanning out, the rest is delivered by the next tick: at most once.

    Delivery is at-most-once by design: the DMs that were in flight when the worker died
    (marked ``sending``, at most one per sender thread) may or may not have reached Slack,
    so they are never resent; once they have been "sending" for longer than any send can
    take, they are marked failed ("interrupted while sending"). Everyone else gets exactly
    one DM.
    """
    fake = env.fake
    fake.slow_down("chat.postMessage", seconds=0.2)  # 30 DMs take six seconds or more
    log = env.folder / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-c", OPEN_SCRIPT, TEAM, "dm-check", SLOT.isoformat()],
            env={**env.environ(), "PYTHONPATH": str(Path(__file__).parents[2])},
            cwd=env.folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            fake.wait_for(lambda: sum(fake.dm_counts.values()) >= 10, timeout=20)
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
    assert worker.returncode == -signal.SIGKILL, log.read_text()
    # let a request the fake was still holding (the slow-down) finish before looking
    time.sleep(0.5)
    fake.clear_faults()
    before_resume = dict(fake.dm_counts)
    assert 10 <= sum(before_resume.values()) < len(PEOPLE)

    runtime = env.runtime(monkeypatch)
    [run] = env.runs()
    assert run.id is not None
    mid = Counter(d.status for d in env.deliveries(run.id))
    assert mid["pending"] >= len(PEOPLE) - sum(before_resume.values()) - 1

    poll_jobs.tick(runtime)  # the restarted worker's first tick sends the rest
    deliveries = {d.recipient: d for d in env.deliveries(run.id)}
    assert sorted(deliveries) == PEOPLE
    in_flight = [d for d in deliveries.values() if d.status != "sent"]
    assert len(in_flight) <= fanout.SENDERS, in_flight  # only those in flight at the kill
    assert all((d.status, d.last_error) == ("pending", "sending") for d in in_flight)

    counts = fake.dm_counts
    twice = {p: n for p, n in counts.items() if n > 1}
    assert not twice, f"a second copy was sent: {twice}"
    assert all(counts.get(d.recipient) == 1 for d in deliveries.values() if d.status == "sent")
    for delivery in in_flight:
        # if the in-flight post reached Slack the person has it once; else they have none
        assert counts.get(delivery.recipient, 0) == before_resume.get(delivery.recipient, 0)

    # Once longer than any send can take, the interrupted one is given up, not resent.
    later = env.runtime(
        monkeypatch, clock=lambda: datetime.now(UTC) + fanout.SEND_TIMEOUT + timedelta(minutes=1)
    )
    poll_jobs.tick(later)
    poll_jobs.tick(later)
    after = {d.recipient: d for d in env.deliveries(run.id)}
    assert [(after[d.recipient].status, after[d.recipient].last_error) for d in in_flight] == [
        ("failed", INTERRUPTED) for _ in in_flight
    ]
    interrupted = {d.recipient for d in in_flight}
    assert all(after[p].status == "sent" for p in PEOPLE if p not in interrupted)
    assert fake.dm_counts == counts


class Slot(NamedTuple):
    survey_id: str
    local: datetime  # the Monday 10:00 in the survey's zone
    utc: datetime  # what it is in UTC that week


@pytest.mark.parametrize(
    "slot",
    [
        # the Monday after the spring-forward of Sunday 29 March: CEST, UTC+2
        pytest.param(
            Slot(
                "berlin",
                datetime(2026, 3, 30, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")),
                datetime(2026, 3, 30, 8, 0, tzinfo=UTC),
            ),
            id="berlin",
        ),
        # the Monday after the fall-back of Sunday 1 November: EST, UTC-5
        pytest.param(
            Slot(
                "new-york",
                datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("America/New_York")),
                datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
            ),
            id="new-york",
        ),
    ],
)
def test_the_scheduled_slot_opens_one_run_however_many_workers_race(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, slot: Slot
) -> None:
    survey_id, utc_slot = slot.survey_id, slot.utc
    assert slot.local.weekday() == 0 and slot.local.astimezone(UTC) == utc_slot
    now = utc_slot + timedelta(seconds=5)
    first = env.runtime(monkeypatch, clock=lambda: now)
    other = env.runtime(monkeypatch, clock=lambda: now)  # another worker: its own engine
    monkeypatch.setattr(scheduler, "_RUNTIME", None)  # restored after the test
    monkeypatch.setattr(scheduler, "_CLOCK", None)
    scheduler.register(first)

    # Two scheduler jobs firing at once, and a third caller opening the same slot directly.
    start = threading.Barrier(3)
    opened: list[int | None] = []

    def job() -> None:
        start.wait(timeout=5)
        scheduler.run_survey_slot(survey_id)

    def direct() -> None:
        start.wait(timeout=5)
        opened.append(poll_jobs.open_poll(other, survey_id, utc_slot))

    with caplog.at_level(logging.INFO, logger="bot"):
        threads = [threading.Thread(target=f) for f in (job, job, direct)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=15)
        assert not any(thread.is_alive() for thread in threads)
        scheduler.run_survey_slot(survey_id)  # a late duplicate fire: nothing more

    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    [run] = env.runs()
    assert run.survey_id == survey_id and run.status == "open"
    assert run.scheduled_for == utc_slot  # the local 10:00, in UTC
    assert run.opened_at == now and run.closes_at == now + timedelta(hours=48)
    assert [d.recipient for d in env.deliveries(run.id or 0)] == [POLLS]
    assert len(env.fake.messages(channel=POLLS)) == 1
    assert len(env.fake.calls_to("chat.postMessage")) == 1
    assert opened in ([run.id], [None])
    assert sum("has a run already" in r.getMessage() for r in caplog.records) == 3


def test_recipients_that_cannot_get_a_dm_are_left_out_or_skipped_not_retried(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = env.fake
    gone = fake.workspace.users[GONE]
    # Opened while every post fails (an error that may pass): all four DMs are put back.
    # The clock stands still at the opening, so the fan-out leaves them to a later pass.
    opened = env.runtime(monkeypatch, clock=lambda: SLOT)
    fake.fail_next("chat.postMessage", status=400, times=len(SQUAD) + 1)
    run_id = poll_jobs.open_poll(opened, "squad-check", SLOT, source="manual")
    assert run_id is not None
    planned = env.deliveries(run_id)
    # the bot user, another bot and a deactivated account are never planned
    assert sorted(d.recipient for d in planned) == sorted([*SQUAD, GONE])
    assert {(d.status, d.last_error) for d in planned} == {("pending", "fatal_error")}
    assert {d.due_at for d in planned} == {SLOT + timedelta(seconds=1)}  # after a pause

    gone.deleted = True  # deactivated before the retry
    runtime = env.runtime(monkeypatch, clock=lambda: SLOT + timedelta(minutes=1))
    try:
        poll_jobs.tick(runtime)
        deliveries = {d.recipient: d for d in env.deliveries(run_id)}
        assert {p: deliveries[p].status for p in SQUAD} == {p: "sent" for p in SQUAD}
        assert (deliveries[GONE].status, deliveries[GONE].last_error) == (
            "skipped",
            "user_disabled",
        )
        calls = len(fake.calls)
        attempts = deliveries[GONE].attempts
        for _ in range(3):
            poll_jobs.tick(runtime)
        assert len(fake.calls) == calls  # no more tries for anyone
        after = {d.recipient: d for d in env.deliveries(run_id)}
        assert after[GONE].status == "skipped" and after[GONE].attempts == attempts
    finally:
        gone.deleted = False

    assert {p: fake.dm_count(p) for p in SQUAD} == {p: 1 for p in SQUAD}
    for nobody in (GONE, ROBOT, LEFT, BOT_USER):
        assert fake.dm_count(nobody) == 0
    posted_to = {c.params.get("channel") for c in fake.calls_to("chat.postMessage")}
    assert posted_to == {*SQUAD, GONE}  # never a bot or the deactivated of the audience
    assert fake.calls_to("conversations.open") == []


def test_a_tick_during_the_fan_out_sends_nobody_a_second_copy(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll still fanning out (``poll send`` in the web process, or a long usergroup) while
    the worker's tick comes round: each person gets the DM once, and the DM in flight is
    not declared interrupted."""
    fake = env.fake
    fake.slow_down("chat.postMessage", seconds=0.1)  # 30 DMs take three seconds or more
    sender = env.runtime(monkeypatch)
    worker = env.runtime(monkeypatch)  # the worker: another process, its own engine
    opened: list[int | None] = []
    fan_out = threading.Thread(
        target=lambda: opened.append(poll_jobs.open_poll(sender, "dm-check", SLOT, source="manual"))
    )
    fan_out.start()
    try:
        fake.wait_for(lambda: sum(fake.dm_counts.values()) >= 5, timeout=20)
        poll_jobs.tick(worker)  # the tick comes round while the first DMs are going out
    finally:
        fan_out.join(timeout=30)
    assert not fan_out.is_alive()
    [run_id] = opened
    assert run_id is not None
    deliveries = env.deliveries(run_id)
    assert {p: fake.dm_count(p) for p in PEOPLE} == {p: 1 for p in PEOPLE}
    assert {(d.status, d.last_error) for d in deliveries} == {("sent", "")}


def test_a_close_slack_fails_on_still_posts_the_rest_and_says_what_was_not_posted(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Two channel polls close in one tick: Slack drops the connection when the first one's
    message is marked closed, and someone deleted the second one's message. Both still get
    their results in their thread, and the log says what was not done."""
    fake = env.fake
    opened = env.runtime(monkeypatch, clock=lambda: SLOT)
    berlin = poll_jobs.open_poll(opened, "berlin", SLOT, source="manual")
    new_york = poll_jobs.open_poll(opened, "new-york", SLOT, source="manual")
    assert berlin is not None and new_york is not None
    first, second = fake.messages(channel=POLLS)
    poll_jobs.slack_client(opened).chat_delete(channel=POLLS, ts=second.ts)
    fake.drop_next("chat.update", times=3)  # the client's two retries are not enough

    later = env.runtime(monkeypatch, clock=lambda: SLOT + timedelta(hours=49))
    with caplog.at_level(logging.INFO, logger="bot"):
        poll_jobs.tick(later)

    assert {r.status for r in env.runs()} == {"closed"}
    threads = {m.thread_ts: m.text for m in fake.messages(channel=POLLS) if m.thread_ts}
    assert threads == {
        first.ts: "Weekly pulse berlin closed: results",
        second.ts: "Weekly pulse new-york closed: results",
    }
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"run {berlin}: the poll message in {POLLS} was not marked closed (ConnectionResetError)",
        f"run {new_york}: the poll message in {POLLS} was not marked closed (message_not_found)",
    ]
    assert f"run {berlin} closed with 0 respondents" in caplog.text
    assert f"run {new_york} closed with 0 respondents" in caplog.text


def test_a_channel_the_poll_cannot_be_posted_in_is_named_in_the_log_with_what_to_do(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = env.runtime(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="bot"):
        archived = poll_jobs.open_poll(runtime, "archived", SLOT, source="manual")
        private = poll_jobs.open_poll(runtime, "private", SLOT, source="manual")
        poll_jobs.tick(runtime)  # skipped for good: not tried again
    assert archived is not None and private is not None
    assert [r.getMessage() for r in caplog.records] == [
        f"run {archived}: the poll in {ARCHIVED} was skipped (is_archived): the channel is "
        "archived: unarchive it or change the survey's audience",
        f"run {private}: the poll in {PRIVATE} was skipped (channel_not_found): check the "
        "audience's channel id; a private channel needs debtpulse invited",
    ]
    statuses = {(d.recipient, d.status) for r in (archived, private) for d in env.deliveries(r)}
    assert statuses == {(ARCHIVED, "skipped"), (PRIVATE, "skipped")}
    assert env.fake.messages(channel=ARCHIVED) == env.fake.messages(channel=PRIVATE) == []
