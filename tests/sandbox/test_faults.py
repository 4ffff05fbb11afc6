"""Rate limits and injected failures, and slack_sdk's retry handlers coping with them."""

from __future__ import annotations

import contextlib
import time
import urllib.error

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.sandbox import FakeSlack, ManualClock

QUICK = FixedValueRetryIntervalCalculator(0.01)


def statuses(slack: FakeSlack, method: str) -> list[int]:
    return [c.status for c in slack.calls_to(method)]


def test_posting_is_limited_per_channel(
    client: WebClient, slack: FakeSlack, clock: ManualClock
) -> None:
    for n in range(5):  # the burst
        client.chat_postMessage(channel="C0DEBT", text=f"m{n}")
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C0DEBT", text="one too many")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "1"
    assert caught.value.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C0GENERAL", text="another channel")["ok"]
    clock.advance(1.0)
    assert client.chat_postMessage(channel="C0DEBT", text="a second later")["ok"]
    assert len(slack.messages("C0DEBT")) == 6


def test_rate_is_configurable_and_can_be_switched_off(clock: ManualClock) -> None:
    with FakeSlack(clock=clock, post_rate=None) as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        for n in range(20):
            client.chat_postMessage(channel="C0GENERAL", text=str(n))
    with FakeSlack(clock=clock, post_rate=2, post_burst=1) as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        client.chat_postMessage(channel="C0GENERAL", text="1")
        clock.advance(0.5)
        client.chat_postMessage(channel="C0GENERAL", text="2")


def test_rate_limit_handler_honours_retry_after(slack: FakeSlack) -> None:
    client = WebClient(
        token="xoxb-test", base_url=slack.base_url, retry_handlers=[RateLimitErrorRetryHandler()]
    )
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    assert client.chat_postMessage(channel="C0DEBT", text="eventually")["ok"]
    assert time.monotonic() - started >= 1.0
    assert statuses(slack, "chat.postMessage") == [429, 200]


def test_server_errors_are_retried(slack: FakeSlack) -> None:
    handler = ServerErrorRetryHandler(max_retry_count=2, interval_calculator=QUICK)
    client = WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[handler])
    slack.fail_next("chat.postMessage", status=503)
    slack.fail_next("chat.postMessage", status=500)
    assert client.chat_postMessage(channel="C0DEBT", text="third time")["ok"]
    assert statuses(slack, "chat.postMessage") == [503, 500, 200]
    assert len(slack.messages()) == 1


def test_without_a_handler_the_error_surfaces(client: WebClient, slack: FakeSlack) -> None:
    slack.fail_next("users.info", status=503, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as caught:
            client.users_info(user="U0ALICE")
        assert caught.value.response.status_code == 503
    assert client.users_info(user="U0ALICE")["ok"]


def test_connection_resets_are_retried(slack: FakeSlack) -> None:
    handler = ConnectionErrorRetryHandler(max_retry_count=1, interval_calculator=QUICK)
    client = WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[handler])
    slack.drop_next("chat.postMessage")
    assert client.chat_postMessage(channel="C0DEBT", text="after a reset")["ok"]
    assert statuses(slack, "chat.postMessage") == [0, 200]
    assert slack.calls_to("chat.postMessage")[0].response is None


def test_a_reset_without_a_handler_raises(slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[])
    slack.drop_next("auth.test")
    with pytest.raises((ConnectionError, OSError)):
        client.auth_test()


def test_slow_responses_and_client_timeouts(slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=slack.base_url, timeout=1, retry_handlers=[])
    slack.slow_down("auth.test", seconds=0.2, times=1)
    started = time.monotonic()
    assert client.auth_test()["ok"]
    assert time.monotonic() - started >= 0.2
    slack.slow_down("auth.test", seconds=1.5, times=1)
    with pytest.raises(TimeoutError):
        client.auth_test()


def test_wildcard_and_times(client: WebClient, slack: FakeSlack) -> None:
    slack.fail_next("*", status=500, times=2)
    for call in (client.auth_test, lambda: client.users_info(user="U0ALICE")):
        with pytest.raises(SlackApiError):
            call()
    assert client.auth_test()["ok"]


def test_fail_ratio_is_seeded(slack: FakeSlack, clock: ManualClock) -> None:
    client = WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[])

    def run() -> list[int]:
        slack.reset()
        slack.fail_ratio("users.info", 0.5, statuses=(429, 503), seed=7)
        for _ in range(20):
            with contextlib.suppress(SlackApiError):
                client.users_info(user="U0ALICE")
        return statuses(slack, "users.info")

    first = run()
    assert first == run()
    assert {429, 503, 200} == set(first)
    failed = [s for s in first if s != 200]
    assert 3 <= len(failed) <= 17
    limited = [c for c in slack.calls_to("users.info") if c.status == 429]
    assert limited[0].error == "ratelimited"


def test_clear_faults(client: WebClient, slack: FakeSlack) -> None:
    slack.fail_next("auth.test", status=503)
    slack.fail_ratio("auth.test", 1.0)
    slack.clear_faults()
    assert client.auth_test()["ok"]


def test_faults_on_uploads(slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[])
    slack.fail_next("upload", status=500)
    with pytest.raises(urllib.error.HTTPError):
        client.files_upload_v2(channel="C0DEBT", content=b"x", filename="x.txt")
    assert slack.uploaded_files == []


def test_bad_arguments_to_the_fault_plan(slack: FakeSlack) -> None:
    with pytest.raises(ValueError):
        slack.fail_next("auth.test", times=0)
    with pytest.raises(ValueError):
        slack.fail_ratio("auth.test", 1.5)
