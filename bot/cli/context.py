"""What every CLI command needs: settings, the engine (schema checked) and the team."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from bot.config import ConfigError, Settings, load_settings
from bot.core.score_settings import ScoreSettings
from bot.core.weights_file import Capacity, load_weights
from bot.teams import resolve_team
from storage.db import SCHEMA_HEAD, SchemaOutOfDate, check_schema, make_engine, sqlite_file


@dataclass
class CliContext:
    team_option: str | None = None

    @cached_property
    def settings(self) -> Settings:
        return load_settings()

    @property
    def anon_secret(self) -> str | None:
        secret = self.settings.anon_secret
        return secret.get_secret_value() if secret is not None else None

    @cached_property
    def raw_engine(self) -> Engine:
        """The engine without the schema check (for ``db upgrade`` itself)."""
        return make_engine(self.settings.database_url)

    @cached_property
    def engine(self) -> Engine:
        """The engine of a database at the newest schema; a SQLite file that does not exist
        is refused before connecting, which would leave an empty file behind (a typo'd path)."""
        path = sqlite_file(self.settings.database_url)
        if path is not None and not path.exists():
            raise SchemaOutOfDate(None, SCHEMA_HEAD)
        check_schema(self.raw_engine)
        return self.raw_engine

    @cached_property
    def team(self) -> str:
        try:
            return resolve_team(self.settings, self.raw_engine, self.team_option)
        except ConfigError as exc:  # data commands can do without Slack: say how
            raise ConfigError(
                exc.variable, f"{exc.expected}; pass --team to skip the check"
            ) from None

    @cached_property
    def weights(self) -> tuple[ScoreSettings, Capacity]:
        """Score settings and capacity: defaults or ``weights.yaml`` in the surveys folder."""
        return load_weights(self.settings.surveys_dir, min_group=self.settings.min_group)
