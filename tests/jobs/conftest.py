"""Fixtures for the worker tests: templates on disk, a runtime over a migrated SQLite file."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.config import load_settings
from bot.runtime import Runtime, build_runtime
from bot.sandbox import BOT_TOKEN
from storage import db
from storage.types import utcnow

TEAM = "T0001"

SURVEY = """\
id: {id}
title: Pulse {id}
schedule: {{cron: "{cron}", timezone: {zone}}}
anonymous: {anonymous}
open_for: 48h
questions:
  - id: note
    type: text
    prompt: "Anything about technical debt this week?"
    optional: true
"""

DIGEST = """\
id: {id}
kind: digest
title: Digest {id}
schedule: {{cron: "{cron}", timezone: {zone}}}
"""


def survey_yaml(
    survey_id: str,
    cron: str = "0 10 * * MON",
    zone: str = "UTC",
    *,
    anonymous: bool = False,
) -> str:
    return SURVEY.format(id=survey_id, cron=cron, zone=zone, anonymous=str(anonymous).lower())


def digest_yaml(digest_id: str, cron: str = "0 9 * * MON", zone: str = "UTC") -> str:
    return DIGEST.format(id=digest_id, cron=cron, zone=zone)


@pytest.fixture
def sqlite_engine(tmp_path: Path, migrated_sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "worker.db"
    shutil.copy(migrated_sqlite_template, path)
    engine = db.make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def slack_env(monkeypatch: pytest.MonkeyPatch, api_url: str, name: str) -> None:
    """What posting polls needs: the bot token, the fake Web API and the secrets."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", f"{name}-secret")
    monkeypatch.setenv("SLACK_API_URL", api_url)
    monkeypatch.setenv("DEBTPULSE_ANON_SECRET", f"{name}-anon")


class Clock:
    """A clock a test moves by hand: ``clock.now += timedelta(…)``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


MakeRuntime = Callable[..., Runtime]


@pytest.fixture
def make_runtime(
    tmp_path: Path, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> MakeRuntime:
    """``make_runtime({"file.yaml": text, …}, clock=…)``: a runtime over those templates."""
    counter = iter(range(1000))

    def make(
        templates: dict[str, str],
        *,
        clock: Callable[[], datetime] = utcnow,
        engine: Engine | None = None,
    ) -> Runtime:
        directory = tmp_path / f"surveys-{next(counter)}"
        directory.mkdir()
        for name, text in templates.items():
            (directory / name).write_text(text, encoding="utf-8")
        monkeypatch.setenv("DEBTPULSE_SURVEYS_DIR", str(directory))
        return build_runtime(
            load_settings(), engine=engine or sqlite_engine, default_team=TEAM, clock=clock
        )

    return make
