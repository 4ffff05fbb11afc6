"""The fake rotates tokens as Slack does: an expiring bot token with a refresh token, a
refresh token that works once, the old token valid until its own expiry, ``token_expired``
after it; an uninstall ends every token of the team; ``auth.revoke``."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import FakeSlack, ManualClock

CLIENT_ID, CLIENT_SECRET = "1111.2222", "client-secret"


def error(call: Any, **kwargs: Any) -> str:
    with pytest.raises(SlackApiError) as caught:
        call(**kwargs)
    return str(caught.value.response["error"])


@pytest.fixture
def rotating(slack: FakeSlack) -> FakeSlack:
    slack.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_rotation=True)
    return slack


def _install(slack: FakeSlack, team: str = "T0ALPHA") -> dict[str, Any]:
    oauth = WebClient(base_url=slack.base_url, retry_handlers=[])
    code = slack.authorize_install(team_id=team)
    return oauth.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code).data  # type: ignore[return-value]


def _refresh(slack: FakeSlack, refresh_token: str) -> dict[str, Any]:
    oauth = WebClient(base_url=slack.base_url, retry_handlers=[])
    return oauth.oauth_v2_access(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        grant_type="refresh_token",
        refresh_token=refresh_token,
    ).data  # type: ignore[return-value]


def test_a_rotating_token_expires_and_its_refresh_token_works_once(
    rotating: FakeSlack, clock: ManualClock
) -> None:
    first = _install(rotating)
    assert first["access_token"].startswith("xoxe.xoxb-")
    assert first["refresh_token"].startswith("xoxe-1-")
    assert first["expires_in"] == 43200 and first["token_type"] == "bot"
    old = WebClient(token=first["access_token"], base_url=rotating.base_url, retry_handlers=[])
    assert old.auth_test()["team_id"] == "T0ALPHA"

    clock.advance(43200 - 600)  # ten minutes before expiry: refreshed
    second = _refresh(rotating, first["refresh_token"])
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["team"] == {"id": "T0ALPHA", "name": "t0alpha"}
    new = WebClient(token=second["access_token"], base_url=rotating.base_url, retry_handlers=[])
    assert old.auth_test()["ok"]  # the old token works until its own expiry
    with pytest.raises(SlackApiError) as again:
        _refresh(rotating, first["refresh_token"])
    assert again.value.response["error"] == "invalid_refresh_token"

    clock.advance(600)
    assert error(old.auth_test) == "token_expired"
    assert error(old.chat_postMessage, channel="C0GENERAL", text="x") == "token_expired"
    assert new.auth_test()["ok"]


def test_refreshing_needs_the_apps_credentials_and_a_known_grant(rotating: FakeSlack) -> None:
    installed = _install(rotating)
    oauth = WebClient(base_url=rotating.base_url, retry_handlers=[])
    refresh = installed["refresh_token"]
    assert (
        error(
            oauth.oauth_v2_access,
            client_id=CLIENT_ID,
            client_secret="wrong",
            grant_type="refresh_token",
            refresh_token=refresh,
        )
        == "bad_client_secret"
    )
    assert (
        error(
            oauth.oauth_v2_access,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            grant_type="password",
            code="x",
        )
        == "invalid_grant_type"
    )
    assert _refresh(rotating, refresh)["ok"]  # still unused after the refusals


def test_without_rotation_tokens_never_expire_nor_refresh(
    slack: FakeSlack, clock: ManualClock
) -> None:
    slack.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    installed = _install(slack)
    assert installed["access_token"].startswith("xoxb-")
    assert "refresh_token" not in installed and "expires_in" not in installed
    clock.advance(10 * 43200)
    token = WebClient(token=installed["access_token"], base_url=slack.base_url)
    assert token.auth_test()["ok"]


def test_an_uninstall_ends_every_token_and_refresh_token_of_the_team(
    rotating: FakeSlack,
) -> None:
    alpha, beta = _install(rotating), _install(rotating, "T0BETA")
    rotating.uninstall("T0ALPHA")
    gone = WebClient(token=alpha["access_token"], base_url=rotating.base_url, retry_handlers=[])
    assert error(gone.auth_test) == "account_inactive"
    with pytest.raises(SlackApiError) as refused:
        _refresh(rotating, alpha["refresh_token"])
    assert refused.value.response["error"] == "invalid_refresh_token"
    kept = WebClient(token=beta["access_token"], base_url=rotating.base_url)
    assert kept.auth_test()["team_id"] == "T0BETA"
    assert _refresh(rotating, beta["refresh_token"])["ok"]


def test_auth_revoke_revokes_the_calling_token(client: WebClient) -> None:
    assert client.auth_revoke(test=True)["revoked"] is False
    assert client.auth_test()["ok"]
    assert client.auth_revoke()["revoked"] is True
    assert error(client.auth_test) == "token_revoked"
