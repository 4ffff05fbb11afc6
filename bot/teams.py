"""Which team (Slack workspace) the CLI and the web process work on — DESIGN §3 "Teams"."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.config import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.config import Settings

LOCAL_TEAM = "local"


class TeamError(Exception):
    """The team could not be determined; the message says what to do.

    ``reason`` is the message without the advice to pass ``--team``, for places that have
    no such option (opening a poll, posting the digest).
    """

    def __init__(self, reason: str, advice: str = "; pass --team") -> None:
        self.reason = reason
        super().__init__(reason + advice)


def resolve_team(
    settings: Settings, engine: Engine | Callable[[], Engine], option: str | None
) -> str:
    """``--team`` if given; else the bot token's workspace; else the only installed team;
    else ``local`` when Slack is not configured at all.

    ``engine``: the database's, or a function opening it, called only when the installed
    teams must be read (a command given ``--team`` opens no database for it).
    """
    if option:
        return option
    if settings.oauth_enabled:
        return _only_installed_team(engine() if callable(engine) else engine)
    if settings.slack_bot_token is not None:
        return _token_team(settings)
    return LOCAL_TEAM


def known_teams(settings: Settings, engine: Engine) -> list[str]:
    """The workspaces this install serves, sorted: the installed ones (OAuth), the bot
    token's workspace (asked of Slack), or ``local`` when Slack is not configured at all."""
    from storage import installations

    teams = set(installations.installed_teams(engine))
    if not settings.oauth_enabled:
        teams.add(_token_team(settings) if settings.slack_bot_token is not None else LOCAL_TEAM)
    return sorted(teams)


def _token_team(settings: Settings) -> str:
    from slack_sdk.errors import SlackApiError

    from bot.slack.client import make_client  # slack_sdk loads only when a token is set

    assert settings.slack_bot_token is not None
    client = make_client(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    try:
        team = client.auth_test().get("team_id")
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown error")
        raise ConfigError("SLACK_BOT_TOKEN", f"Slack refused the token ({error})") from None
    except OSError as exc:
        raise TeamError(
            f"could not reach Slack to find the token's workspace ({exc.__class__.__name__})"
        ) from None
    if not isinstance(team, str) or not team:
        raise TeamError("Slack's auth.test named no team")
    return team


def _only_installed_team(engine: Engine) -> str:
    from storage import installations

    teams = installations.installed_teams(engine)
    if not teams:
        raise TeamError("no workspace is installed yet", ": install the app or pass --team")
    if len(teams) > 1:
        raise TeamError(f"several workspaces are installed ({', '.join(teams)})", ": pass --team")
    return teams[0]
