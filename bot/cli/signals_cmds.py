"""``debtpulse signals token rotate|show``: a workspace's own token for ``POST /api/signals``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from bot.cli.context import cli_runtime
from bot.cli.errors import fail
from bot.cli.options import ActorOption, TeamOption, actor_name

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from bot.services.signal_tokens import TokenInfo

#: The audit trail's actor column holds this many characters.
MAX_ACTOR = 64
token_app = typer.Typer(
    help="Each workspace's own bearer token for POST /api/signals.", no_args_is_help=True
)


def _team(team: str | None) -> Runtime:
    """The runtime of a command on ``--team`` (or the default team), which must be a
    workspace this install serves."""
    from bot.teams import known_teams

    runtime = cli_runtime(team)
    if team is not None:
        known = known_teams(runtime.settings, runtime.engine)
        if team not in known:
            fail(f"--team: no workspace {team!r} here (known: {', '.join(known) or 'none'})")
    return runtime


def _made(info: TokenInfo) -> str:
    return f"{info.shown_hint}, made {info.created_at:%Y-%m-%d %H:%M} UTC by {info.created_by}"


@token_app.command("rotate")
def rotate(team: TeamOption = None, actor: ActorOption = None) -> None:
    """Make the workspace a new signals token, replacing its old one at once.

    The token is printed once, alone on stdout; only its hash is kept.
    """
    from bot.services import signal_tokens

    if actor is not None and not 0 < len(actor.strip()) <= MAX_ACTOR:
        fail(f"--actor: 1 to {MAX_ACTOR} characters expected (got {len(actor.strip())})")
    runtime = _team(team)
    with runtime.transaction() as session:
        issued = signal_tokens.rotate(
            session,
            team_id=runtime.default_team,
            actor=actor_name(actor.strip() if actor else None),
            reason="debtpulse signals token rotate",
            now=runtime.clock(),
        )
    typer.echo(issued.token)
    replaced = issued.replaced
    old = f" The old one, {_made(replaced)}, no longer works." if replaced is not None else ""
    print(
        f"new signals token for {runtime.default_team}, above: it is shown this once "
        f"(only its hash is kept).{old}",
        file=sys.stderr,
    )


@token_app.command("show")
def show(team: TeamOption = None) -> None:
    """Whether the workspace has a signals token, with its hint and date (never the token)."""
    from bot.services import signal_tokens

    runtime = _team(team)
    with runtime.transaction(write=False) as session:
        info = signal_tokens.current(session, team_id=runtime.default_team)
    if info is None:
        typer.echo(
            f"{runtime.default_team}: no signals token of its own "
            "(`debtpulse signals token rotate` makes one)"
        )
        return
    typer.echo(f"{runtime.default_team}: signals token {_made(info)}")
