"""Block Kit validation: what Slack would refuse, the fake refuses — and records."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import FakeSlack
from bot.sandbox.blockkit import validate_blocks, validate_view


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str, action_id: str = "go") -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}}


def option(n: int, text: str | None = None) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text or f"option {n}"}, "value": str(n)}


def select(options: list[dict[str, Any]], kind: str = "static_select") -> dict[str, Any]:
    return {"type": "actions", "elements": [{"type": kind, "action_id": "s", "options": options}]}


def modal(**fields: Any) -> dict[str, Any]:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Debt"}, "blocks": []}
    return view | fields


def refused(client: WebClient, **params: Any) -> list[str]:
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C0DEBT", text="fallback", **params)
    data = caught.value.response.data
    assert isinstance(data, dict)
    assert data["error"] == "invalid_blocks"
    assert data["response_metadata"]["messages"]
    errors: list[str] = data["errors"]
    return errors


GOOD_BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Top debt", "emoji": True}},
    section("*DEBT-1* flaky deploys") | {"accessory": button("Why?", "why")},
    {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Score*\n81.5"}]},
    {"type": "divider"},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "n = 12"}]},
    select([option(1), option(2)]),
    {"type": "actions", "elements": [button("Answer", "answer"), button("Later", "later")]},
    {
        "type": "input",
        "block_id": "pain",
        "label": {"type": "plain_text", "text": "How much does it hurt?"},
        "element": {"type": "radio_buttons", "action_id": "v", "options": [option(1)]},
    },
]


def test_valid_blocks_pass(client: WebClient, slack: FakeSlack) -> None:
    assert validate_blocks(GOOD_BLOCKS, surface="message") == []
    assert client.chat_postMessage(channel="C0DEBT", text="x", blocks=GOOD_BLOCKS)["ok"]
    assert slack.rejections == []


def test_fifty_one_blocks(client: WebClient, slack: FakeSlack) -> None:
    errors = refused(client, blocks=[section("x")] * 51)
    assert errors == ["must provide no more than 50 items [json-pointer:/blocks]"]
    assert client.chat_postMessage(channel="C0DEBT", text="x", blocks=[section("x")] * 50)["ok"]
    (rejection,) = slack.rejections
    assert rejection.method == "chat.postMessage"
    assert len(rejection.params["blocks"]) == 51


def test_text_of_3001_characters(client: WebClient) -> None:
    assert refused(client, blocks=[section("x" * 3001)]) == [
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]
    assert client.chat_postMessage(channel="C0DEBT", text="x", blocks=[section("x" * 3000)])["ok"]


def test_button_text_of_76_characters(client: WebClient) -> None:
    blocks = [{"type": "actions", "elements": [button("b" * 76)]}]
    assert refused(client, blocks=blocks) == [
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"
    ]


def test_101_options(client: WebClient) -> None:
    errors = refused(client, blocks=[select([option(n) for n in range(101)])])
    assert errors == [
        "must provide no more than 100 items [json-pointer:/blocks/0/elements/0/options]"
    ]


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/0/text/text"),
        ([select([option(1, "o" * 76)])], "/0/elements/0/options/0/text/text"),
        ([select([option(1) | {"value": "v" * 151}])], "/0/elements/0/options/0/value"),
        ([select([option(n) for n in range(11)], "checkboxes")], "/0/elements/0/options"),
        ([{"type": "actions", "elements": [button("x", "a" * 256)]}], "/0/elements/0/action_id"),
        ([section("x") | {"block_id": "b" * 256}], "/0/block_id"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], "/0/fields/0"),
        ([section("")], "/0/text/text"),
        ([section("x") | {"block_id": "same"}, section("y") | {"block_id": "same"}], "/1"),
    ],
)
def test_slack_limits(blocks: list[dict[str, Any]], pointer: str) -> None:
    (error,) = validate_blocks(blocks, surface="message")
    assert f"[json-pointer:/blocks{pointer}" in error


def test_content_the_sdk_cannot_round_trip_is_refused(client: WebClient) -> None:
    assert refused(client, blocks=[section("x") | {"txt": "typo"}]) == [
        "unknown or misplaced field 'txt' [json-pointer:/blocks/0/txt]"
    ]
    assert refused(client, blocks=[{"type": "sektion"}]) == [
        "unsupported block type 'sektion' [json-pointer:/blocks/0/type]"
    ]
    assert refused(client, blocks=[{"type": "section", "text": "plain string"}])


def test_blocks_that_are_not_json(slack: FakeSlack) -> None:
    params = {"token": "xoxb-test", "channel": "C0DEBT", "blocks": "[{oops"}
    with pytest.raises(SlackApiError) as caught:
        WebClient(base_url=slack.base_url).api_call("chat.postMessage", params=params)
    assert caught.value.response.status_code == 200
    assert caught.value.response["error"] == "invalid_blocks_format"


def test_updates_and_ephemerals_are_validated(client: WebClient, slack: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0DEBT", text="x")["ts"]
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.chat_update(channel="C0DEBT", ts=ts, text="y", blocks=[section("x" * 3001)])
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.chat_postEphemeral(
            channel="C0DEBT", user="U0USER", text="y", blocks=[section("x" * 3001)]
        )
    assert [r.method for r in slack.rejections] == ["chat.update", "chat.postEphemeral"]
    assert slack.messages("C0DEBT")[0].text == "x"


def test_modal_limits() -> None:
    assert validate_view(modal()) == []
    assert validate_view(modal(title={"type": "plain_text", "text": "t" * 25})) == [
        "must be less than 25 characters [json-pointer:/view/title/text]"
    ]
    assert validate_view(modal(private_metadata="m" * 3001)) == [
        "must be less than 3001 characters [json-pointer:/view/private_metadata]"
    ]
    assert validate_view(modal(callback_id="c" * 256)) == [
        "must be less than 256 characters [json-pointer:/view/callback_id]"
    ]
    assert validate_view(modal(blocks=[section("x")] * 101)) == [
        "must provide no more than 100 items [json-pointer:/view/blocks]"
    ]
    assert validate_view(modal(blocks=[section("x")] * 100)) == []
    assert validate_view({"type": "modal", "blocks": []}) == [
        "title is required for a modal [json-pointer:/view/title]"
    ]


def test_modal_with_inputs_needs_a_submit_button() -> None:
    blocks = [GOOD_BLOCKS[-1]]
    assert "submit" in validate_view(modal(blocks=blocks))[0]
    assert validate_view(modal(blocks=blocks, submit={"type": "plain_text", "text": "Send"})) == []


def test_views_are_validated_through_the_api(client: WebClient, slack: FakeSlack) -> None:
    trigger = slack.new_trigger_id()
    bad = modal(title={"type": "plain_text", "text": "t" * 25})
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.views_open(trigger_id=trigger, view=bad)
    assert client.views_open(trigger_id=trigger, view=modal())["ok"]  # trigger not spent
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.views_publish(user_id="U0USER", view={"type": "home", "blocks": [section("")]})
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.views_publish(user_id="U0USER", view=modal())  # a modal is no Home tab
    assert [r.method for r in slack.rejections] == ["views.open", "views.publish", "views.publish"]


def test_home_allows_100_blocks() -> None:
    assert validate_view({"type": "home", "blocks": [section("x")] * 100}) == []
    assert validate_view({"type": "home", "blocks": [section("x")] * 101})
