"""A workspace's install, uninstall and revoked tokens through the real serve process (OAuth,
token rotation on): signed ``app_uninstalled`` and ``tokens_revoked`` events record the
workspace gone, stop its unsent messages and delete its installation; an install makes it
active again; Bolt refreshes an expiring token at a request through debtpulse's rotator,
against the fake."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.sandbox import FakeSlack, SlackDriver
from storage import db
from tests.e2e.conftest import LEAD, SECRET, free_port, server_env, start_server

pytestmark = pytest.mark.e2e
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret"


@dataclass
class Deployment:
    fake: FakeSlack
    url: str
    engine: Engine

    def install(self, team: str) -> None:
        """Open /slack/install and come back from Slack with a code, as a browser does."""
        with urllib.request.urlopen(self.url + "/slack/install", timeout=5) as response:
            cookie = response.headers["Set-Cookie"].split(";")[0]
        state = cookie.split("=", 1)[1]
        code = self.fake.authorize_install(team_id=team, user=LEAD)
        request = urllib.request.Request(
            f"{self.url}/slack/oauth_redirect?code={code}&state={state}",
            headers={"Cookie": cookie},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200

    def driver(self, team: str) -> SlackDriver:
        driver = SlackDriver(f"{self.url}/slack/events", SECRET, fake=self.fake, default_user=LEAD)
        driver.team = team
        return driver

    def rows(self, sql: str, **params: object) -> list[tuple[object, ...]]:
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder: Path = tmp_path_factory.mktemp("lifecycle")
    database_url = f"sqlite:///{folder / 'debtpulse.db'}"
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with FakeSlack(post_rate=None) as fake:
        fake.workspace.add_user(LEAD, name="lead")
        fake.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_rotation=True)
        env = server_env(
            fake,
            database_url,
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET=CLIENT_SECRET,
            SLACK_STATE_SECRET="state-secret",
        )
        env.pop("SLACK_BOT_TOKEN")
        port = free_port()
        process = start_server(env=env, port=port, log=folder / "serve.log")
        try:
            yield Deployment(fake, f"http://127.0.0.1:{port}", engine)
        finally:
            process.terminate()
            process.wait(timeout=10)
            engine.dispose()


def _pending_delivery(deployment: Deployment, team: str) -> None:
    with deployment.engine.begin() as conn:
        run = conn.execute(
            text(
                "INSERT INTO poll_run (team_id, survey_id, scheduled_for, status, anonymous,"
                " content_hash, frozen, source) VALUES (:team, 'weekly-debt-pulse',"
                " '2026-11-16 10:00:00', 'open', false, '', '{}', 'manual') RETURNING id"
            ),
            {"team": team},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO poll_delivery (team_id, poll_run_id, recipient, channel_id,"
                " message_ts, status, attempts, last_error, reminders_sent, updated_at)"
                " VALUES (:team, :run, 'U0USER', '', '', 'pending', 0, '', 0,"
                " '2026-11-16 10:00:00')"
            ),
            {"team": team, "run": run},
        )


def test_an_uninstall_stops_the_workspace_and_an_install_brings_it_back(
    deployment: Deployment,
) -> None:
    for team in ("T0STAY", "T0LEAVE"):
        deployment.install(team)
    _pending_delivery(deployment, "T0LEAVE")
    _pending_delivery(deployment, "T0STAY")
    deployment.fake.uninstall("T0LEAVE")

    answer = deployment.driver("T0LEAVE").event({"type": "app_uninstalled"})

    assert answer.status == 200
    (state,) = deployment.rows(
        "SELECT state, purge_after FROM team_state WHERE team_id = 'T0LEAVE'"
    )
    assert state[0] == "uninstalled" and state[1] is not None
    assert deployment.rows("SELECT team_id FROM slack_installations ORDER BY team_id") == [
        ("T0STAY",)
    ]
    assert deployment.rows("SELECT team_id FROM slack_bots ORDER BY team_id") == [("T0STAY",)]
    assert deployment.rows("SELECT team_id, status FROM poll_delivery ORDER BY team_id") == [
        ("T0LEAVE", "skipped"),
        ("T0STAY", "pending"),
    ]
    assert deployment.rows(
        "SELECT actor, action, subject FROM audit_event WHERE team_id = 'T0LEAVE'"
        " AND action LIKE 'team.%' ORDER BY id"
    )[-1] == ("slack", "team.uninstalled", "T0LEAVE")

    deployment.install("T0LEAVE")  # installed again

    (state,) = deployment.rows(
        "SELECT state, purge_after FROM team_state WHERE team_id = 'T0LEAVE'"
    )
    assert state == ("active", None)
    installs = deployment.rows("SELECT team_id FROM slack_installations WHERE team_id = 'T0LEAVE'")
    assert len(installs) == 1


def test_a_revoked_bot_token_stops_the_workspace(deployment: Deployment) -> None:
    deployment.install("T0REVOKED")
    event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}}

    assert deployment.driver("T0REVOKED").event(event).status == 200

    (state,) = deployment.rows("SELECT state FROM team_state WHERE team_id = 'T0REVOKED'")
    assert state == ("tokens_revoked",)
    assert deployment.rows("SELECT id FROM slack_bots WHERE team_id = 'T0REVOKED'") == []
    # the same event again (Slack's retry) changes nothing more
    before = deployment.rows("SELECT count(*) FROM audit_event WHERE team_id = 'T0REVOKED'")
    retried = deployment.driver("T0REVOKED")
    assert retried.event(event, event_id="EvSAME").status == 200
    assert retried.event(event, event_id="EvSAME", retry_num=1).status == 200
    after = deployment.rows("SELECT count(*) FROM audit_event WHERE team_id = 'T0REVOKED'")
    assert after[0][0] == before[0][0] + 1


def test_a_request_refreshes_an_expiring_token_against_the_fake(deployment: Deployment) -> None:
    deployment.install("T0ROTATE")
    (old,) = deployment.rows("SELECT bot_token FROM slack_bots WHERE team_id = 'T0ROTATE'")
    with deployment.engine.begin() as conn:  # the saved token expires in five minutes
        for name in ("slack_bots", "slack_installations"):
            conn.execute(
                text(f"UPDATE {name} SET bot_token_expires_at = :soon WHERE team_id = 'T0ROTATE'"),
                {"soon": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 300))},
            )
    start = len(deployment.fake.calls)

    deployment.driver("T0ROTATE").slash(text="add")  # opens a modal with the team's token

    refreshes = [
        call
        for call in deployment.fake.calls[start:]
        if call.method == "oauth.v2.access" and call.params.get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) == 1
    (new,) = deployment.rows("SELECT bot_token FROM slack_bots WHERE team_id = 'T0ROTATE'")
    assert new != old and str(new[0]).startswith("xoxe.xoxb-")
    opened = deployment.fake.wait_for(
        lambda: [c for c in deployment.fake.calls[start:] if c.method == "views.open"]
    )
    assert [call.token for call in opened] == [new[0]]


def test_an_event_for_a_workspace_never_installed_is_still_recorded(
    deployment: Deployment,
) -> None:
    try:
        answer = deployment.driver("T0UNKNOWN").event({"type": "app_uninstalled"})
    except urllib.error.HTTPError as exc:  # pragma: no cover - a refusal is the failure
        raise AssertionError(exc.read()) from exc
    assert answer.status == 200
    (state,) = deployment.rows("SELECT state FROM team_state WHERE team_id = 'T0UNKNOWN'")
    assert state == ("uninstalled",)
