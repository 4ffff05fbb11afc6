"""The runtime of a CLI command, read from the environment as the command needs it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from storage.clock import utcnow

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.config import Settings
    from bot.runtime import Runtime


def load_settings() -> Settings:
    from bot.config import load_settings as load

    return load()


def make_engine(url: str) -> Engine:
    from storage.db import make_engine as make  # SQLAlchemy loads only when a command needs it

    return make(url)


def cli_runtime(team: str | None = None, *, clock: Callable[[], datetime] = utcnow) -> Runtime:
    """``team``: the ``--team`` option. Nothing is read, connected or loaded until used: the
    engine is checked to be at the newest schema, the team resolved with advice to pass
    ``--team`` when Slack cannot tell it."""
    from bot.runtime import Runtime

    return Runtime(team_option=team, clock=clock, read_settings=load_settings, connect=make_engine)
