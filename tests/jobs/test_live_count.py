"""The live respondent count never puts the Answer button back on a poll that closed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.listeners.poll_listeners import CountUpdater
from bot.sandbox import FakeSlack
from bot.services import poll_jobs
from bot.slack.poll_views import OPEN_ACTION
from tests.jobs.conftest import MakeRuntime, slack_env

POLLS = "C0POLLS"
SURVEY = f"""\
id: pulse
title: Pulse
schedule: {{cron: "0 10 * * MON", timezone: UTC}}
audience: {{channel: {POLLS}}}
anonymous: true
open_for: 48h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""
NOW = datetime(2026, 11, 23, 10, 0, 5, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(post_rate=None) as fake:
        fake.workspace.add_channel(POLLS, name="polls", members=["U0BOT"])
        yield fake


def test_a_close_during_a_count_update_leaves_the_poll_closed(
    make_runtime: MakeRuntime, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack_env(monkeypatch, fake.base_url, "live-count")
    runtime = make_runtime({"pulse.yaml": SURVEY}, clock=lambda: NOW)
    run_id = poll_jobs.open_poll(runtime, "pulse", NOW.replace(second=0))
    assert run_id is not None
    client = poll_jobs.slack_client(runtime)
    real_update = client.chat_update
    closed_meanwhile = False

    def update(**kwargs: Any) -> Any:
        nonlocal closed_meanwhile
        if not closed_meanwhile:  # the worker closes the run just before this update lands
            closed_meanwhile = True
            assert poll_jobs.close_poll(runtime, run_id)
        return real_update(**kwargs)

    monkeypatch.setattr(client, "chat_update", update)
    CountUpdater(every=0)._update(runtime, client, run_id)

    (message,) = [m for m in fake.messages(channel=POLLS) if m.thread_ts is None]
    assert OPEN_ACTION not in json.dumps(message.blocks)  # no Answer button on a closed poll
    assert "closed" in json.dumps(message.blocks).lower()
