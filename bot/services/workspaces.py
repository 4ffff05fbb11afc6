"""The workspaces a deployment serves, and a runtime for each: its settings and its token.

A workspace is active unless it uninstalled the app or lost its token (``team_state``,
recorded by the ``app_uninstalled`` and ``tokens_revoked`` events): then all of its work
stops. With OAuth the active ones are the installed ones; with a single-workspace token it
is that token's workspace (``local`` without Slack). An install newer than the uninstall
(OAuth), or another token in ``SLACK_BOT_TOKEN`` than the one that was uninstalled, is a
re-install: the workspace is active again even if the install's own record of it failed.

:func:`team_runtime` is what a team's scheduled or manual work runs with: its effective
settings (``team_settings``) and its own bot token — from the installation store, refreshed
first when it expires soon (``bot_tokens``) — or ``SLACK_BOT_TOKEN`` without OAuth.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.services import bot_tokens, team_settings
from bot.services.bot_tokens import WorkspaceUnavailable
from storage import installations as stored_installs
from storage import purge, team_state
from storage.models import TeamLifecycle

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.runtime import Runtime
    from storage.models import TeamState

__all__ = [
    "Installed",
    "TeamInfo",
    "WorkspaceGone",
    "WorkspaceUnavailable",
    "active_teams",
    "effective_state",
    "team_runtime",
    "team_states",
    "token_fingerprint",
]

ACTIVE = TeamLifecycle.active.value
PURGED = "purged"


class WorkspaceGone(WorkspaceUnavailable):
    """The workspace uninstalled the app or lost its token: its work stopped."""

    def __init__(self, team: str, state: str, since: datetime | None) -> None:
        self.state = state
        when = f" on {since:%Y-%m-%d %H:%M} UTC" if since is not None else ""
        what = "uninstalled the app" if state == "uninstalled" else "had its bot token revoked"
        super().__init__(
            team,
            f"workspace {team} {what}{when}: its work stopped until the app is installed again",
        )


@dataclass(frozen=True)
class Installed:
    """A workspace's newest OAuth install, as slack_sdk's installation store keeps it."""

    name: str | None
    installed_at: datetime


@dataclass(frozen=True)
class TeamInfo:
    """One line of ``debtpulse team list``."""

    team: str
    name: str | None
    state: str
    """active, tokens_revoked, uninstalled or purged."""
    installed_at: datetime | None
    uninstalled_at: datetime | None
    purge_after: datetime | None
    purged_at: datetime | None
    items: int
    runs: int


def token_fingerprint(token: SecretStr | str | None) -> str | None:
    """A short SHA-256 of a bot token: tells one token from another, reveals neither."""
    if token is None:
        return None
    raw = token.get_secret_value() if isinstance(token, SecretStr) else token
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def effective_state(
    row: TeamState | None,
    *,
    installed: Installed | None = None,
    token: SecretStr | None = None,
) -> str:
    """A workspace's state as its work sees it: its recorded state, unless the app was
    installed again since (an install newer than the uninstall; another token than the one
    that was uninstalled)."""
    if row is None or row.state == ACTIVE:
        return ACTIVE
    installed_again = (
        installed is not None
        and row.uninstalled_at is not None
        and installed.installed_at > row.uninstalled_at
    )
    new_token = (
        row.gone_token is not None
        and token is not None
        and token_fingerprint(token) != row.gone_token
    )
    return ACTIVE if installed_again or new_token else row.state


def installations(session: Session, *, team: str | None = None) -> dict[str, Installed]:
    """Each OAuth-installed workspace's newest install (``team``'s only, when given)."""
    return {
        team_id: Installed(name, at)
        for team_id, (name, at) in stored_installs.newest_installs(session, team=team).items()
    }


def _token_team(runtime: Runtime) -> str:
    """The single-workspace token's workspace (or ``local``), as the process resolved it."""
    if runtime.team_option is None:
        return runtime.posting_team()
    from bot.teams import resolve_team

    return resolve_team(runtime.settings, runtime.engine, None)


def active_teams(runtime: Runtime) -> list[str]:
    """The teams whose polls and digests run, sorted: installed (OAuth) or the token's
    workspace, and not uninstalled or revoked since. Raises LookupError when the token's
    workspace cannot be told (Slack unreachable for ``auth.test``)."""
    with runtime.transaction(write=False) as session:
        states = {row.team_id: row for row in team_state.all_states(session)}
        installed = installations(session) if runtime.settings.oauth_enabled else {}
    if runtime.settings.oauth_enabled:
        return sorted(
            team
            for team, install in installed.items()
            if effective_state(states.get(team), installed=install) == ACTIVE
        )
    team = _token_team(runtime)
    token = runtime.settings.slack_bot_token
    return [team] if effective_state(states.get(team), token=token) == ACTIVE else []


def team_runtime(runtime: Runtime, team: str) -> Runtime:
    """``runtime`` for ``team``: its effective settings, with its own bot token (OAuth,
    refreshed first when it expires within ``bot_tokens.ROTATE_BEFORE_MINUTES``), or
    ``SLACK_BOT_TOKEN`` without OAuth.

    Raises WorkspaceGone for a team that uninstalled the app or lost its token, and
    WorkspaceUnavailable (a LookupError) when it has no installation or its token could not
    be refreshed; the message says what to do. Call it outside a transaction: a refresh
    saves the new token in transactions of its own.
    """
    settings = team_settings.effective(runtime, team)
    with runtime.transaction(write=False) as session:
        row = team_state.of_team(session, team_id=team)
        installed = installations(session, team=team).get(team) if settings.oauth_enabled else None
    state = effective_state(row, installed=installed, token=settings.slack_bot_token)
    if state != ACTIVE:
        assert row is not None
        raise WorkspaceGone(team, state, row.uninstalled_at)
    if settings.oauth_enabled:
        token = bot_tokens.installed_bot_token(runtime, team)
        settings = settings.model_copy(update={"slack_bot_token": SecretStr(token)})
    return runtime.for_team(team, settings=settings)


def team_states(runtime: Runtime) -> list[TeamInfo]:
    """Every workspace the database knows — installed, recorded, holding items or runs, or
    purged — with its state, dates and how many items and runs it holds, sorted by id."""
    token = None if runtime.settings.oauth_enabled else runtime.settings.slack_bot_token
    with runtime.transaction(write=False) as session:
        states = {row.team_id: row for row in team_state.all_states(session)}
        installed = installations(session)
        counts = team_state.row_counts(session)
        purged: dict[str, datetime] = {}
        for log in reversed(purge.purges(session)):
            purged[log.team_id] = log.purged_at
    infos = []
    for team in sorted(set(states) | set(installed) | set(counts) | set(purged)):
        row, install = states.get(team), installed.get(team)
        items, runs = counts.get(team, (0, 0))
        state = effective_state(row, installed=install, token=token)
        gone = row is not None and state != ACTIVE
        if row is None and install is None and not items and not runs and team in purged:
            state = PURGED
        infos.append(
            TeamInfo(
                team=team,
                name=install.name if install is not None else None,
                state=state,
                installed_at=install.installed_at
                if install is not None
                else (row.installed_at if row is not None else None),
                uninstalled_at=row.uninstalled_at if gone and row is not None else None,
                purge_after=row.purge_after if gone and row is not None else None,
                purged_at=purged.get(team),
                items=items,
                runs=runs,
            )
        )
    return infos
