"""Every Web API request is counted once, by method and by what came back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from prometheus_client import REGISTRY
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.sandbox import FakeSlack
from bot.slack.call_metrics import method_label, refusal
from bot.slack.client import CallCounter, CountedServerErrorRetryHandler, make_client


def counted(method: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "debtpulse_slack_api_calls_total", {"method": method, "outcome": outcome}
    )
    return value or 0.0


def change(method: str, outcomes: list[str], act: Callable[[], object]) -> dict[str, float]:
    before = {outcome: counted(method, outcome) for outcome in outcomes}
    act()
    return {outcome: counted(method, outcome) - before[outcome] for outcome in outcomes}


def _raises(call: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        with pytest.raises((SlackApiError, OSError)):
            call()

    return run


OUTCOMES = [
    "ok",
    "ratelimited",
    "retried",
    "service_unavailable",
    "connection_error",
    "channel_not_found",
]


def test_each_request_is_counted_by_what_came_back() -> None:
    with FakeSlack(post_rate=None) as fake:
        client = make_client(base_url=fake.base_url, token="xoxb-test")
        bare = make_client(base_url=fake.base_url, token="xoxb-test", retries=False)
        post = "chat.postMessage"

        def say() -> object:
            return client.chat_postMessage(channel="C0GENERAL", text="hello")

        assert change(post, OUTCOMES, say)["ok"] == 1
        # Slack's refusal (HTTP 200, "ok": false) is counted by its code
        missing = _raises(lambda: client.chat_postMessage(channel="C0NOWHERE", text="x"))
        assert change(post, OUTCOMES, missing)["channel_not_found"] == 1
        # a 429 waited out, then the post: one of each
        fake.fail_next(post, status=429, retry_after=0)
        assert change(post, OUTCOMES, say) == {
            **dict.fromkeys(OUTCOMES, 0),
            "ratelimited": 1,
            "ok": 1,
        }
        # without retries: the 429, a server error and a dropped connection end the call
        fake.fail_next(post, status=429, retry_after=0)
        bare_say = _raises(lambda: bare.chat_postMessage(channel="C0GENERAL", text="x"))
        assert change(post, OUTCOMES, bare_say)["ratelimited"] == 1
        fake.fail_next(post, status=503)  # {"error": "service_unavailable"}, as Slack says it
        assert change(post, OUTCOMES, bare_say)["service_unavailable"] == 1
        fake.drop_next(post)
        assert change(post, OUTCOMES, bare_say)["connection_error"] == 1


def test_a_server_error_retried_counts_as_retried_then_ok() -> None:
    quick = FixedValueRetryIntervalCalculator(0.01)
    with FakeSlack(post_rate=None) as fake:
        client = make_client(base_url=fake.base_url, token="xoxb-test")
        client.retry_handlers = [
            CountedServerErrorRetryHandler(max_retry_count=2, interval_calculator=quick),
            CallCounter(),
        ]
        fake.fail_next("users.info", status=503)
        delta = change("users.info", OUTCOMES, lambda: client.users_info(user="U0USER"))
        assert delta == {**dict.fromkeys(OUTCOMES, 0), "retried": 1, "ok": 1}
        assert [c.status for c in fake.calls_to("users.info")] == [503, 200]


def test_labels_stay_bounded() -> None:
    assert method_label("https://slack.com/api/chat.postMessage") == "chat.postMessage"
    assert method_label("oauth.v2.access") == "oauth.v2.access"
    assert method_label("https://files.slack.com/upload/v1/ABC?x=1") == "other"
    assert method_label("chat.postMessage<script>") == "other"
    assert refusal(200, "channel_not_found") == "channel_not_found"
    assert refusal(200, "a_code_slack_adds_next_year") == "other"
    assert refusal(429, None) == "ratelimited"
    assert refusal(502, None) == "server_error"
