"""Fixtures for the sandbox's own tests: a running fake, a client, a clock, a stub bot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.sandbox import BOT_TOKEN, FakeSlack, ManualClock, SlackDriver
from tests.sandbox.stub_bot import SECRET, StubBot, running_stub_bot


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_750_000_000.0)


@pytest.fixture
def slack(clock: ManualClock) -> Iterator[FakeSlack]:
    """A running fake on a hand-driven clock: nothing expires or refills unless advanced."""
    with FakeSlack(clock=clock) as fake:
        fake.workspace.add_user("U0ALICE", name="alice", tz="Europe/Berlin")
        fake.workspace.add_user("U0GONE", name="gone", deleted=True)
        fake.workspace.add_user("U0OTHERBOT", name="otherbot", is_bot=True)
        fake.workspace.add_channel("C0DEBT", name="debt", members=["U0BOT", "U0USER", "U0ALICE"])
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    """A slack_sdk client pointed at the fake, with no retries unless a test adds them."""
    return WebClient(token=BOT_TOKEN, base_url=slack.base_url, retry_handlers=[])


@pytest.fixture
def bot() -> Iterator[StubBot]:
    with running_stub_bot() as stub:
        yield stub


@pytest.fixture
def driver(bot: StubBot, slack: FakeSlack) -> SlackDriver:
    return SlackDriver(bot.url, SECRET, fake=slack)
