"""Fixtures for the Slack app tests: a Bolt app built against the fake Slack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.listeners.app import build_app
from bot.runtime import build_runtime
from bot.sandbox import FakeSlack
from storage import db


@pytest.fixture
def bolt_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with FakeSlack() as fake:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
        monkeypatch.setenv("SLACK_API_URL", fake.base_url)
        runtime = build_runtime(load_settings(), engine=engine, default_team="T0TEST")
        yield build_app(runtime)
