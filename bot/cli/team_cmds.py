"""``debtpulse team list|purge|keep``: the workspaces this deployment serves, their state,
and deleting one's data.

``purge`` deletes every row of a workspace in one transaction and leaves a log row (who,
when, how many rows per table); it asks for the workspace id to be typed again (or
``--yes``) and refuses a workspace that is still active unless ``--force``.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime
from typing import Annotated

import typer

from bot.cli.context import cli_runtime
from bot.cli.errors import fail
from bot.cli.options import ActorOption, actor_name

team_app = typer.Typer(
    help="Workspaces: their state (installed, uninstalled), and purging one's data.",
    no_args_is_help=True,
)
TeamArgument = Annotated[
    str, typer.Argument(help="The workspace's Slack team id, e.g. T0123ABCD.", show_default=False)
]
_TEAM_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_COLUMNS = ("team", "name", "state", "installed", "uninstalled", "purge after", "items", "runs")


def _check_team(team: str) -> str:
    team = team.strip()
    if not _TEAM_ID.match(team):
        fail(f"TEAM: {team!r} is not a team id (letters, digits, - and _, at most 32)")
    return team


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "-"


@team_app.command("list")
def list_teams() -> None:
    """Every workspace the database knows, with its state and purge date.

    Its id, name, state, when it was installed and uninstalled, when its data is purged,
    and how many debt items and poll runs it holds."""
    from bot.services.workspaces import PURGED, team_states

    infos = team_states(cli_runtime())
    if not infos:
        typer.echo("no workspaces yet (install the app, or use debtpulse with a bot token)")
        return
    rows = [_COLUMNS]
    for info in infos:
        purge_after = _when(info.purge_after)
        if info.state == PURGED:
            purge_after = f"purged {_when(info.purged_at)}"
        elif info.uninstalled_at is not None and info.purge_after is None:
            purge_after = "kept"
        rows.append(
            (
                info.team,
                info.name or "-",
                info.state,
                _when(info.installed_at),
                _when(info.uninstalled_at),
                purge_after,
                str(info.items),
                str(info.runs),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    for row in rows:
        cells = [
            cell.rjust(width) if i >= 6 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        typer.echo("  ".join(cells).rstrip())


def _confirmed(team: str) -> bool:
    """The workspace id typed again at a terminal; False without a terminal to ask at."""
    if not sys.stdin.isatty():
        return False
    typer.echo(
        f"This deletes every row of workspace {team}: its register, polls, answers, signals, "
        "settings, audit trail and installation. It cannot be undone.",
        err=True,
    )
    typer.echo(f"Type {team} to purge it: ", err=True, nl=False)
    return sys.stdin.readline().strip() == team


@team_app.command("purge")
def purge(
    team: TeamArgument,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask for the team id to be typed again.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Purge even a workspace that is still installed and active."),
    ] = False,
    actor: ActorOption = None,
) -> None:
    """Delete every row of workspace TEAM, in one transaction.

    Its installation included; a log row records who purged it, when, and how many rows per
    table."""
    from bot.services import team_lifecycle

    team = _check_team(team)
    runtime = cli_runtime()
    if not yes and not _confirmed(team):
        fail(
            f"--yes: purging {team} deletes all of its data; confirm with --yes "
            "(or type the team id at a terminal); nothing was deleted"
        )
    try:
        log = team_lifecycle.purge(
            runtime, team, actor=actor_name(actor), reason="debtpulse team purge", force=force
        )
    except team_lifecycle.PurgeRefused as exc:
        fail(f"{exc.option or 'TEAM'}: {exc}; nothing was deleted")
    total = sum(log.counts.values())
    detail = ", ".join(f"{table} {count}" for table, count in log.counts.items())
    typer.echo(
        f"purged {team}: {total} rows from {len(log.counts)} tables"
        + (f" ({detail})" if detail else "")
    )


@team_app.command("keep")
def keep(team: TeamArgument, actor: ActorOption = None) -> None:
    """Keep an uninstalled workspace's data (no automatic purge).

    ``debtpulse team purge`` still deletes it."""
    from bot.services import team_lifecycle

    team = _check_team(team)
    runtime = cli_runtime()
    try:
        team_lifecycle.set_purge_date(
            runtime, team, when=None, actor=actor_name(actor), reason="debtpulse team keep"
        )
    except team_lifecycle.PurgeRefused as exc:
        fail(f"TEAM: {exc}")
    typer.echo(f"{team}'s data is kept: only debtpulse team purge deletes it")
