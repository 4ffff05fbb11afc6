"""The Web API client's retry handling of odd Retry-After values."""

from __future__ import annotations

import time

import pytest
from slack_sdk.errors import SlackApiError

from bot.sandbox import FakeSlack
from bot.slack.client import MAX_RETRY_AFTER_S, make_client, retry_after_seconds


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2", 2.0),
        ("1.5", 1.5),
        (None, 1.0),
        ("soon", 1.0),
        ("-5", 0.0),
        ("nan", 1.0),
        ("99999", MAX_RETRY_AFTER_S),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_retry_after_is_read_leniently(raw: str | None, expected: float) -> None:
    assert retry_after_seconds(raw) == expected


def test_http_date_in_the_future(monkeypatch: pytest.MonkeyPatch) -> None:
    now = 1_445_412_470.0  # 10 s before the date below
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 10.0


def test_a_non_integer_retry_after_is_waited_out_not_a_crash() -> None:
    with FakeSlack(post_rate=None) as fake:
        fake.fail_next("chat.postMessage", status=429, retry_after="0.5", times=1)
        client = make_client(base_url=fake.base_url, token="xoxb-test")
        started = time.monotonic()
        assert client.chat_postMessage(channel="C0GENERAL", text="hello")["ok"]
        assert time.monotonic() - started < 5
        assert len(fake.messages(channel="C0GENERAL")) == 1
        assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]


def test_persistent_429_raises_after_a_few_attempts() -> None:
    with FakeSlack(post_rate=None) as fake:
        fake.fail_next("chat.postMessage", status=429, retry_after=0, times=50)
        client = make_client(base_url=fake.base_url, token="xoxb-test")
        with pytest.raises(SlackApiError) as error:
            client.chat_postMessage(channel="C0GENERAL", text="hello")
        assert error.value.response.status_code == 429
        assert 2 <= len(fake.calls_to("chat.postMessage")) <= 5
