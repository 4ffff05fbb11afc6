"""What a running process shares: settings, the database, score settings and templates.

Built once per process (per gunicorn worker, after the fork) and handed to the Bolt
middleware and the web routes; every operation opens its own transaction from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import ConfigError, Settings
from bot.core.catalog import load_catalog
from bot.core.score_settings import ScoreSettings
from bot.core.weights_file import Capacity, load_weights
from bot.teams import TeamError, resolve_team
from storage.db import check_schema, make_engine, session_scope
from storage.types import utcnow
from surveys import LoadedTemplate


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    score_settings: ScoreSettings
    capacity: Capacity
    catalog: dict[str, LoadedTemplate]
    default_team: str
    clock: Callable[[], datetime] = field(default=utcnow)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction per operation (commit on success, roll back on error)."""
        with session_scope(self.engine, write=write) as session:
            yield session

    def posting_team(self) -> str:
        """The workspace that polls and digests belong to.

        ``default_team`` as resolved at start; when that failed (Slack could not be reached
        for ``auth.test``, say), it is asked again here, so a run is never opened or a digest
        snapshotted under no team. Raises LookupError with what to do when it still fails.
        """
        if not self.default_team:
            try:
                team = resolve_team(self.settings, self.engine, None)
            except TeamError as exc:
                raise LookupError(
                    f"cannot tell which workspace to post for: {exc.reason}"
                ) from None
            self.default_team = team
        return self.default_team

    def require_anon_secret(self) -> None:
        """Anonymous surveys hash respondents with DEBTPULSE_ANON_SECRET: refuse to run
        without it."""
        if self.anon_secret:
            return
        anonymous = sorted(
            template_id
            for template_id, loaded in self.catalog.items()
            if loaded.survey is not None and loaded.survey.anonymous
        )
        if anonymous:
            raise ConfigError(
                "DEBTPULSE_ANON_SECRET",
                f"required because survey {anonymous[0]} is anonymous, but not set",
            )

    @property
    def anon_secret(self) -> str | None:
        secret = self.settings.anon_secret
        return secret.get_secret_value() if secret is not None else None


def build_runtime(
    settings: Settings,
    *,
    engine: Engine | None = None,
    default_team: str,
    clock: Callable[[], datetime] = utcnow,
) -> Runtime:
    """Open the database (refusing a stale schema) and load weights and templates."""
    engine = engine or make_engine(settings.database_url)
    check_schema(engine)
    score_settings, capacity = load_weights(settings.surveys_dir, min_group=settings.min_group)
    return Runtime(
        settings=settings,
        engine=engine,
        score_settings=score_settings,
        capacity=capacity,
        catalog=load_catalog(settings.surveys_dir),
        default_team=default_team,
        clock=clock,
    )
