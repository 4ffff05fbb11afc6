"""debtpulse's log lines name no Slack user: an owner Slack could not check is not named."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack.people import not_a_person


class _Client:
    def __init__(self, failure: Exception) -> None:
        self.failure = failure

    def users_info(self, **_: Any) -> Any:
        raise self.failure


@pytest.mark.parametrize(
    "failure",
    [SlackApiError("ratelimited", {"ok": False, "error": "ratelimited"}), OSError("reset")],
)
def test_an_unchecked_owner_is_taken_without_logging_their_id(
    failure: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert not_a_person(_Client(failure), "U0OWNER42") is None  # type: ignore[arg-type]
    assert "could not check a debt owner with users.info" in caplog.text
    assert "U0OWNER42" not in caplog.text
