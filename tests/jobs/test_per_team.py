"""Scheduling and delivery for every installed workspace: each team's slots in its own zone,
with its own token and channels; one team's backlog or revoked token holds up no other."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.jobs import scheduler as jobs
from bot.jobs import sender
from bot.runtime import Runtime
from bot.sandbox import BOT_USER_ID, FakeSlack, Workspace
from bot.services import poll_jobs, team_settings, workspaces
from storage.models import PollDelivery, PollRun
from tests.jobs.conftest import Clock, MakeRuntime, digest_yaml, survey_yaml
from tests.team_factories import install

TEAMS = ("T0ALPHA", "T0BETA", "T0GAMMA")
SLOT = datetime(2026, 2, 9, 10, 0, tzinfo=UTC)  # a Monday
DM_SURVEY = """\
id: dm-pulse
title: DM pulse
schedule: {cron: "0 10 * * MON", timezone: UTC}
audience: {dm: {channel_members: C0TEAM}}
anonymous: false
open_for: 48h
questions:
  - id: note
    type: text
    prompt: "Anything about technical debt this week?"
    optional: true
"""


def token(team: str) -> str:
    return f"xoxb-{team.lower()}-bot"


def people(team: str, count: int) -> list[str]:
    return [f"U{team[2]}{n:04d}" for n in range(count)]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """Three workspaces, each with its own lead, poll and digest channels (and, for DM
    polls, a ``C0TEAM`` channel of its own people: ids are scoped to their workspace)."""
    with FakeSlack(post_rate=None) as fake:
        for team, size in zip(TEAMS, (4, 1, 1), strict=True):
            workspace = Workspace(
                team_id=team, team_domain=team.lower(), bot_token=token(team), app_token=None
            )
            members = people(team, size)
            for user in members:
                workspace.add_user(user, name=user.lower())
            for channel in ("POLLS", "DIGEST"):
                workspace.add_channel(f"C{team[2]}{channel}", members=[BOT_USER_ID, *members])
            workspace.add_channel("C0TEAM", members=[BOT_USER_ID, *members])
            fake.add_workspace(workspace)
        yield fake


@pytest.fixture
def oauth(monkeypatch: pytest.MonkeyPatch, fake: FakeSlack, sqlite_engine: Engine) -> None:
    """OAuth settings, the fake's Web API, and the three teams installed with their tokens."""
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret")
    monkeypatch.setenv("SLACK_STATE_SECRET", "state-secret")
    monkeypatch.setenv("SLACK_API_URL", fake.base_url)
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", "anon-secret")
    for team in TEAMS:
        install(sqlite_engine, team, token=token(team))


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "_RUNTIME", None)  # restored after the test
    monkeypatch.setattr(jobs, "_CLOCK", None)


def configure(runtime: Runtime, team: str, **values: str) -> None:
    for key, value in values.items():
        team_settings.set_value(runtime, team, key, value, actor="U0TEST", reason="test")


def runs(engine: Engine) -> dict[str, list[datetime]]:
    with Session(engine) as session:
        found: dict[str, list[datetime]] = {}
        for run in session.exec(select(PollRun).order_by(PollRun.id)):  # type: ignore[arg-type]
            found.setdefault(run.team_id, []).append(run.scheduled_for.replace(tzinfo=UTC))
        return found


def posted(fake: FakeSlack, team: str, channel: str) -> list[str]:
    """The tokens of the successful posts into ``team``'s ``channel``."""
    return [
        str(c.token)
        for c in fake.calls_to("chat.postMessage", team=team)
        if c.ok and c.params.get("channel") == channel
    ]


@pytest.fixture
def scheduler(make_runtime: MakeRuntime) -> Iterator[BackgroundScheduler]:
    made = jobs.build_scheduler(make_runtime({}))
    made.start(paused=True)
    yield made
    made.shutdown(wait=False)


@pytest.mark.usefixtures("oauth", "registered")
def test_each_team_runs_the_slot_in_its_own_zone_with_its_own_token(
    make_runtime: MakeRuntime, fake: FakeSlack, scheduler: BackgroundScheduler
) -> None:
    clock = Clock(SLOT + timedelta(seconds=5))
    runtime = make_runtime({"pulse.yaml": survey_yaml("pulse")}, clock=clock)
    for team in TEAMS:
        configure(runtime, team, poll_channel=f"C{team[2]}POLLS")
    configure(runtime, "T0BETA", timezone="America/New_York")

    synced = jobs.sync_jobs(scheduler, runtime)
    assert synced.scheduled == ["survey:pulse", "survey:pulse@America/New_York"]
    assert scheduler.get_job("survey:pulse@America/New_York").args == (
        "pulse",
        "America/New_York",
    )

    jobs.register(runtime, clock)
    jobs.run_survey_slot("pulse")  # 10:00 UTC: the teams on the template's zone
    assert runs(runtime.engine) == {"T0ALPHA": [SLOT], "T0GAMMA": [SLOT]}
    clock.now = SLOT + timedelta(hours=5, seconds=5)  # 10:00 in New York
    jobs.run_survey_slot("pulse", "America/New_York")
    assert runs(runtime.engine)["T0BETA"] == [SLOT + timedelta(hours=5)]
    for team in TEAMS:  # one poll each, in its own channel, with its own token
        assert posted(fake, team, f"C{team[2]}POLLS") == [token(team)]
    assert all(c.team == str(c.token).split("-")[1].upper() for c in fake.calls if c.token)

    # the hourly catch-up finds every team's slot taken
    assert jobs.catch_up(runtime, now=clock.now) == []
    # the jobs follow the teams' settings: a resync changes nothing, the tick keeps its
    # rhythm; beta back on the template's zone, its own job goes
    tick_at = scheduler.get_job("tick").next_run_time
    assert jobs.sync_jobs(scheduler, runtime) == jobs.Synced(synced.scheduled, [])
    assert scheduler.get_job("tick").next_run_time == tick_at
    team_settings.unset_value(runtime, "T0BETA", "timezone", actor="U0TEST", reason="test")
    assert jobs.sync_jobs(scheduler, runtime).removed == ["survey:pulse@America/New_York"]


@pytest.mark.usefixtures("oauth", "registered")
def test_a_team_runs_what_it_enabled_and_a_setting_changed_counts_at_the_next_slot(
    make_runtime: MakeRuntime, fake: FakeSlack, scheduler: BackgroundScheduler
) -> None:
    clock = Clock(SLOT - timedelta(hours=1) + timedelta(seconds=5))
    templates = {"pulse.yaml": survey_yaml("pulse"), "digest.yaml": digest_yaml("digest")}
    runtime = make_runtime(templates, clock=clock)
    configure(runtime, "T0ALPHA", poll_channel="CAPOLLS", digest_channels="CADIGEST")
    configure(runtime, "T0GAMMA", poll_channel="CGPOLLS")  # no digest channel: no digest
    # T0BETA set nothing: no channel to post its poll in, so nothing runs for it

    assert jobs.sync_jobs(scheduler, runtime).scheduled == ["digest:digest", "survey:pulse"]
    jobs.register(runtime, clock)
    jobs.run_digest_slot("digest")
    clock.now = SLOT + timedelta(seconds=5)
    jobs.run_survey_slot("pulse")
    assert sorted(runs(runtime.engine)) == ["T0ALPHA", "T0GAMMA"]
    assert len(posted(fake, "T0ALPHA", "CADIGEST")) == 1
    assert not [c for c in fake.calls_to("chat.postMessage") if c.team == "T0BETA"]

    # a week later, alpha's poll goes to the channel it changed to, with no restart
    configure(runtime, "T0ALPHA", poll_channel="CADIGEST")
    clock.now = SLOT + timedelta(days=7, seconds=5)
    jobs.run_survey_slot("pulse")
    assert posted(fake, "T0ALPHA", "CADIGEST") == [token("T0ALPHA")] * 2  # digest, then poll
    assert posted(fake, "T0ALPHA", "CAPOLLS") == [token("T0ALPHA")]  # the first week only


@pytest.mark.usefixtures("oauth")
def test_one_teams_backlog_or_revoked_token_holds_up_no_other_teams_messages(
    make_runtime: MakeRuntime, fake: FakeSlack
) -> None:
    """Alpha's four DMs wait for its workspace's limit (2 at once, then one a second);
    beta's one DM goes meanwhile; gamma's token was revoked, so its DM is skipped."""
    fake.settings.post_workspace_rate, fake.settings.post_workspace_burst = 60.0, 2
    fake.reset()
    runtime = make_runtime({"dm-pulse.yaml": DM_SURVEY})  # on the real clock: retries come due
    slot = runtime.clock().replace(second=0, microsecond=0)
    for team in TEAMS:  # opened, nothing sent yet: the sender's work
        view = workspaces.team_runtime(runtime, team)
        assert poll_jobs.open_poll(view, "dm-pulse", slot, send_for=0.0) is not None
    fake.revoke_token(token("T0GAMMA"))  # meanwhile (Slack's side: no event yet)

    drained = sender.send_due(runtime, stop=threading.Event())

    assert sorted(drained) == list(TEAMS)
    assert fake.dm_counts == {**dict.fromkeys(people("T0ALPHA", 4), 1), "UB0000": 1}
    sends = [c for c in fake.calls_to("chat.postMessage") if c.ok]
    beta = next(n for n, c in enumerate(sends) if c.team == "T0BETA")
    assert beta < max(n for n, c in enumerate(sends) if c.team == "T0ALPHA")
    assert any(c.status == 429 for c in fake.calls_to("chat.postMessage", team="T0ALPHA"))
    with Session(runtime.engine) as session:
        gamma = session.exec(select(PollDelivery).where(PollDelivery.team_id == "T0GAMMA")).one()
    assert (gamma.status, gamma.last_error) == ("skipped", "token_revoked")


def test_a_reminder_two_workers_race_for_is_sent_once(
    make_runtime: MakeRuntime, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", token("T0ALPHA"))
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret")
    monkeypatch.setenv("SLACK_API_URL", fake.base_url)
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", "anon-secret")
    survey = DM_SURVEY.replace("open_for: 48h", "open_for: 48h\nreminders: [4h]")
    first = make_runtime({"dm-pulse.yaml": survey}, clock=lambda: SLOT)
    run_id = poll_jobs.open_poll(first, "dm-pulse", SLOT)
    later = SLOT + timedelta(hours=5)
    workers = [make_runtime({"dm-pulse.yaml": survey}, clock=lambda: later) for _ in range(2)]
    with Session(first.engine) as session:
        run = session.get(PollRun, run_id)
    assert run is not None
    start = threading.Barrier(2)
    reminded: list[int] = []

    def tick(worker: Runtime) -> None:
        start.wait(timeout=5)
        reminded.append(poll_jobs.remind(worker, run, later))

    threads = [threading.Thread(target=tick, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    assert sum(reminded) == 4  # each person's reminder claimed by one worker or the other
    assert fake.dm_counts == dict.fromkeys(people("T0ALPHA", 4), 2)  # the poll, one reminder
