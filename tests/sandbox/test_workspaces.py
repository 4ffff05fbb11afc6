"""Several workspaces in one fake: each its own team, people, channels, tokens and limits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import BOT_TOKEN, FakeSlack, ManualClock, Workspace

OTHER_TOKEN = "xoxb-other"


@pytest.fixture
def other(slack: FakeSlack) -> Workspace:
    workspace = Workspace(
        team_id="T0OTHER", team_domain="other", bot_token=OTHER_TOKEN, app_token=None
    )
    workspace.add_user("U0OLGA", name="olga")
    workspace.add_channel("C0OTHER", name="other", members=["U0BOT", "U0OLGA"])
    return slack.add_workspace(workspace)


def client_for(slack: FakeSlack, token: str) -> WebClient:
    return WebClient(token=token, base_url=slack.base_url, retry_handlers=[])


def error_of(call: Callable[[], object]) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


def test_each_token_acts_in_its_own_workspace(slack: FakeSlack, other: Workspace) -> None:
    mine, theirs = client_for(slack, BOT_TOKEN), client_for(slack, OTHER_TOKEN)
    assert theirs.auth_test()["team_id"] == "T0OTHER"
    assert mine.auth_test()["team_id"] == "T0TEST"
    theirs.chat_postMessage(channel="C0OTHER", text="hello other")
    theirs.chat_postMessage(channel="U0OLGA", text="a DM")
    # another workspace's channels and people do not exist for a token
    assert error_of(lambda: theirs.chat_postMessage(channel="C0DEBT", text="x")) == (
        "channel_not_found"
    )
    assert error_of(lambda: mine.chat_postMessage(channel="C0OTHER", text="x")) == (
        "channel_not_found"
    )
    assert error_of(lambda: mine.users_info(user="U0OLGA")) == "user_not_found"
    assert error_of(lambda: theirs.conversations_members(channel="C0DEBT")) == ("channel_not_found")
    assert [m.text for m in slack.messages(team="T0OTHER")] == ["hello other", "a DM"]
    assert slack.messages(team="T0TEST") == []
    assert {c.team for c in slack.calls_to("chat.postMessage", team="T0OTHER")} == {"T0OTHER"}
    assert len(slack.calls_to("chat.postMessage", team="T0TEST")) == 1  # the refused one


def test_rate_limits_are_counted_per_workspace(clock: ManualClock) -> None:
    with FakeSlack(clock=clock, post_workspace_rate=60.0, post_workspace_burst=2) as slack:
        slack.workspace.add_user("U0ANN", name="ann")
        other = Workspace(team_id="T0OTHER", bot_token=OTHER_TOKEN, app_token=None)
        other.add_user("U0OLGA", name="olga")
        slack.add_workspace(other)
        mine, theirs = client_for(slack, BOT_TOKEN), client_for(slack, OTHER_TOKEN)
        for _ in range(2):
            mine.chat_postMessage(channel="U0ANN", text="hi")
        with pytest.raises(SlackApiError) as refused:
            mine.chat_postMessage(channel="U0ANN", text="one too many")
        assert refused.value.response.status_code == 429
        # the other workspace's budget is its own
        for _ in range(2):
            theirs.chat_postMessage(channel="U0OLGA", text="hi")
        # and so is each method's tier (users.list: tier 2, 20 a minute)
        for _ in range(20):
            mine.users_list()
        assert error_of(mine.users_list) == "ratelimited"
        assert theirs.users_list()["ok"]


def test_tokens_are_revoked_or_deactivated_one_workspace_at_a_time(
    slack: FakeSlack, other: Workspace
) -> None:
    slack.revoke_token(OTHER_TOKEN)
    assert error_of(lambda: client_for(slack, OTHER_TOKEN).auth_test()) == "token_revoked"
    assert client_for(slack, BOT_TOKEN).auth_test()["ok"]
    slack.deactivate_token(BOT_TOKEN)
    assert error_of(lambda: client_for(slack, BOT_TOKEN).auth_test()) == "account_inactive"


def test_an_install_of_a_held_team_gets_a_token_of_that_workspace(
    slack: FakeSlack, other: Workspace
) -> None:
    slack.enable_oauth(client_id="1.2", client_secret="s3cret")
    code = slack.authorize_install(team_id="T0OTHER", user="U0OLGA")
    installed = WebClient(base_url=slack.base_url).oauth_v2_access(
        client_id="1.2", client_secret="s3cret", code=code
    )
    token = str(installed["access_token"])
    assert token in other.tokens
    client = client_for(slack, token)
    assert client.auth_test()["team_id"] == "T0OTHER"
    assert client.chat_postMessage(channel="C0OTHER", text="installed")["ok"]


def test_a_workspace_needs_its_own_team_and_tokens(slack: FakeSlack) -> None:
    with pytest.raises(ValueError, match="token xoxb-test belongs to another workspace"):
        slack.add_workspace(Workspace(team_id="T0SECOND"))
    with pytest.raises(ValueError, match="holds a workspace T0TEST already"):
        slack.add_workspace(Workspace(bot_token=None, app_token=None))
