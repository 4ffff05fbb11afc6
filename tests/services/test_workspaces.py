"""Which workspaces run, and the runtime each runs with: its own bot token from the
installation store, refreshed once when it expires soon (two threads: one refresh, against
the fake Slack), a refused refresh a clear error that marks nothing and logs no token."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pydantic import SecretStr
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.runtime import Runtime
from bot.sandbox import FakeSlack
from bot.services import bot_tokens, workspaces
from storage import team_state
from tests.factories import NOW
from tests.team_factories import CLIENT_ID, gone, install

SECRET = "client-secret"


def _oauth_runtime(engine: Engine, api_url: str = "http://127.0.0.1:9/api/") -> Runtime:
    settings = Settings(
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=SECRET,
        SLACK_SIGNING_SECRET="signing-secret",
        SLACK_STATE_SECRET="state-secret",
        SLACK_API_URL=api_url,
    )
    return Runtime(settings, engine=engine, default_team="T0ALPHA", clock=lambda: NOW)


def test_each_team_runs_with_its_own_token_and_gone_teams_not_at_all(
    engine: Engine, session: Session
) -> None:
    runtime = _oauth_runtime(engine)
    for team in ("T0ALPHA", "T0BETA", "T0GONE"):
        install(engine, team, token=f"xoxb-{team.lower()}-own", installed_at=1_700_000_000.0)
    gone(session, "T0GONE")  # uninstalled after its install
    session.commit()

    assert workspaces.active_teams(runtime) == ["T0ALPHA", "T0BETA"]
    for team in ("T0ALPHA", "T0BETA"):
        view = workspaces.team_runtime(runtime, team)
        assert view.default_team == team
        assert view.settings.slack_bot_token is not None
        assert view.settings.slack_bot_token.get_secret_value() == f"xoxb-{team.lower()}-own"
        assert view.engine is runtime.engine
    assert runtime.settings.slack_bot_token is None  # the process's own settings untouched
    with pytest.raises(workspaces.WorkspaceGone, match="T0GONE uninstalled the app on 2026-10-16"):
        workspaces.team_runtime(runtime, "T0GONE")
    with pytest.raises(workspaces.WorkspaceUnavailable, match="T0NEVER has no installation"):
        workspaces.team_runtime(runtime, "T0NEVER")

    install(engine, "T0GONE", token="xoxb-t0gone-again")  # installed again (now)
    assert workspaces.active_teams(runtime) == ["T0ALPHA", "T0BETA", "T0GONE"]
    token = workspaces.team_runtime(runtime, "T0GONE").settings.slack_bot_token
    assert token is not None and token.get_secret_value() == "xoxb-t0gone-again"


def test_with_a_single_token_its_workspace_runs_until_uninstalled(
    engine: Engine, session: Session
) -> None:
    settings = Settings(SLACK_BOT_TOKEN="xoxb-first", SLACK_SIGNING_SECRET="s")
    runtime = Runtime(settings, engine=engine, default_team="T0TEST", clock=lambda: NOW)
    assert workspaces.active_teams(runtime) == ["T0TEST"]
    team_state.mark_gone(
        session,
        team_id="T0TEST",
        state=team_state.TeamLifecycle.uninstalled,
        now=NOW,
        purge_after=None,
        gone_token=workspaces.token_fingerprint("xoxb-first"),
    )
    session.commit()
    assert workspaces.active_teams(runtime) == []
    with pytest.raises(workspaces.WorkspaceGone):
        workspaces.team_runtime(runtime, "T0TEST")
    # the operator installed the app again and set its new token
    again = Runtime(
        settings.model_copy(update={"slack_bot_token": SecretStr("xoxb-second")}),
        engine=engine,
        default_team="T0TEST",
    )
    assert workspaces.active_teams(again) == ["T0TEST"]
    token = workspaces.team_runtime(again, "T0TEST").settings.slack_bot_token
    assert token is not None and token.get_secret_value() == "xoxb-second"


@pytest.fixture
def rotating() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.enable_oauth(client_id=CLIENT_ID, client_secret=SECRET, token_rotation=True)
        yield fake


def _installed_through(fake: FakeSlack, engine: Engine, team: str, expires_in: int) -> str:
    """Install ``team`` at the fake (a real refresh token); the store believes the token
    expires in ``expires_in`` seconds. Returns the token."""
    client = WebClient(base_url=fake.base_url)
    body = client.oauth_v2_access(
        client_id=CLIENT_ID, client_secret=SECRET, code=fake.authorize_install(team_id=team)
    )
    install(
        engine,
        team,
        token=body["access_token"],
        refresh_token=body["refresh_token"],
        expires_in=expires_in,
    )
    return str(body["access_token"])


def _refreshes(fake: FakeSlack) -> int:
    calls = fake.calls_to("oauth.v2.access")
    return sum(1 for call in calls if call.params.get("grant_type") == "refresh_token")


def test_an_expiring_token_is_refreshed_once_for_two_threads(
    engine: Engine, rotating: FakeSlack
) -> None:
    runtime = _oauth_runtime(engine, rotating.base_url)
    old = _installed_through(rotating, engine, "T0ALPHA", expires_in=5 * 60)
    stale = bot_tokens.installation_store(runtime).find_installation(
        enterprise_id=None, team_id="T0ALPHA"
    )
    start = threading.Barrier(2)
    tokens: list[str] = []

    def use() -> None:
        start.wait()
        view = workspaces.team_runtime(runtime, "T0ALPHA")
        assert view.settings.slack_bot_token is not None
        tokens.append(view.settings.slack_bot_token.get_secret_value())

    threads = [threading.Thread(target=use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert _refreshes(rotating) == 1
    assert len(tokens) == 2 and tokens[0] == tokens[1] != old
    saved = bot_tokens.installation_store(runtime).find_bot(enterprise_id=None, team_id="T0ALPHA")
    assert saved is not None and saved.bot_token == tokens[0]
    assert saved.bot_token_expires_at is not None
    assert saved.bot_token_expires_at > time.time() + 11 * 3600
    assert WebClient(token=tokens[0], base_url=rotating.base_url).auth_test()["ok"]
    # a caller holding the old installation (another process, say) gets the saved one
    assert stale is not None
    again = bot_tokens.rotator(runtime).perform_token_rotation(installation=stale)
    assert again is not None and again.bot_token == tokens[0]
    assert _refreshes(rotating) == 1
    assert workspaces.team_runtime(runtime, "T0ALPHA").settings.slack_bot_token is not None
    assert _refreshes(rotating) == 1  # fresh for 12 hours


def test_a_refused_refresh_marks_nothing_and_logs_no_token(
    engine: Engine, session: Session, rotating: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = _oauth_runtime(engine, rotating.base_url)
    install(engine, "T0ALPHA", token="xoxe.xoxb-1-secret", refresh_token="xoxe-1-spent")
    store = bot_tokens.installation_store(runtime)
    stored = store.find_installation(enterprise_id=None, team_id="T0ALPHA")
    assert stored is not None
    stored.bot_token_expires_at = int(time.time() + timedelta(minutes=1).total_seconds())
    store.save(stored)
    caplog.set_level(logging.INFO)

    with pytest.raises(bot_tokens.TokenRefreshFailed) as failed:
        workspaces.team_runtime(runtime, "T0ALPHA")

    assert str(failed.value) == (
        "Slack refused to refresh the bot token of workspace T0ALPHA (invalid_refresh_token): "
        "install the app there again"
    )
    assert isinstance(failed.value, LookupError)
    assert "xoxe" not in caplog.text and "invalid_refresh_token" in caplog.text
    assert team_state.of_team(session, team_id="T0ALPHA") is None  # a later try may work
    assert workspaces.active_teams(runtime) == ["T0ALPHA"]
