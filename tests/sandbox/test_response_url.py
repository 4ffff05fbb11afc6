"""Response URLs: five uses within thirty minutes, and replies land where Slack puts them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.sandbox import FakeSlack, ManualClock


def post(url: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_response_url_takes_five_posts(slack: FakeSlack) -> None:
    url = slack.new_response_url(channel="C0DEBT", user="U0ALICE")
    assert url.startswith(slack.root_url + "actions/T0TEST/")
    for n in range(5):
        assert post(url, {"text": f"reply {n}"}) == (200, {"ok": True})
    assert post(url, {"text": "sixth"}) == (404, {"ok": False, "error": "used_url"})
    assert [p.status for p in slack.response_url_posts] == [200] * 5 + [404]
    assert slack.response_url_posts[-1].error == "used_url"
    assert len(slack.ephemerals("U0ALICE")) == 5


def test_a_response_url_expires_after_thirty_minutes(slack: FakeSlack, clock: ManualClock) -> None:
    url = slack.new_response_url(channel="C0DEBT", user="U0ALICE")
    clock.advance(30 * 60 + 1)
    assert post(url, {"text": "late"}) == (404, {"ok": False, "error": "expired_url"})


def test_unknown_response_url(slack: FakeSlack) -> None:
    assert post(slack.root_url + "actions/T0TEST/9/nope", {"text": "x"})[0] == 404


def test_sdk_webhook_client_works_against_it(slack: FakeSlack) -> None:
    url = slack.new_response_url(channel="C0DEBT", user="U0ALICE")
    answer = WebhookClient(url).send(text="via the SDK", response_type="in_channel")
    assert answer.status_code == 200
    assert [m.text for m in slack.messages("C0DEBT")] == ["via the SDK"]
    assert slack.messages("C0DEBT")[0].via == "response_url"
    assert slack.calls_to("response_url")[0].params["text"] == "via the SDK"


def test_replace_and_delete_the_original_message(client: WebClient, slack: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0DEBT", text="Answer the poll")["ts"]
    url = slack.new_response_url(channel="C0DEBT", user="U0ALICE", message_ts=ts)
    post(url, {"replace_original": True, "text": "Thanks!"})
    (message,) = slack.messages("C0DEBT")
    assert (message.text, message.edits) == ("Thanks!", 1)
    post(url, {"delete_original": True})
    assert slack.messages("C0DEBT") == []


def test_replace_an_ephemeral_original(client: WebClient, slack: FakeSlack) -> None:
    ts = client.chat_postEphemeral(channel="C0DEBT", user="U0ALICE", text="Pick one")["message_ts"]
    url = slack.new_response_url(channel="C0DEBT", user="U0ALICE", message_ts=ts, ephemeral=True)
    post(url, {"replace_original": "true", "text": "Picked"})
    assert [e.text for e in slack.ephemerals("U0ALICE")] == ["Picked"]


def test_invalid_blocks_are_refused_and_do_not_use_up_the_url(slack: FakeSlack) -> None:
    url = slack.new_response_url(channel="C0DEBT", user="U0ALICE")
    status, body = post(url, {"blocks": [{"type": "divider"}] * 51})
    assert (status, body["error"]) == (400, "invalid_blocks")
    assert slack.rejections[0].method == "response_url"
    for _ in range(5):
        assert post(url, {"text": "ok"})[0] == 200


def test_response_url_limits_are_settings(clock: ManualClock) -> None:
    with FakeSlack(clock=clock, response_url_max_uses=1, response_url_ttl=60) as slack:
        url = slack.new_response_url(channel="C0GENERAL", user="U0USER")
        assert post(url, {"text": "one"})[0] == 200
        assert post(url, {"text": "two"})[1]["error"] == "used_url"


def test_faults_apply_to_response_urls(slack: FakeSlack) -> None:
    url = slack.new_response_url(channel="C0DEBT", user="U0ALICE")
    slack.fail_next("response_url", status=503)
    assert post(url, {"text": "x"})[0] == 503
    assert post(url, {"text": "x"})[0] == 200


def test_response_url_needs_a_running_fake() -> None:
    with pytest.raises(RuntimeError):
        FakeSlack().new_response_url()
