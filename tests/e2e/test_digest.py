"""The weekly digest end to end: posted by the worker's job at its cron time to every channel,
once per week, with its chart in the thread; previewed and posted with signed slash commands.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from bot.config import load_settings
from bot.core.chart import charts_available
from bot.jobs import scheduler
from bot.jobs.scheduler import build_scheduler, sync_jobs
from bot.runtime import Runtime, build_runtime
from bot.sandbox import FakeSlack, SlackDriver
from bot.services import digest_jobs
from bot.services.ranking import current_ranking
from bot.services.register import import_register
from bot.services.register_csv import parse_register
from bot.services.responses_csv import parse_responses, store_responses
from bot.services.snapshots import take_snapshot
from storage import db
from storage.models import DigestPost, PrioritySnapshot
from surveys import builtin_dir
from tests.e2e.conftest import LEAD, MEMBER, SECRET, TEAM, free_port, server_env, start_server

pytestmark = pytest.mark.e2e
CHANNELS = ("C0DIGESTA", "C0DIGESTB")
BERLIN = ZoneInfo("Europe/Berlin")
SLOT = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)  # a Monday, 09:00 in Berlin
DIGEST = f"""
id: team-digest
kind: digest
title: Platform debt digest
channels: [{", ".join(CHANNELS)}]
schedule: {{cron: "0 9 * * MON", timezone: Europe/Berlin}}
top: 5
"""
REGISTER = """key,title,category,component,effort,owner,impact,likelihood,detectability
DEBT-1,Flaky data ingestion,operational,pipeline,M,U0OWNER,4,4,3
DEBT-2,Copy-paste training notebooks,experimentation,training,S,,2,3,2
DEBT-3,Manual model deployment,operational,serving,L,,3,4,2
DEBT-4,Missing drift monitoring,operational,monitoring,M,U0OWNER,3,2,4
DEBT-5,Hardcoded features in the recommender prototype,experimentation,recsys,S,,2,2,2
"""
PAIN = {"DEBT-1": 5, "DEBT-2": 2, "DEBT-3": 4, "DEBT-4": 3, "DEBT-5": 1}


@dataclass
class DigestStack:
    fake: FakeSlack
    url: str
    database_url: str
    folder: Path

    def driver(self, user: str) -> SlackDriver:
        return SlackDriver(f"{self.url}/slack/events", SECRET, fake=self.fake, default_user=user)

    def runtime(self, monkeypatch: pytest.MonkeyPatch, now: datetime) -> Runtime:
        for name, value in server_env(
            self.fake, self.database_url, DEBTPULSE_SURVEYS_DIR=str(self.folder)
        ).items():
            monkeypatch.setenv(name, value)
        return build_runtime(load_settings(), default_team=TEAM, clock=lambda: now)

    def posts(self) -> list[DigestPost]:
        with Session(db.make_engine(self.database_url)) as session:
            return list(session.exec(select(DigestPost).order_by(DigestPost.id)))


def _answers(weeks: int) -> str:
    lines = ["survey_id,run_date,respondent,question_id,debt_key,value,text"]
    first = SLOT.date() - timedelta(weeks=weeks)
    for week in range(weeks):
        day = first + timedelta(weeks=week, days=0)
        for person in range(8):
            for key, pain in PAIN.items():
                value = max(1, min(5, pain + (person % 3) - 1))
                lines.append(f"weekly-debt-pulse,{day},p{person},pain,{key},{value},")
    return "\n".join(lines) + "\n"


def _seed(database_url: str, folder: Path) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    settings = load_settings()
    runtime = build_runtime(settings, engine=engine, default_team=TEAM)
    with db.session_scope(engine) as session:
        import_register(
            session,
            team_id=TEAM,
            rows=parse_register(REGISTER),
            actor="test",
            reason="seed",
            now=SLOT - timedelta(weeks=6),
        )
        rows = parse_responses(
            _answers(4), catalog=runtime.catalog, anon_secret_set=True, today=SLOT.date()
        )
        store_responses(session, team_id=TEAM, rows=rows, anon_secret="e2e-anon-secret")
    for weeks_ago in (3, 2, 1):  # earlier weekly snapshots: the chart's history
        at = SLOT.astimezone(UTC) - timedelta(weeks=weeks_ago)
        with db.session_scope(engine) as session:
            ranking = current_ranking(
                session, team_id=TEAM, now=at, settings=runtime.score_settings
            )
            take_snapshot(session, ranking=ranking, team_id=TEAM, actor="test", at=at)
    engine.dispose()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DigestStack]:
    folder = tmp_path_factory.mktemp("digest")
    (folder / "team-digest.yaml").write_text(DIGEST)
    shutil.copy(builtin_dir() / "weekly-debt-pulse.yaml", folder / "weekly-debt-pulse.yaml")
    database_url = f"sqlite:///{folder / 'debtpulse.db'}"
    with FakeSlack(post_rate=None) as fake, pytest.MonkeyPatch.context() as mp:
        for name, value in server_env(
            fake, database_url, DEBTPULSE_SURVEYS_DIR=str(folder)
        ).items():
            mp.setenv(name, value)
        _seed(database_url, folder)
        for user in (LEAD, MEMBER, "U0OWNER"):
            fake.workspace.add_user(user, name=user.lower())
        for channel in CHANNELS:
            fake.workspace.add_channel(channel, name=channel.lower(), members=["U0BOT", LEAD])
        port = free_port()
        process = start_server(
            env=server_env(fake, database_url, DEBTPULSE_SURVEYS_DIR=str(folder)),
            port=port,
            log=folder / "serve.log",
        )
        try:
            yield DigestStack(fake, f"http://127.0.0.1:{port}", database_url, folder)
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler, "_RUNTIME", None)
    monkeypatch.setattr(scheduler, "_CLOCK", None)


def _digest_messages(fake: FakeSlack, channel: str) -> list:
    return [m for m in fake.messages(channel=channel) if m.thread_ts is None]


def test_the_worker_posts_at_cron_time_to_every_channel_once_a_week(
    stack: DigestStack, monkeypatch: pytest.MonkeyPatch, registered: None
) -> None:
    at_cron = SLOT.astimezone(UTC) + timedelta(seconds=3)
    runtime = stack.runtime(monkeypatch, at_cron)
    jobs = build_scheduler(runtime)
    jobs.start(paused=True)
    try:
        sync_jobs(jobs, runtime)
        job = jobs.get_job("digest:team-digest")
        fire = job.trigger.get_next_fire_time(None, SLOT - timedelta(minutes=1))
        assert fire == SLOT  # 09:00 Berlin, the template's cron
    finally:
        jobs.shutdown(wait=False)

    scheduler.register(runtime, clock=lambda: at_cron)
    scheduler.run_digest_slot("team-digest")

    for channel in CHANNELS:
        (message,) = _digest_messages(stack.fake, channel)
        shown = json.dumps(message.blocks)
        assert "Platform debt digest" in shown
        assert "What to fix next" in shown
        assert "DEBT-1" in shown and "Flaky data ingestion" in shown
    assert stack.fake.rejections == []  # every payload passed Block Kit validation
    posts = stack.posts()
    assert {(p.channel_id, p.status) for p in posts} == {(c, "posted") for c in CHANNELS}
    with Session(db.make_engine(stack.database_url)) as session:
        weeks = {row.taken_for for row in session.exec(select(PrioritySnapshot))}
    assert SLOT.date() in weeks  # posting took the week's snapshot

    if charts_available():
        files = stack.fake.uploaded_files
        assert len(files) == len(CHANNELS)
        assert [c.method for c in stack.fake.calls if c.method.startswith("files.")] == [
            "files.getUploadURLExternal",
            "files.completeUploadExternal",
        ] * len(CHANNELS)
        for file in files:
            assert file.content.startswith(b"\x89PNG\r\n\x1a\n")
            ts = _digest_messages(stack.fake, file.channel or "")[0].ts
            assert file.thread_ts == ts  # in the digest's thread
        import io

        from matplotlib import image

        pixels = image.imread(io.BytesIO(files[0].content), format="png")
        assert pixels.shape[0] > 300 and pixels.shape[1] > 300

    # A second trigger the same week (a restart on Tuesday, the hourly catch-up) posts nothing.
    later = at_cron + timedelta(days=1)
    again = stack.runtime(monkeypatch, later)
    scheduler.register(again, clock=lambda: later)
    scheduler.run_digest_slot("team-digest")
    scheduler.catch_up(again, now=later)
    for channel in CHANNELS:
        assert len(_digest_messages(stack.fake, channel)) == 1
    assert len(stack.posts()) == len(CHANNELS)


def _replies(fake: FakeSlack, count: int) -> str:
    posts = fake.wait_for(
        lambda: fake.response_url_posts if len(fake.response_url_posts) > count else None,
        timeout=10,
    )
    return json.dumps(posts[-1].payload)


def test_slash_preview_for_anyone_and_post_for_leads(stack: DigestStack) -> None:
    fake = stack.fake
    member, lead = stack.driver(MEMBER), stack.driver(LEAD)
    count = len(fake.response_url_posts)
    assert member.slash(text="digest preview", channel=CHANNELS[0]).ok
    preview = _replies(fake, count)
    assert "What to fix next" in preview and "Flaky data ingestion" in preview
    assert fake.rejections == []

    refused = member.slash(text="digest post", channel=CHANNELS[0])
    assert "is for team leads" in refused.body_text

    count = len(fake.response_url_posts)
    assert lead.slash(text="digest post", channel=CHANNELS[0]).ok
    assert "posted" in _replies(fake, count)  # posted now, or already this (real) week
    before = [len(_digest_messages(fake, c)) for c in CHANNELS]

    count = len(fake.response_url_posts)
    assert lead.slash(text="digest post", channel=CHANNELS[0]).ok
    reply = _replies(fake, count)
    assert "already posted" in reply and "digest post force" in reply
    assert [len(_digest_messages(fake, c)) for c in CHANNELS] == before

    count = len(fake.response_url_posts)
    assert lead.slash(text="digest post force", channel=CHANNELS[0]).ok
    assert ":white_check_mark:" in _replies(fake, count)
    assert [len(_digest_messages(fake, c)) for c in CHANNELS] == [n + 1 for n in before]


def test_an_unreachable_slack_leaves_the_week_to_post_later(
    stack: DigestStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = SLOT.astimezone(UTC) + timedelta(weeks=2, seconds=5)
    runtime = stack.runtime(monkeypatch, later)
    before = [len(_digest_messages(stack.fake, c)) for c in CHANNELS]
    stack.fake.drop_next("chat.postMessage", times=50)  # every try, retries included
    try:
        results = digest_jobs.post_digest(runtime, "team-digest", later)
    finally:
        stack.fake.clear_faults()
    assert len(results) == len(CHANNELS)
    assert all(r.outcome == "failed" and "Slack unreachable" in r.detail for r in results)
    week = later.date() - timedelta(days=later.weekday())
    assert not [p for p in stack.posts() if p.week == week]  # no claim left behind

    results = digest_jobs.post_digest(runtime, "team-digest", later)  # the next try posts
    assert [r.outcome for r in results] == ["posted"] * len(CHANNELS)
    assert [len(_digest_messages(stack.fake, c)) for c in CHANNELS] == [n + 1 for n in before]


def test_posting_from_another_workspace_is_refused(stack: DigestStack) -> None:
    fake, lead = stack.fake, stack.driver(LEAD)
    before = [len(_digest_messages(fake, c)) for c in CHANNELS]
    count = len(fake.response_url_posts)
    assert lead.slash(text="digest post force", channel=CHANNELS[0], team="T0OTHER").ok
    assert "workspace of `SLACK_BOT_TOKEN` only" in _replies(fake, count)
    count = len(fake.response_url_posts)
    assert lead.slash(text="poll send weekly-debt-pulse", channel=CHANNELS[0], team="T0OTHER").ok
    assert "workspace of `SLACK_BOT_TOKEN` only" in _replies(fake, count)
    assert [len(_digest_messages(fake, c)) for c in CHANNELS] == before


BIG_DIGEST = """
id: big-digest
kind: digest
title: Every open item of a large platform team, with long titles, posted for the whole org
channels: [C0DIGESTA]
schedule: {cron: "0 9 * * MON", timezone: UTC}
top: 40
"""


def test_forty_items_with_long_titles_and_many_movers_stay_within_slacks_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "surveys"
    folder.mkdir()
    (folder / "big-digest.yaml").write_text(BIG_DIGEST)
    shutil.copy(builtin_dir() / "weekly-debt-pulse.yaml", folder / "weekly-debt-pulse.yaml")
    database_url = f"sqlite:///{tmp_path / 'big.db'}"
    lines = ["key,title,category,component,effort,owner,impact,likelihood,detectability"]
    for n in range(1, 41):
        title = f"Item {n}: " + "a very long description of a piece of technical debt " * 4
        category = "operational" if n % 2 else "experimentation"
        lines.append(f"DEBT-{n},{title[:200]},{category},platform,S,,{n % 5 + 1},{n % 4 + 1},2")
    now = datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC)
    with FakeSlack(post_rate=None) as fake:
        fake.workspace.add_channel("C0DIGESTA", name="digest", members=["U0BOT"])
        env = server_env(fake, database_url, DEBTPULSE_SURVEYS_DIR=str(folder))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        engine = db.make_engine(database_url)
        db.upgrade(engine)
        runtime = build_runtime(
            load_settings(), engine=engine, default_team=TEAM, clock=lambda: now
        )
        with db.session_scope(engine) as session:
            rows = parse_register("\n".join(lines) + "\n")
            import_register(
                session,
                team_id=TEAM,
                rows=rows,
                actor="test",
                reason="seed",
                now=now - timedelta(weeks=2),
            )
        # last week everything ranked the other way round: every item moved
        last_week = now - timedelta(weeks=1)
        with db.session_scope(engine) as session:
            ranking = current_ranking(
                session, team_id=TEAM, now=last_week, settings=runtime.score_settings
            )
            take_snapshot(session, ranking=ranking, team_id=TEAM, actor="test", at=last_week)
            session.execute(text("UPDATE priority_snapshot SET rank = 41 - rank"))
        results = digest_jobs.post_digest(runtime, "big-digest", now)
        assert [r.outcome for r in results] == ["posted"]
        (message,) = [m for m in fake.messages(channel="C0DIGESTA") if m.thread_ts is None]
        assert fake.rejections == []
        assert len(message.blocks) <= 50
        shown = json.dumps(message.blocks, ensure_ascii=False)
        assert "DEBT-40" in shown and "What moved" in shown
        assert shown.count(" → #") >= 8  # the movers, at most eight of them
        engine.dispose()
