"""The driver signs like Slack: verified by slack_sdk's SignatureVerifier, unless tampered."""

from __future__ import annotations

import json
import time

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.sandbox import SlackDriver, SlackTimeoutError, Tamper, sign
from bot.sandbox.transport import SLACK_TIMEOUT
from tests.sandbox.stub_bot import SECRET, StubBot


def test_signature_matches_slack_sdk() -> None:
    verifier = SignatureVerifier(SECRET)
    assert sign(SECRET, "1700000000", "a=b") == verifier.generate_signature(
        timestamp="1700000000", body="a=b"
    )


def test_slash_command_is_signed_and_shaped_like_slack(driver: SlackDriver, bot: StubBot) -> None:
    answer = driver.slash(text="top 5", user="U0ALICE", channel="C0DEBT")
    assert answer.status == 200
    assert bot.last.verified
    assert bot.last.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = bot.last.form()
    assert form["command"] == "/debt"
    assert form["text"] == "top 5"
    assert (form["user_id"], form["user_name"]) == ("U0ALICE", "alice")
    assert (form["channel_id"], form["channel_name"]) == ("C0DEBT", "debt")
    assert form["team_id"] == "T0TEST"
    assert form["response_url"].startswith(driver.fake.root_url if driver.fake else "")
    assert form["trigger_id"]


@pytest.mark.parametrize(
    "tamper",
    [
        Tamper(secret="not-the-secret"),
        Tamper(timestamp_offset=-301),
        # well past the 5 minutes: the check reads the clock later than the driver did
        Tamper(timestamp_offset=+330),
        Tamper(append_after_signing="&text=drop+table"),
        Tamper(omit_signature=True),
        Tamper(omit_timestamp=True),
    ],
    ids=["wrong-secret", "too-old", "future", "body-changed", "no-signature", "no-timestamp"],
)
def test_tampered_requests_fail_verification(
    driver: SlackDriver, bot: StubBot, tamper: Tamper
) -> None:
    answer = driver.slash(text="top", tamper=tamper)
    assert not bot.last.verified
    assert answer.status == 401


def test_a_slightly_old_timestamp_still_verifies(driver: SlackDriver, bot: StubBot) -> None:
    driver.slash(text="top", tamper=Tamper(timestamp_offset=-200))
    assert bot.last.verified


def test_missing_headers_are_really_missing(driver: SlackDriver, bot: StubBot) -> None:
    driver.slash(tamper=Tamper(omit_signature=True, omit_timestamp=True))
    assert "X-Slack-Signature" not in bot.last.headers
    assert "X-Slack-Request-Timestamp" not in bot.last.headers


def test_events_carry_the_envelope_and_retry_headers(driver: SlackDriver, bot: StubBot) -> None:
    event = {"type": "app_mention", "user": "U0ALICE", "text": "<@U0BOT> top", "channel": "C0DEBT"}
    driver.event(event, event_id="Ev0DEBT1")
    first = bot.last
    driver.event(event, event_id="Ev0DEBT1", retry_num=1, retry_reason="http_timeout")
    retry = bot.last
    assert first.verified and retry.verified
    envelope = retry.json()
    assert envelope["type"] == "event_callback"
    assert envelope["event_id"] == first.json()["event_id"] == "Ev0DEBT1"
    assert envelope["team_id"] == "T0TEST"
    assert envelope["api_app_id"]
    assert isinstance(envelope["event_time"], int)
    assert envelope["event"]["type"] == "app_mention"
    assert envelope["event"]["event_ts"]
    assert envelope["authorizations"][0]["user_id"] == "U0BOT"
    assert "X-Slack-Retry-Num" not in first.headers
    assert retry.headers["X-Slack-Retry-Num"] == "1"
    assert retry.headers["X-Slack-Retry-Reason"] == "http_timeout"


def test_url_verification_and_home_opened(driver: SlackDriver, bot: StubBot) -> None:
    bot.reply = lambda r: (200, json.dumps({"challenge": r.json().get("challenge")}))
    assert driver.url_verification("abc").json() == {"challenge": "abc"}
    driver.app_home_opened("U0ALICE")
    assert bot.last.json()["event"] | {"event_ts": ""} == {
        "type": "app_home_opened",
        "user": "U0ALICE",
        "channel": "D0ALICE",
        "tab": "home",
        "event_ts": "",
    }


def test_error_statuses_come_back_as_responses(driver: SlackDriver, bot: StubBot) -> None:
    bot.reply = lambda _: (500, "boom")
    answer = driver.slash()
    assert (answer.status, answer.body_text, answer.ok) == (500, "boom", False)


def test_slack_gives_up_after_three_seconds() -> None:
    assert SLACK_TIMEOUT == 3.0
    assert SlackDriver("http://127.0.0.1:9/", SECRET).timeout == 3.0


def test_a_slow_bot_is_flagged(bot: StubBot) -> None:
    bot.delay = 0.4
    driver = SlackDriver(bot.url, SECRET, timeout=0.15)
    started = time.monotonic()
    answer = driver.slash()
    assert answer.timed_out
    assert answer.status == 0
    assert not answer.ok
    assert time.monotonic() - started < 0.4


def test_a_slow_bot_can_raise(bot: StubBot) -> None:
    bot.delay = 0.4
    driver = SlackDriver(bot.url, SECRET, timeout=0.15, raise_on_timeout=True)
    with pytest.raises(SlackTimeoutError):
        driver.slash()


def test_a_prompt_bot_is_not_flagged(driver: SlackDriver) -> None:
    answer = driver.slash()
    assert answer.ok
    assert not answer.timed_out
    assert answer.elapsed < 3.0


def test_without_a_fake_the_driver_still_sends(bot: StubBot) -> None:
    driver = SlackDriver(bot.url, SECRET)
    driver.slash(text="help")
    form = bot.last.form()
    assert bot.last.verified
    assert form["response_url"].startswith("https://hooks.slack.com/")
    assert form["trigger_id"]
    with pytest.raises(RuntimeError, match="FakeSlack"):
        driver.click_button("anything")
