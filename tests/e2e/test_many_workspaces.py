"""Three workspaces installed over OAuth through the real serve process, one deployment: each
gets its own scheduled poll and digest in its own channels with its own token; a token
revoked mid-run leaves the other two on time; a setting changed with ``/debt config`` counts
at the next slot without a restart; an uninstall stops that team's work only.

The worker is a runtime in the test process (the scheduler's jobs called as they fire), on
a clock the test moves; Slack is the fake, holding the three workspaces.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.config import load_settings
from bot.jobs import scheduler as jobs
from bot.runtime import Runtime, build_runtime
from bot.sandbox import BOT_USER_ID, FakeSlack, SlackDriver, Workspace
from bot.services import poll_jobs, team_settings
from storage import db
from storage.models import PollRun
from tests.conftest import CliResult
from tests.e2e.conftest import SECRET, free_port, server_env, start_server
from tests.e2e.test_oauth import CLIENT_ID, CLIENT_SECRET, OAuthStack
from tests.jobs.conftest import Clock

pytestmark = pytest.mark.e2e

TEAMS = ("T0ALPHA", "T0BETA", "T0GAMMA")
WEEK0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday: the poll at 10:00, digest at 09:00
PULSE = """\
id: pulse
title: Team pulse
schedule: {cron: "0 10 * * MON", timezone: UTC}
anonymous: false
open_for: 48h
reminders: [4h]
questions:
  - id: note
    type: text
    prompt: "Anything about technical debt this week?"
    optional: true
"""
DIGEST = """\
id: digest
kind: digest
title: Team digest
schedule: {cron: "0 9 * * MON", timezone: UTC}
"""


def lead(team: str) -> str:
    return f"U{team[2]}0LEAD"


def channel(team: str, name: str) -> str:
    return f"C{team[2]}0{name}"


@dataclass
class Deployment:
    oauth: OAuthStack
    env: dict[str, str]

    @property
    def fake(self) -> FakeSlack:
        return self.oauth.fake

    def install(self, team: str) -> None:
        state, cookie = self.oauth.begin()
        code = self.fake.authorize_install(team_id=team, user=lead(team))
        status, body = self.oauth.finish(state, cookie, code)
        assert status == 200, body

    def token(self, team: str) -> str:
        """The team's newest bot token (each install issues one)."""
        tokens = [t for t in self.fake.workspaces[team].tokens.values() if t.kind == "bot"]
        return tokens[-1].token

    def driver(self, team: str) -> SlackDriver:
        url = f"{self.oauth.url}/slack/events"
        driver = SlackDriver(url, SECRET, fake=self.fake, default_user=lead(team))
        driver.team, driver.default_channel = team, channel(team, "POLLS")
        return driver

    def worker(self, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Runtime:
        """The worker's runtime, its scheduler's jobs registered on ``clock``."""
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        runtime = build_runtime(load_settings(), default_team="", clock=clock)
        monkeypatch.setattr(jobs, "_RUNTIME", None)  # restored after the test
        monkeypatch.setattr(jobs, "_CLOCK", None)
        jobs.register(runtime, clock)
        return runtime

    def posts(self, team: str, where: str) -> list[str]:
        """The tokens of the successful posts into the team's channel ``where``."""
        return [
            str(c.token)
            for c in self.fake.calls_to("chat.postMessage", team=team)
            if c.ok and c.params.get("channel") == channel(team, where)
        ]

    def runs(self, slot: datetime) -> dict[str, PollRun]:
        with Session(db.make_engine(self.env["DATABASE_URL"])) as session:
            found = session.exec(select(PollRun).where(PollRun.scheduled_for == slot))
            return {run.team_id: run for run in found}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("many")
    (folder / "pulse.yaml").write_text(PULSE)
    (folder / "digest.yaml").write_text(DIGEST)
    database_url = f"sqlite:///{folder / 'debtpulse.db'}"
    db.upgrade(db.make_engine(database_url))
    with FakeSlack(post_rate=None) as fake:
        for team in TEAMS:  # each its own people and channels; its token comes with its install
            workspace = Workspace(
                team_id=team, team_domain=team.lower(), bot_token=None, app_token=None
            )
            people = [lead(team), f"U{team[2]}0ANN"]
            for user in people:
                workspace.add_user(user, name=user.lower())
            for name in ("POLLS", "DIGEST", "NEW"):
                workspace.add_channel(channel(team, name), members=[BOT_USER_ID, *people])
            fake.add_workspace(workspace)
        fake.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        env = server_env(
            fake,
            database_url,
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET=CLIENT_SECRET,
            SLACK_STATE_SECRET="state-secret",
            DEBTPULSE_SURVEYS_DIR=str(folder),
        )
        env.pop("SLACK_BOT_TOKEN")
        env.pop("DEBTPULSE_LEADS")  # each workspace's installer is its first lead
        port = free_port()
        process = start_server(env=env, port=port, log=folder / "serve.log")
        try:
            stack = Deployment(OAuthStack(fake, f"http://127.0.0.1:{port}", database_url), env)
            for team in TEAMS:
                stack.install(team)
            yield stack
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def many(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> Deployment:
    """The deployment with each team's channels set (as their leads would, by ``/debt
    config``), and settings read afresh at every use (no TTL to wait out)."""
    monkeypatch.setattr(team_settings, "TTL_S", 0.0)
    for name, value in deployment.env.items():
        monkeypatch.setenv(name, value)
    runtime = build_runtime(load_settings(), default_team="")
    for team in TEAMS:
        for key, value in (("poll_channel", "POLLS"), ("digest_channels", "DIGEST")):
            team_settings.set_value(
                runtime, team, key, channel(team, value), actor=lead(team), reason="setup"
            )
    runtime.engine.dispose()
    return deployment


def test_each_workspace_gets_its_poll_and_digest_in_its_channels_with_its_token(
    many: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(WEEK0 - timedelta(hours=1) + timedelta(seconds=5))
    many.worker(monkeypatch, clock)
    jobs.run_digest_slot("digest")
    clock.now = WEEK0 + timedelta(seconds=5)
    jobs.run_survey_slot("pulse")

    for team in TEAMS:
        assert many.posts(team, "DIGEST") == [many.token(team)]
        assert many.posts(team, "POLLS") == [many.token(team)]
        polls = many.fake.messages(channel=channel(team, "POLLS"), team=team)
        assert [m.text.split(":")[0] for m in polls if not m.thread_ts] == ["Team pulse"]
    assert set(many.runs(WEEK0)) == set(TEAMS)
    # no team's call ever used another's token
    assert all(c.team == str(c.token).split("-")[1].upper() for c in many.fake.calls if c.token)


def test_poll_send_and_digest_post_by_hand_work_in_every_workspace(
    many: Deployment, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., CliResult]
) -> None:
    """``/debt poll send`` in the workspace it is typed in; ``debtpulse … --team T``."""
    beta = many.driver("T0BETA")
    before = len(many.posts("T0BETA", "POLLS"))
    assert beta.slash(text="poll send pulse").ok
    many.fake.wait_for(lambda: len(many.posts("T0BETA", "POLLS")) > before, timeout=10)
    assert many.posts("T0BETA", "POLLS")[-1] == many.token("T0BETA")

    for name, value in many.env.items():
        monkeypatch.setenv(name, value)
    sent = cli("poll", "send", "pulse", "--team", "T0GAMMA")
    assert sent.code == 0, sent.err
    assert many.posts("T0GAMMA", "POLLS")[-1] == many.token("T0GAMMA")
    posted = cli("digest", "post", "--team", "T0GAMMA", "--force")
    assert posted.code == 0 and f"{channel('T0GAMMA', 'DIGEST')}: posted" in posted.out
    assert many.posts("T0GAMMA", "DIGEST")[-1] == many.token("T0GAMMA")
    refused = cli("poll", "send", "pulse")  # three workspaces: which one?
    assert refused.code != 0 and "pass --team" in refused.err


def test_a_token_revoked_mid_run_leaves_the_other_two_on_time(
    many: Deployment, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    slot = WEEK0 + timedelta(weeks=1)
    clock = Clock(slot + timedelta(seconds=5))
    worker = many.worker(monkeypatch, clock)
    before = {team: len(many.posts(team, "POLLS")) for team in TEAMS}
    many.fake.revoke_token(many.token("T0BETA"))  # Slack's side; no event reached debtpulse
    with caplog.at_level(logging.WARNING, logger="bot"):
        jobs.run_survey_slot("pulse")
    runs = many.runs(slot)
    for team in ("T0ALPHA", "T0GAMMA"):  # opened at the slot, their polls posted by the job
        assert runs[team].opened_at == clock.now
        assert len(many.posts(team, "POLLS")) == before[team] + 1
    assert len(many.posts("T0BETA", "POLLS")) == before["T0BETA"]
    assert "token_revoked" in caplog.text
    # the next tick: the others are reminded, beta's failure stays beta's
    clock.now = slot + timedelta(hours=5)
    poll_jobs.tick(worker)
    for team in ("T0ALPHA", "T0GAMMA"):
        replies = many.fake.messages(channel=channel(team, "POLLS"), team=team)
        assert [m.text for m in replies if m.thread_ts][-1].startswith("Reminder: Team pulse")
    many.install("T0BETA")  # installed again: a new token, and its work resumes


def test_a_setting_changed_with_debt_config_counts_at_the_next_slot_without_a_restart(
    many: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    slot = WEEK0 + timedelta(weeks=2)
    clock = Clock(slot + timedelta(seconds=5))
    many.worker(monkeypatch, clock)  # one worker for both weeks
    jobs.run_survey_slot("pulse")
    before = {team: len(many.posts(team, "POLLS")) for team in TEAMS}

    alpha = many.driver("T0ALPHA")
    assert alpha.slash(text="config").ok
    many.fake.wait_for(lambda: many.fake.open_modal(lead("T0ALPHA")), timeout=5)
    submitted = alpha.submit_modal({"poll_channel": channel("T0ALPHA", "NEW")})
    assert submitted.ok and not submitted.body_text.strip(), submitted.body_text

    clock.now = slot + timedelta(weeks=1, seconds=5)
    jobs.run_survey_slot("pulse")
    assert many.posts("T0ALPHA", "NEW") == [many.token("T0ALPHA")]
    assert len(many.posts("T0ALPHA", "POLLS")) == before["T0ALPHA"]  # not there any more
    for team in ("T0BETA", "T0GAMMA"):  # theirs unchanged
        assert len(many.posts(team, "POLLS")) == before[team] + 1


def test_an_uninstall_stops_that_teams_work_while_the_others_continue(
    many: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    slot = WEEK0 + timedelta(weeks=4)
    clock = Clock(slot + timedelta(seconds=5))
    worker = many.worker(monkeypatch, clock)
    jobs.run_survey_slot("pulse")
    assert set(many.runs(slot)) == set(TEAMS)

    assert many.driver("T0GAMMA").event({"type": "app_uninstalled"}).ok
    gamma_calls = len(many.fake.calls_to("chat.postMessage", team="T0GAMMA"))
    clock.now = slot + timedelta(hours=5)
    poll_jobs.tick(worker)  # alpha and beta are reminded; gamma is not
    for team in ("T0ALPHA", "T0BETA"):
        replies = many.fake.messages(channel=channel(team, "POLLS"), team=team)
        assert replies[-1].thread_ts and replies[-1].text.startswith("Reminder: Team pulse")

    clock.now = slot + timedelta(weeks=1, seconds=5)
    jobs.run_survey_slot("pulse")  # the next slot: nothing for gamma
    assert set(many.runs(slot + timedelta(weeks=1))) == {"T0ALPHA", "T0BETA"}
    assert len(many.fake.calls_to("chat.postMessage", team="T0GAMMA")) == gamma_calls
