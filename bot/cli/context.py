"""The runtime of a CLI command, read from the environment as the command needs it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.config import load_settings
from bot.runtime import Runtime
from storage.db import make_engine
from storage.types import utcnow


def cli_runtime(team: str | None = None, *, clock: Callable[[], datetime] = utcnow) -> Runtime:
    """``team``: the ``--team`` option. Nothing is read, connected or loaded until used: the
    engine is checked to be at the newest schema, the team resolved with advice to pass
    ``--team`` when Slack cannot tell it."""
    return Runtime(team_option=team, clock=clock, read_settings=load_settings, connect=make_engine)
