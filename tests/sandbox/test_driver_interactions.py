"""The driver clicks what the fake shows and builds the payloads Slack would send."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.sandbox import FakeSlack, SlackDriver
from tests.sandbox.stub_bot import StubBot


def options(*values: str) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": f"Option {v}"}, "value": v} for v in values]


POLL_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "How much did debt hurt this week?"}},
    {
        "type": "actions",
        "block_id": "poll",
        "elements": [
            {
                "type": "button",
                "action_id": "poll_answer",
                "text": {"type": "plain_text", "text": "Answer"},
                "value": "run-7",
                "style": "primary",
            },
            {"type": "static_select", "action_id": "pain", "options": options("1", "2", "3")},
        ],
    },
]

SURVEY_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "poll_submit",
    "private_metadata": '{"run": 7}',
    "title": {"type": "plain_text", "text": "Weekly pulse"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "comment",
            "optional": True,
            "label": {"type": "plain_text", "text": "Comment"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "pain",
            "label": {"type": "plain_text", "text": "Pain"},
            "element": {
                "type": "static_select",
                "action_id": "value",
                "options": options("1", "5"),
            },
        },
        {
            "type": "input",
            "block_id": "area",
            "label": {"type": "plain_text", "text": "Area"},
            "element": {"type": "radio_buttons", "action_id": "value", "options": options("ci")},
        },
        {
            "type": "input",
            "block_id": "kinds",
            "label": {"type": "plain_text", "text": "Kinds"},
            "element": {"type": "checkboxes", "action_id": "value", "options": options("a", "b")},
        },
        {
            "type": "input",
            "block_id": "owner",
            "label": {"type": "plain_text", "text": "Owner"},
            "element": {"type": "users_select", "action_id": "value"},
        },
    ],
}


def open_modal(client: WebClient, trigger_id: str) -> str:
    view_id: str = client.views_open(trigger_id=trigger_id, view=SURVEY_MODAL)["view"]["id"]
    return view_id


def test_clicking_a_button_in_a_channel_message(
    driver: SlackDriver, bot: StubBot, client: WebClient, slack: FakeSlack
) -> None:
    ts = client.chat_postMessage(channel="C0DEBT", text="Poll", blocks=POLL_BLOCKS)["ts"]
    driver.click_button(action_id="poll_answer", user="U0ALICE")
    assert bot.last.verified
    payload = bot.last.payload()
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U0ALICE"
    assert payload["team"]["id"] == "T0TEST"
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C0DEBT",
        "is_ephemeral": False,
    }
    assert payload["channel"]["id"] == "C0DEBT"
    assert payload["message"]["ts"] == ts
    assert payload["message"]["blocks"][1]["block_id"] == "poll"
    (action,) = payload["actions"]
    assert (action["action_id"], action["block_id"], action["type"]) == (
        "poll_answer",
        "poll",
        "button",
    )
    assert (action["value"], action["text"]["text"]) == ("run-7", "Answer")
    assert payload["trigger_id"]
    assert payload["response_url"].startswith(slack.root_url)


def test_the_click_response_url_replaces_the_clicked_message(
    driver: SlackDriver, bot: StubBot, client: WebClient, slack: FakeSlack
) -> None:
    client.chat_postMessage(channel="C0DEBT", text="Poll", blocks=POLL_BLOCKS)
    driver.click_button(text="Answer", user="U0ALICE")
    body = json.dumps({"replace_original": True, "text": "Thanks for answering"}).encode()
    request = urllib.request.Request(
        bot.last.payload()["response_url"],
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=2) as answer:
        assert answer.status == 200
    assert [m.text for m in slack.messages("C0DEBT")] == ["Thanks for answering"]


def test_the_trigger_of_a_click_opens_a_modal(
    driver: SlackDriver, bot: StubBot, client: WebClient, slack: FakeSlack
) -> None:
    client.chat_postMessage(channel="C0DEBT", text="Poll", blocks=POLL_BLOCKS)
    driver.click_button("poll_answer", user="U0ALICE")
    open_modal(client, bot.last.payload()["trigger_id"])
    modal = slack.open_modal("U0ALICE")
    assert modal is not None
    assert modal.callback_id == "poll_submit"


def test_choosing_in_a_select(driver: SlackDriver, bot: StubBot, client: WebClient) -> None:
    client.chat_postMessage(channel="C0DEBT", text="Poll", blocks=POLL_BLOCKS)
    driver.choose("pain", "2", user="U0ALICE")
    (action,) = bot.last.payload()["actions"]
    assert action["type"] == "static_select"
    assert action["selected_option"] == options("2")[0]
    driver.choose("pain", "Option 3", user="U0ALICE")  # by the text shown works too
    assert bot.last.payload()["actions"][0]["selected_option"]["value"] == "3"
    with pytest.raises(ValueError, match="no option '9'"):
        driver.choose("pain", "9", user="U0ALICE")


def test_missing_buttons_are_reported_with_what_is_there(
    driver: SlackDriver, client: WebClient
) -> None:
    client.chat_postMessage(channel="C0DEBT", text="Poll", blocks=POLL_BLOCKS)
    with pytest.raises(LookupError, match=r"action_id='nope'.*poll_answer \(button: Answer\)"):
        driver.click_button("nope")


def test_dm_buttons_are_only_for_their_recipient(driver: SlackDriver, client: WebClient) -> None:
    client.chat_postMessage(channel="U0ALICE", text="Poll", blocks=POLL_BLOCKS)
    assert driver.click_button("poll_answer", user="U0ALICE").ok
    with pytest.raises(LookupError):
        driver.click_button("poll_answer", user="U0USER")


def test_slash_acknowledgement_is_shown_and_clickable(
    driver: SlackDriver, bot: StubBot, slack: FakeSlack
) -> None:
    bot.reply = lambda _: (200, json.dumps({"text": "Choose", "blocks": POLL_BLOCKS}))
    answer = driver.slash(text="polls", user="U0ALICE", channel="C0DEBT")
    assert answer.ack_errors == []
    (ephemeral,) = slack.ephemerals("U0ALICE")
    assert (ephemeral.text, ephemeral.via) == ("Choose", "ack")
    assert slack.messages() == []
    driver.click_button("poll_answer", user="U0ALICE")
    payload = bot.last.payload()
    assert payload["container"]["is_ephemeral"] is True
    assert "message" not in payload


def test_plain_text_and_in_channel_acknowledgements(
    driver: SlackDriver, bot: StubBot, slack: FakeSlack
) -> None:
    bot.reply = lambda _: (200, "Usage: /debt top [N]")
    driver.slash(text="nonsense", user="U0ALICE", channel="C0DEBT")
    assert [e.text for e in slack.ephemerals("U0ALICE")] == ["Usage: /debt top [N]"]
    bot.reply = lambda _: (200, json.dumps({"response_type": "in_channel", "text": "Top 3"}))
    driver.slash(text="top 3", user="U0ALICE", channel="C0DEBT")
    assert [m.text for m in slack.messages("C0DEBT")] == ["Top 3"]


def test_invalid_blocks_in_an_acknowledgement_are_reported(
    driver: SlackDriver, bot: StubBot, slack: FakeSlack
) -> None:
    bot.reply = lambda _: (200, json.dumps({"blocks": [{"type": "divider"}] * 51}))
    answer = driver.slash(user="U0ALICE", channel="C0DEBT")
    assert answer.ack_errors == ["must provide no more than 50 items [json-pointer:/blocks]"]
    assert slack.rejections[0].method == "ack"


def test_fill_modal_builds_state_values(driver: SlackDriver) -> None:
    values = driver.fill_modal(
        SURVEY_MODAL, {"pain": "5", "area": "Option ci", "kinds": ["a", "b"], "owner": "U0ALICE"}
    )
    assert values == {
        "comment": {"value": {"type": "plain_text_input", "value": None}},
        "pain": {"value": {"type": "static_select", "selected_option": options("5")[0]}},
        "area": {"value": {"type": "radio_buttons", "selected_option": options("ci")[0]}},
        "kinds": {"value": {"type": "checkboxes", "selected_options": options("a", "b")}},
        "owner": {"value": {"type": "users_select", "selected_user": "U0ALICE"}},
    }
    assert driver.fill_modal(SURVEY_MODAL, {"comment": "CI is slow"})["comment"] == {
        "value": {"type": "plain_text_input", "value": "CI is slow"}
    }
    with pytest.raises(KeyError, match="nope"):
        driver.fill_modal(SURVEY_MODAL, {"nope": "x"})
    with pytest.raises(ValueError, match="no option"):
        driver.fill_modal(SURVEY_MODAL, {"pain": "7"})


def test_submitting_the_open_modal_closes_it(
    driver: SlackDriver, bot: StubBot, client: WebClient, slack: FakeSlack
) -> None:
    view_id = open_modal(client, slack.new_trigger_id(user="U0ALICE"))
    answer = driver.submit_modal({"pain": "5", "comment": "flaky"}, user="U0ALICE")
    assert answer.ok
    payload = bot.last.payload()
    assert payload["type"] == "view_submission"
    assert payload["user"]["id"] == "U0ALICE"
    assert payload["view"]["id"] == view_id
    assert payload["view"]["callback_id"] == "poll_submit"
    assert payload["view"]["private_metadata"] == '{"run": 7}'
    state = payload["view"]["state"]["values"]
    assert state["pain"]["value"]["selected_option"]["value"] == "5"
    assert state["comment"]["value"]["value"] == "flaky"
    assert slack.open_modal("U0ALICE") is None


def test_submission_answered_with_errors_keeps_the_modal(
    driver: SlackDriver, bot: StubBot, client: WebClient, slack: FakeSlack
) -> None:
    open_modal(client, slack.new_trigger_id(user="U0ALICE"))
    errors = {"pain": "Pick a number from 1 to 5"}
    bot.reply = lambda _: (200, json.dumps({"response_action": "errors", "errors": errors}))
    driver.submit_modal({}, user="U0ALICE")
    modal = slack.open_modal("U0ALICE")
    assert modal is not None
    assert modal.errors == errors


def test_submission_answered_with_an_update_or_push(
    driver: SlackDriver, bot: StubBot, client: WebClient, slack: FakeSlack
) -> None:
    view_id = open_modal(client, slack.new_trigger_id(user="U0ALICE"))
    thanks = {"type": "modal", "title": {"type": "plain_text", "text": "Thanks"}, "blocks": []}
    bot.reply = lambda _: (200, json.dumps({"response_action": "update", "view": thanks}))
    driver.submit_modal({"pain": "1"}, user="U0ALICE")
    modal = slack.open_modal("U0ALICE")
    assert modal is not None
    assert (modal.id, modal.view["title"]["text"]) == (view_id, "Thanks")
    bot.reply = lambda _: (200, json.dumps({"response_action": "push", "view": thanks}))
    driver.submit_modal({}, user="U0ALICE")
    pushed = slack.open_modal("U0ALICE")
    assert pushed is not None
    assert pushed.view["previous_view_id"] == view_id
    bot.reply = lambda _: (200, json.dumps({"response_action": "clear"}))
    driver.submit_modal({}, user="U0ALICE")
    assert slack.open_modal("U0ALICE") is None


def test_an_invalid_view_in_the_acknowledgement_is_reported(
    driver: SlackDriver, bot: StubBot, client: WebClient, slack: FakeSlack
) -> None:
    open_modal(client, slack.new_trigger_id(user="U0ALICE"))
    long_title = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 30}}
    bot.reply = lambda _: (200, json.dumps({"response_action": "update", "view": long_title}))
    answer = driver.submit_modal({}, user="U0ALICE")
    assert answer.ack_errors == ["must be less than 25 characters [json-pointer:/view/title/text]"]
    assert slack.open_modal("U0ALICE") is not None


def test_clicking_inside_a_modal(
    driver: SlackDriver, bot: StubBot, client: WebClient, slack: FakeSlack
) -> None:
    view = {**SURVEY_MODAL, "blocks": [POLL_BLOCKS[1]]}
    view_id = client.views_open(trigger_id=slack.new_trigger_id(user="U0ALICE"), view=view)["view"][
        "id"
    ]
    driver.click_button("poll_answer", user="U0ALICE")
    payload = bot.last.payload()
    assert payload["container"] == {"type": "view", "view_id": view_id}
    assert payload["view"]["id"] == view_id
    assert "response_url" not in payload


def test_clicking_on_the_home_tab(
    driver: SlackDriver, bot: StubBot, client: WebClient, slack: FakeSlack
) -> None:
    client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": [POLL_BLOCKS[1]]})
    driver.click_button("poll_answer", user="U0ALICE")
    assert bot.last.payload()["view"]["type"] == "home"


def test_closing_a_modal(
    driver: SlackDriver, bot: StubBot, client: WebClient, slack: FakeSlack
) -> None:
    trigger = slack.new_trigger_id(user="U0ALICE")
    client.views_open(trigger_id=trigger, view={**SURVEY_MODAL, "notify_on_close": True})
    modal = slack.open_modal("U0ALICE")
    assert modal is not None
    driver.close_modal(modal)
    assert bot.last.payload()["type"] == "view_closed"
    assert slack.open_modal("U0ALICE") is None


def test_explicit_block_action(driver: SlackDriver, bot: StubBot) -> None:
    driver.block_action(
        "assess",
        "DEBT-4",
        user="U0ALICE",
        channel="C0DEBT",
        message={"ts": "1750000000.000100", "text": "x", "blocks": []},
    )
    payload = bot.last.payload()
    assert payload["actions"][0] | {"action_ts": ""} == {
        "action_id": "assess",
        "block_id": "actions",
        "type": "button",
        "value": "DEBT-4",
        "action_ts": "",
    }
    assert payload["container"]["message_ts"] == "1750000000.000100"
