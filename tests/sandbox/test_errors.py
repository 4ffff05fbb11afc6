"""The errors Slack gives, given by the fake for the same reasons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import FakeSlack, ManualClock

MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Assess"}, "blocks": []}


def refusal(call: Callable[..., Any], /, **params: Any) -> dict[str, Any]:
    """The error body of a call that must fail."""
    with pytest.raises(SlackApiError) as caught:
        call(**params)
    data = caught.value.response.data
    assert isinstance(data, dict)
    assert data["ok"] is False
    return data


def error(call: Callable[..., Any], /, **params: Any) -> str:
    return str(refusal(call, **params)["error"])


def test_no_token_is_not_authed(slack: FakeSlack) -> None:
    assert error(WebClient(base_url=slack.base_url).auth_test) == "not_authed"


def test_unknown_token_is_invalid_auth(slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-nope", base_url=slack.base_url)
    assert error(client.chat_postMessage, channel="C0DEBT", text="x") == "invalid_auth"


def test_revoked_token(slack: FakeSlack) -> None:
    slack.workspace.add_token("xoxb-old", scopes={"chat:write"}).revoked = True
    client = WebClient(token="xoxb-old", base_url=slack.base_url)
    assert error(client.auth_test) == "token_revoked"


@pytest.mark.parametrize(
    ("method", "params", "needed"),
    [
        ("chat.postMessage", {"channel": "C0DEBT", "text": "x"}, "chat:write"),
        ("chat.postEphemeral", {"channel": "C0DEBT", "user": "U0USER"}, "chat:write"),
        ("users.info", {"user": "U0ALICE"}, "users:read"),
        ("conversations.members", {"channel": "C0DEBT"}, "channels:read"),
        ("conversations.open", {"users": "U0ALICE"}, "im:write"),
        ("usergroups.users.list", {"usergroup": "S0X"}, "usergroups:read"),
        ("files.getUploadURLExternal", {"filename": "a", "length": 1}, "files:write"),
    ],
)
def test_missing_scope_names_the_scope(
    slack: FakeSlack, method: str, params: dict[str, Any], needed: str
) -> None:
    slack.workspace.add_token("xoxb-narrow", scopes={"commands"})
    client = WebClient(token="xoxb-narrow", base_url=slack.base_url)
    data = refusal(client.api_call, api_method=method, json=params)
    assert (data["error"], data["needed"], data["provided"]) == (
        "missing_scope",
        needed,
        "commands",
    )


def test_unknown_channel(client: WebClient) -> None:
    assert error(client.chat_postMessage, channel="C0NOPE", text="x") == "channel_not_found"
    assert error(client.chat_update, channel="C0NOPE", ts="1.0", text="x") == "channel_not_found"
    assert error(client.conversations_members, channel="C0NOPE") == "channel_not_found"
    assert error(client.chat_postMessage, channel="D0NEVEROPENED", text="x") == (
        "channel_not_found"
    )


def test_channels_the_bot_is_not_in(client: WebClient, slack: FakeSlack) -> None:
    slack.workspace.add_channel("C0OUT", name="out", members=["U0ALICE"])
    slack.workspace.add_channel("G0SECRET", name="secret", members=["U0ALICE"], is_private=True)
    # the manifest grants no chat:write.public: a public channel needs the bot invited
    assert error(client.chat_postMessage, channel="C0OUT", text="x") == "not_in_channel"
    assert error(client.chat_postMessage, channel="G0SECRET", text="x") == "channel_not_found"
    slack.workspace.add_token("xoxb-public", scopes={"chat:write", "chat:write.public"})
    public = WebClient(token="xoxb-public", base_url=slack.base_url)
    assert public.chat_postMessage(channel="C0OUT", text="chat:write.public allows it")["ok"]
    assert error(public.chat_postMessage, channel="G0SECRET", text="x") == "channel_not_found"


def test_archived_channel(client: WebClient, slack: FakeSlack) -> None:
    slack.workspace.add_channel("C0OLD", name="old", members=["U0BOT"], is_archived=True)
    assert error(client.chat_postMessage, channel="C0OLD", text="x") == "is_archived"


def test_empty_message_is_no_text(client: WebClient) -> None:
    assert error(client.api_call, api_method="chat.postMessage", json={"channel": "C0DEBT"}) == (
        "no_text"
    )


def test_unknown_user(client: WebClient) -> None:
    assert error(client.users_info, user="U0NOPE") == "user_not_found"
    assert error(client.conversations_open, users="U0NOPE") == "user_not_found"
    assert error(client.views_publish, user_id="U0NOPE", view={"type": "home"}) == (
        "user_not_found"
    )
    assert error(client.chat_postEphemeral, channel="C0DEBT", user="U0NOPE", text="x") == (
        "user_not_found"
    )


def test_dms_to_bots_and_deactivated_people_are_refused(
    client: WebClient, slack: FakeSlack
) -> None:
    assert error(client.conversations_open, users="U0OTHERBOT") == "cannot_dm_bot"
    assert error(client.chat_postMessage, channel="U0OTHERBOT", text="x") == "cannot_dm_bot"
    assert error(client.conversations_open, users="U0GONE") == "user_disabled"
    assert error(client.chat_postMessage, channel="U0GONE", text="x") == "user_disabled"
    assert slack.dm_counts == {}


def test_dm_channel_of_someone_deactivated_later(client: WebClient, slack: FakeSlack) -> None:
    channel = client.conversations_open(users="U0ALICE")["channel"]["id"]
    slack.workspace.users["U0ALICE"].deleted = True
    assert error(client.chat_postMessage, channel=channel, text="x") == "user_disabled"


def test_ephemeral_to_someone_outside_the_channel(client: WebClient, slack: FakeSlack) -> None:
    slack.workspace.add_user("U0BOB", name="bob")
    assert error(client.chat_postEphemeral, channel="C0DEBT", user="U0BOB", text="x") == (
        "user_not_in_channel"
    )


def test_update_or_delete_of_an_unknown_message(client: WebClient) -> None:
    assert error(client.chat_update, channel="C0DEBT", ts="1.000001", text="x") == (
        "message_not_found"
    )
    assert error(client.chat_delete, channel="C0DEBT", ts="1.000001") == "message_not_found"


def test_unknown_usergroup(client: WebClient) -> None:
    assert error(client.usergroups_users_list, usergroup="S0NOPE") == "no_such_subteam"


def test_bad_cursor(client: WebClient) -> None:
    assert error(client.conversations_members, channel="C0DEBT", cursor="bm9wZQ==") == (
        "invalid_cursor"
    )


def test_unknown_method_is_answered_and_recorded(client: WebClient, slack: FakeSlack) -> None:
    assert error(client.api_call, api_method="chat.scheduleMessage") == "unknown_method"
    assert slack.calls_to("chat.scheduleMessage")[0].error == "unknown_method"


def test_trigger_id_expires_after_three_seconds(
    client: WebClient, slack: FakeSlack, clock: ManualClock
) -> None:
    trigger = slack.new_trigger_id(user="U0ALICE")
    clock.advance(3.01)
    assert error(client.views_open, trigger_id=trigger, view=MODAL) == "expired_trigger_id"
    assert slack.open_modal("U0ALICE") is None


def test_trigger_id_within_three_seconds_works(
    client: WebClient, slack: FakeSlack, clock: ManualClock
) -> None:
    trigger = slack.new_trigger_id(user="U0ALICE")
    clock.advance(2.9)
    assert client.views_open(trigger_id=trigger, view=MODAL)["ok"]


def test_trigger_id_is_good_for_one_modal(client: WebClient, slack: FakeSlack) -> None:
    trigger = slack.new_trigger_id(user="U0ALICE")
    client.views_open(trigger_id=trigger, view=MODAL)
    assert error(client.views_open, trigger_id=trigger, view=MODAL) == "expired_trigger_id"
    assert error(client.views_push, trigger_id=trigger, view=MODAL) == "expired_trigger_id"


def test_trigger_ttl_is_a_setting(clock: ManualClock) -> None:
    with FakeSlack(clock=clock, trigger_ttl=10) as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        trigger = slack.new_trigger_id()
        clock.advance(9)
        assert client.views_open(trigger_id=trigger, view=MODAL)["ok"]


def test_trigger_ids_from_elsewhere_can_be_registered(client: WebClient, slack: FakeSlack) -> None:
    assert error(client.views_open, trigger_id="123.456.abc", view=MODAL) == "invalid_trigger_id"
    slack.register_trigger_id("123.456.abc", user="U0ALICE")
    assert client.views_open(trigger_id="123.456.abc", view=MODAL)["ok"]


def test_modal_stack_holds_three(client: WebClient, slack: FakeSlack) -> None:
    client.views_open(trigger_id=slack.new_trigger_id(), view=MODAL)
    for _ in range(2):
        client.views_push(trigger_id=slack.new_trigger_id(), view=MODAL)
    trigger = slack.new_trigger_id()
    assert error(client.views_push, trigger_id=trigger, view=MODAL) == "push_limit_reached"


def test_view_update_with_a_stale_hash_or_unknown_id(client: WebClient, slack: FakeSlack) -> None:
    view = client.views_open(trigger_id=slack.new_trigger_id(), view=MODAL)["view"]
    client.views_update(view_id=view["id"], view=MODAL)
    assert error(client.views_update, view_id=view["id"], hash=view["hash"], view=MODAL) == (
        "hash_conflict"
    )
    assert error(client.views_update, view_id="V0NOPE", view=MODAL) == "not_found"


def test_complete_upload_of_an_unknown_file(client: WebClient) -> None:
    assert error(client.files_completeUploadExternal, files=[{"id": "F0NOPE"}]) == (
        "file_not_found"
    )
