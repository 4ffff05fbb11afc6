"""Confirmations go out on threads of their own; a failed one is logged, never raised."""

from __future__ import annotations

import logging
import threading

import pytest

from bot.slack.confirmations import confirm_later


def test_a_confirmation_runs_on_its_own_thread() -> None:
    seen: list[tuple[str, str, str]] = []

    def send(user: str, *, text: str) -> None:
        seen.append((threading.current_thread().name, user, text))

    confirm_later(send, "U1", text="Recorded").result(timeout=5)
    assert len(seen) == 1
    thread, user, text = seen[0]
    assert thread.startswith("confirm") and (user, text) == ("U1", "Recorded")


def test_a_failed_confirmation_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def refused(**_: object) -> None:
        raise ConnectionResetError("slack went away")

    with caplog.at_level(logging.WARNING, logger="bot.slack.confirmations"):
        confirm_later(refused, text="Recorded").result(timeout=5)  # no exception
    assert "a confirmation could not be sent (ConnectionResetError)" in caplog.text
