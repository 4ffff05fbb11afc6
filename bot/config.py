"""Configuration from the environment (and ``.env``), validated once at start.

A missing or malformed value stops the process with one line naming the variable and what
is expected (exit code 2) — see ``bot.cli.errors``.

The variables are read as pydantic-settings reads them (exact names, the environment over a
``.env`` file in the working directory, an empty value as not set) by a few lines here
rather than by that library, whose import alone is a fifth of a CLI command's start-up.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from storage.urls import DEFAULT_DATABASE_URL, plain_sqlite_file

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_USER_OR_GROUP_ID = re.compile(r"^[UWS][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """A setting is missing or malformed. ``str()`` is the one line shown to the user."""

    def __init__(self, variable: str, expected: str) -> None:
        self.variable = variable
        self.expected = expected
        super().__init__(f"configuration error: {variable}: {expected}")


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _env(name: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(name))


class Settings(BaseModel):
    """Every variable of DESIGN §3; names are the environment variables themselves.

    ``Settings(**values)`` takes the given values only; :func:`load_settings` reads them from
    the environment and ``.env``.
    """

    model_config = ConfigDict(extra="ignore", validate_default=True)

    slack_bot_token: SecretStr | None = _env("SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = _env("SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = _env("SLACK_APP_TOKEN")
    slack_client_id: str | None = _env("SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = _env("SLACK_CLIENT_SECRET")
    slack_state_secret: SecretStr | None = _env("SLACK_STATE_SECRET")
    slack_api_url: str = Field(
        default="https://slack.com/api/", validation_alias=AliasChoices("SLACK_API_URL")
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL, validation_alias=AliasChoices("DATABASE_URL")
    )
    port: int = Field(default=3000, ge=1, le=65535, validation_alias=AliasChoices("PORT"))
    surveys_dir: Path | None = _env("DEBTPULSE_SURVEYS_DIR")
    leads: list[str] = Field(default_factory=list, validation_alias=AliasChoices("DEBTPULSE_LEADS"))
    anon_secret: SecretStr | None = _env("DEBTPULSE_ANON_SECRET")
    signals_token: SecretStr | None = _env("DEBTPULSE_SIGNALS_TOKEN")
    # each webhook sender's secret for the posting workspace (POST /api/hooks/<source>)
    github_secret: SecretStr | None = _env("DEBTPULSE_GITHUB_SECRET")
    gitlab_token: SecretStr | None = _env("DEBTPULSE_GITLAB_TOKEN")
    alertmanager_token: SecretStr | None = _env("DEBTPULSE_ALERTMANAGER_TOKEN")
    pagerduty_secret: SecretStr | None = _env("DEBTPULSE_PAGERDUTY_SECRET")
    sentry_secret: SecretStr | None = _env("DEBTPULSE_SENTRY_SECRET")
    sonar_secret: SecretStr | None = _env("DEBTPULSE_SONAR_SECRET")
    alertmanager_allow_unsigned: bool = Field(
        default=False, validation_alias=AliasChoices("DEBTPULSE_ALERTMANAGER_ALLOW_UNSIGNED")
    )
    # days after an uninstall (or a revoked token) a workspace's data is purged; 0: never
    purge_after_days: int = Field(
        default=30, ge=0, le=3650, validation_alias=AliasChoices("DEBTPULSE_PURGE_AFTER_DAYS")
    )
    public_url: str | None = _env("DEBTPULSE_PUBLIC_URL")
    # signs the dashboard's session cookies; None: a key derived from SLACK_SIGNING_SECRET
    dashboard_secret: SecretStr | None = _env("DEBTPULSE_DASHBOARD_SECRET")
    poll_channel: str | None = _env("DEBTPULSE_POLL_CHANNEL")
    digest_channels: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("DEBTPULSE_DIGEST_CHANNELS")
    )
    min_group: int = Field(default=5, ge=3, validation_alias=AliasChoices("DEBTPULSE_MIN_GROUP"))
    # operability: GET /metrics's bearer token, the worker's metrics port (0: none), log lines
    metrics_token: SecretStr | None = _env("DEBTPULSE_METRICS_TOKEN")
    metrics_port: int = Field(
        default=9464, ge=0, le=65535, validation_alias=AliasChoices("DEBTPULSE_METRICS_PORT")
    )
    log_format: str = Field(default="text", validation_alias=AliasChoices("DEBTPULSE_LOG_FORMAT"))
    # the team's time zone (its days, weeks and schedules); None: its digest template's
    timezone: str | None = _env("DEBTPULSE_TIMEZONE")
    # the share of a sprint for debt; None: capacity.debt_share of weights.yaml
    debt_budget: float | None = _env("DEBTPULSE_DEBT_BUDGET")

    @field_validator("leads", mode="before")
    @classmethod
    def _leads(cls, value: Any) -> Any:
        value = _split(value)
        bad = [v for v in value or [] if not _USER_OR_GROUP_ID.match(v)]
        if bad:
            raise ValueError(f"not a Slack user or usergroup id: {bad[0]!r}")
        return value

    @field_validator("digest_channels", mode="before")
    @classmethod
    def _digest_channels(cls, value: Any) -> Any:
        value = _split(value)
        bad = [v for v in value or [] if not _CHANNEL_ID.match(v)]
        if bad:
            raise ValueError(f"not a Slack channel id: {bad[0]!r}")
        return value

    @field_validator("poll_channel")
    @classmethod
    def _poll_channel(cls, value: str | None) -> str | None:
        if value is not None and not _CHANNEL_ID.match(value):
            raise ValueError(f"not a Slack channel id: {value!r}")
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: Any) -> Any:
        given = value.strip().lower() if isinstance(value, str) else value
        if given not in ("text", "json"):
            raise ValueError(f"text or json expected (got {value!r})")
        return given

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"not a time zone name like Europe/Berlin: {value!r}") from None
        return value

    @field_validator("debt_budget", mode="before")
    @classmethod
    def _debt_budget(cls, value: Any) -> Any:
        """A share of a sprint: ``0.15`` or ``15%``, more than 0 and at most all of it."""
        if value is None:
            return None
        given = value.strip() if isinstance(value, str) else value
        try:
            if isinstance(given, str) and given.endswith("%"):
                share = float(given[:-1].strip()) / 100
            elif isinstance(given, bool):
                raise ValueError
            else:
                share = float(given)
        except (TypeError, ValueError):
            share = float("nan")
        if not 0 < share <= 1:  # NaN fails too
            raise ValueError(f"a share of a sprint like 0.15 or 15% expected (got {value!r})")
        return share

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        """The URL must be one debtpulse can open; messages never repeat it (passwords)."""
        if plain_sqlite_file(value) is not None:
            return value  # the standard library opens it: SQLAlchemy need not load to say so
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("sqlite:///PATH or postgresql+psycopg://… expected")
        try:
            url = make_url(value)
        except (ArgumentError, ValueError):
            raise ValueError("not a database URL (check its host, port and path)") from None
        if url.get_backend_name() == "sqlite" and url.host:
            raise ValueError("sqlite:///PATH expected, with three slashes (a file has no host)")
        try:
            url.get_dialect().import_dbapi()
        except (ArgumentError, ImportError):
            raise ValueError(
                f"the driver {url.drivername} is not installed: use postgresql+psycopg://…"
            ) from None
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("an http(s) URL expected")
        return value if value.endswith("/") else value + "/"

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")) or "?" in value or "#" in value:
            raise ValueError("an http(s) address expected, without ?query or #fragment")
        return value.rstrip("/")

    @field_validator("surveys_dir")
    @classmethod
    def _surveys_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            what = "not a directory" if value.exists() else "no such directory"
            raise ValueError(f"{what}: {value}")
        return value

    # -- what the configuration implies --------------------------------------------------

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.slack_client_id)

    @property
    def slack_configured(self) -> bool:
        return self.oauth_enabled or self.slack_bot_token is not None

    def require(self, *names: str) -> None:
        """Fail with a ConfigError for the first of ``names`` (field names) that is unset."""
        for name in names:
            if getattr(self, name) in (None, "", []):
                field = type(self).model_fields[name]
                raise ConfigError(_alias(field.validation_alias, name), "required but not set")

    def require_slack(self) -> None:
        """The app needs either a bot token and signing secret, or the OAuth trio."""
        if self.oauth_enabled:
            self.require("slack_client_secret", "slack_signing_secret", "slack_state_secret")
        else:
            self.require("slack_bot_token", "slack_signing_secret")


_EXPECTED = {
    "int_parsing": "an integer expected",
    "bool_parsing": "true or false expected",
    "greater_than_equal": "a number ≥ {ge} expected",
    "less_than_equal": "a number ≤ {le} expected",
}


def _alias(alias: Any, default: str) -> str:
    choices = getattr(alias, "choices", None)
    return str(choices[0]) if choices else default


ENV_FILE = Path(".env")


def variable_names() -> list[str]:
    """Every environment variable the settings read."""
    return [_alias(f.validation_alias, n) for n, f in Settings.model_fields.items()]


def environment_values() -> dict[str, str]:
    """The settings' variables that are set: from the environment, else from ``.env``.

    Names are exact (case-sensitive); an empty value is "not set" (``SLACK_SIGNING_SECRET=``
    is no empty secret); ``.env`` is read with python-dotenv (quotes, ``export``, comments and
    ``${VAR}`` as it reads them).
    """
    names = variable_names()
    values: dict[str, str] = {}
    if ENV_FILE.is_file() or ENV_FILE.is_fifo():
        from dotenv import dotenv_values

        read = dotenv_values(ENV_FILE, encoding="utf-8")
        values.update({name: value for name in names if (value := read.get(name))})
    values.update({name: value for name in names if (value := os.environ.get(name))})
    return values


def load_settings(**overrides: Any) -> Settings:
    """Read the settings (``overrides``, by variable name, over the environment and
    ``.env``); any problem becomes one ConfigError naming the variable."""
    try:
        return Settings(**{**environment_values(), **overrides})
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = str(error["loc"][0]) if error["loc"] else "configuration"
        template = _EXPECTED.get(error["type"])
        ctx = error.get("ctx") or {}
        expected = (
            template.format(**ctx) if template else error["msg"].removeprefix("Value error, ")
        )
        if "input" in error and error["type"] in _EXPECTED:
            expected += f" (got {error['input']!r})"
        raise ConfigError(loc, expected) from None
