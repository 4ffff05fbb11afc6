"""slack_sdk's WebClient against the fake: the happy paths and their response shapes."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.sandbox import FakeSlack, ManualClock

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Top debt*"}}
BUTTON_BLOCK = {
    "type": "actions",
    "block_id": "poll",
    "elements": [
        {
            "type": "button",
            "action_id": "poll_answer",
            "text": {"type": "plain_text", "text": "Answer"},
            "value": "run-1",
        }
    ],
}
MODAL = {
    "type": "modal",
    "callback_id": "debt_add",
    "title": {"type": "plain_text", "text": "Add debt"},
    "submit": {"type": "plain_text", "text": "Add"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}
HOME = {"type": "home", "blocks": [SECTION]}


def test_auth_test_names_team_and_bot(client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["team_id"] == "T0TEST"
    assert answer["user_id"] == "U0BOT"
    assert answer["bot_id"] == "B0BOT"


def test_post_message_answers_like_slack_and_is_recorded(
    client: WebClient, slack: FakeSlack
) -> None:
    answer = client.chat_postMessage(channel="C0DEBT", text="Top debt", blocks=[SECTION])
    assert answer["ok"] is True
    assert answer["channel"] == "C0DEBT"
    assert answer["message"]["ts"] == answer["ts"]
    assert answer["message"]["bot_id"] == "B0BOT"
    (message,) = slack.messages("C0DEBT")
    assert message.text == "Top debt"
    assert message.blocks[0]["text"] == SECTION["text"]
    assert message.blocks[0]["block_id"]  # Slack fills in missing block ids
    (call,) = slack.calls_to("chat.postMessage")
    assert call.token == "xoxb-test"
    assert call.params["blocks"] == [SECTION]
    assert call.ok


def test_timestamps_increase_even_when_the_clock_stands_still(client: WebClient) -> None:
    first = client.chat_postMessage(channel="C0DEBT", text="one")["ts"]
    second = client.chat_postMessage(channel="C0DEBT", text="two")["ts"]
    assert float(second) > float(first)


def test_update_changes_the_current_message(client: WebClient, slack: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0DEBT", text="v1", blocks=[SECTION])["ts"]
    answer = client.chat_update(channel="C0DEBT", ts=ts, text="v2")
    assert answer["text"] == "v2"
    (message,) = slack.messages("C0DEBT")
    assert (message.text, message.edits) == ("v2", 1)
    assert message.blocks[0]["text"] == SECTION["text"]  # blocks kept when not sent
    client.chat_update(channel="C0DEBT", ts=ts, text="v3", blocks=[])
    assert slack.messages("C0DEBT")[0].blocks == []


def test_delete_hides_the_message(client: WebClient, slack: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0DEBT", text="bye")["ts"]
    assert client.chat_delete(channel="C0DEBT", ts=ts)["ts"] == ts
    assert slack.messages("C0DEBT") == []
    assert slack.messages("C0DEBT", deleted=True)[0].deleted


def test_ephemeral_is_shown_to_one_user(client: WebClient, slack: FakeSlack) -> None:
    answer = client.chat_postEphemeral(channel="C0DEBT", user="U0ALICE", text="only you")
    assert answer["message_ts"]
    assert [e.text for e in slack.ephemerals("U0ALICE")] == ["only you"]
    assert slack.ephemerals("U0USER") == []
    assert slack.messages() == []


def test_messages_to_a_user_id_land_in_their_dm_and_are_counted(
    client: WebClient, slack: FakeSlack
) -> None:
    answer = client.chat_postMessage(channel="U0ALICE", text="poll")
    assert answer["channel"] == "D0ALICE"
    client.chat_postMessage(channel="D0ALICE", text="reminder")
    client.chat_postMessage(channel="C0DEBT", text="not a DM")
    assert slack.dm_count("U0ALICE") == 2
    assert slack.dm_counts == {"U0ALICE": 2}


def test_conversations_open_returns_the_dm_channel(client: WebClient) -> None:
    first = client.conversations_open(users="U0ALICE")
    assert first["channel"]["id"] == "D0ALICE"
    assert first["already_open"] is False
    assert client.conversations_open(users="U0ALICE")["already_open"] is True


def test_members_are_paginated_with_cursors(client: WebClient, slack: FakeSlack) -> None:
    people = [f"U{i:04d}" for i in range(7)]
    slack.workspace.add_channel("C0BIG", name="big", members=people)
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        page = client.conversations_members(channel="C0BIG", limit=3, cursor=cursor)
        seen += page["members"]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == people
    assert pages == 3


def test_members_pagination_through_the_sdk_iterator(client: WebClient, slack: FakeSlack) -> None:
    people = [f"U{i:04d}" for i in range(5)]
    slack.workspace.add_channel("C0BIG", name="big", members=people)
    seen: list[str] = []
    for page in client.conversations_members(channel="C0BIG", limit=2):
        seen += page["members"]  # the SDK reuses one response object per page
    assert seen == people


def test_users_info_gives_time_zone_and_offset(client: WebClient) -> None:
    user = client.users_info(user="U0ALICE")["user"]
    assert user["tz"] == "Europe/Berlin"
    assert user["tz_offset"] == 7200  # summer time on the test clock (June 2025)
    assert user["is_bot"] is False
    assert user["profile"]["display_name"] == "alice"


def test_usergroup_members(client: WebClient, slack: FakeSlack) -> None:
    slack.workspace.add_usergroup("S0LEADS", handle="leads", users=["U0ALICE"])
    assert client.usergroups_users_list(usergroup="S0LEADS")["users"] == ["U0ALICE"]


def test_views_open_push_update(client: WebClient, slack: FakeSlack) -> None:
    opened = client.views_open(trigger_id=slack.new_trigger_id(user="U0ALICE"), view=MODAL)
    view = opened["view"]
    assert view["id"].startswith("V")
    assert view["hash"]
    assert view["callback_id"] == "debt_add"
    assert view["state"] == {"values": {}}
    modal = slack.open_modal("U0ALICE")
    assert modal is not None
    assert modal.id == view["id"]

    pushed = client.views_push(trigger_id=slack.new_trigger_id(user="U0ALICE"), view=MODAL)
    assert pushed["view"]["previous_view_id"] == view["id"]
    assert pushed["view"]["root_view_id"] == view["id"]

    changed = {**MODAL, "title": {"type": "plain_text", "text": "Add debt (2)"}}
    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=changed)
    assert updated["view"]["id"] == view["id"]
    assert updated["view"]["hash"] != view["hash"]
    assert [v.view["title"]["text"] for v in slack.views("U0ALICE")] == ["Add debt (2)", "Add debt"]


def test_update_by_external_id(client: WebClient, slack: FakeSlack) -> None:
    trigger = slack.new_trigger_id(user="U0ALICE")
    client.views_open(trigger_id=trigger, view={**MODAL, "external_id": "add-1"})
    changed = {**MODAL, "external_id": "add-1", "private_metadata": "run=7"}
    answer = client.views_update(external_id="add-1", view=changed)
    assert answer["view"]["private_metadata"] == "run=7"


def test_home_is_published_then_replaced(client: WebClient, slack: FakeSlack) -> None:
    first = client.views_publish(user_id="U0ALICE", view=HOME)["view"]
    second = client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": []})
    assert second["view"]["id"] == first["id"]
    home = slack.home("U0ALICE")
    assert home is not None
    assert home.blocks == []
    assert len(home.history) == 1


def test_files_upload_v2_records_the_bytes(client: WebClient, slack: FakeSlack) -> None:
    content = b"key,score\nDEBT-1,81.5\n"
    answer = client.files_upload_v2(
        channel="C0DEBT",
        content=content,
        filename="debt.csv",
        title="Debt export",
        initial_comment="Here you go",
    )
    assert answer["file"]["name"] == "debt.csv"
    assert answer["file"]["size"] == len(content)
    (uploaded,) = slack.uploaded_files
    assert uploaded.content == content
    assert (uploaded.filename, uploaded.title) == ("debt.csv", "Debt export")
    assert (uploaded.channel, uploaded.initial_comment) == ("C0DEBT", "Here you go")
    assert [c.method for c in slack.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


def test_files_upload_v2_in_a_thread(client: WebClient, slack: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0DEBT", text="export")["ts"]
    client.files_upload_v2(channel="C0DEBT", content="a,b\n", filename="x.csv", thread_ts=ts)
    assert slack.uploaded_files[0].thread_ts == ts


def test_form_encoded_calls_work_too(slack: FakeSlack) -> None:
    """Blocks sent as a JSON string in a form body, token as a form field."""
    client = WebClient(base_url=slack.base_url)
    answer = client.api_call(
        "chat.postMessage",
        params={"token": "xoxb-test", "channel": "C0DEBT", "blocks": '[{"type": "divider"}]'},
    )
    assert answer["ok"]
    assert slack.messages("C0DEBT")[0].blocks[0]["type"] == "divider"


def test_reset_forgets_everything_but_the_workspace(client: WebClient, slack: FakeSlack) -> None:
    client.chat_postMessage(channel="C0DEBT", text="x")
    slack.reset()
    assert slack.calls == []
    assert slack.messages() == []
    assert client.users_info(user="U0ALICE")["ok"]


def test_wait_for_calls_returns_once_the_call_arrived(
    client: WebClient, slack: FakeSlack, clock: ManualClock
) -> None:
    client.chat_postMessage(channel="C0DEBT", text="x")
    (call,) = slack.wait_for_calls("chat.postMessage", timeout=1)
    assert call.at == clock()
