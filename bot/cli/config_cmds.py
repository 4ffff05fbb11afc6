"""``debtpulse config show|set|unset``: a workspace's own settings (poll channel, digest
channels, leads, time zone, minimum group, debt budget) over the environment's defaults.

``show`` prints each setting with the value in effect and where it comes from; ``set`` and
``unset`` change one, audited, in one transaction. A bad key or value is one line naming
``KEY`` or ``VALUE`` (exit code 2), and nothing is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.context import cli_runtime
from bot.cli.errors import EXIT_CONFIG, fail
from bot.cli.options import ActorOption, TeamOption, actor_name

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from bot.services.team_settings import Change

#: The audit trail's actor column holds this many characters.
MAX_ACTOR = 64
config_app = typer.Typer(
    help="Each workspace's own settings, over the environment's defaults.",
    no_args_is_help=True,
)
KeyArgument = Annotated[
    str,
    typer.Argument(
        help="poll_channel, digest_channels, leads, timezone, min_group or debt_budget.",
        show_default=False,
    ),
]


def _runtime(team: str | None) -> Runtime:
    """The runtime on ``--team`` (or the default team), a workspace this install serves."""
    from bot.teams import known_teams

    runtime = cli_runtime(team)
    if team is not None:
        known = known_teams(runtime.settings, runtime.engine)
        if team not in known:
            fail(f"--team: no workspace {team!r} here (known: {', '.join(known) or 'none'})")
    return runtime


def _actor(actor: str | None) -> str:
    if actor is not None and not 0 < len(actor.strip()) <= MAX_ACTOR:
        fail(f"--actor: 1 to {MAX_ACTOR} characters expected (got {len(actor.strip())})")
    return actor_name(actor.strip() if actor else None)


def shown_value(key: str, value: Any) -> str:
    """A setting's value as the terminal shows it."""
    if value is None or value == []:
        return "(none)"
    if isinstance(value, list):
        return ",".join(str(part) for part in value)
    if key == "debt_budget":
        return f"{value:.4g} ({value * 100:.4g}% of a sprint)"
    return str(value)


def _key(key: str) -> str:
    from bot.services.team_settings import KEYS

    name = key.strip().lower()
    if name not in KEYS:
        fail(f"KEY: {key!r} is not a setting (one of {', '.join(KEYS)})", EXIT_CONFIG)
    return name


@config_app.command("show")
def show(team: TeamOption = None) -> None:
    """Every setting of the workspace: its value, and whether the team set it (by whom,
    when), it is the deployment's default, or (leads) the user who installed the app."""
    from bot.services import team_settings

    runtime = _runtime(team)
    workspace = runtime.default_team
    typer.echo(f"settings of {workspace}:")
    for item in team_settings.show(runtime, workspace):
        if item.source == "team" and item.changed_at is not None:
            source = f"team: set by {item.changed_by} {item.changed_at:%Y-%m-%d %H:%M} UTC"
        elif item.source == "installer":
            source = "installer: the user who installed the app"
        else:
            source = f"default ({team_settings.origin(runtime, item.key)})"
        typer.echo(f"  {item.key:<16} {shown_value(item.key, item.value):<28} {source}")


def _said(workspace: str, change: Change, runtime: Runtime) -> str:
    from bot.services import team_settings

    now = {item.key: item for item in team_settings.show(runtime, workspace)}[change.key]
    value = shown_value(change.key, now.value)
    if not change.changed:
        if change.after is None:
            return f"{workspace} has no {change.key} of its own; nothing was changed"
        return f"{change.key} of {workspace} is {value} already; nothing was changed"
    if change.after is None:
        return f"{change.key} of {workspace}: its own value removed; now {value} ({now.source})"
    was = "the default" if change.before is None else shown_value(change.key, change.before)
    return f"{change.key} of {workspace} is now {value} (was {was})"


@config_app.command("set")
def set_(
    key: KeyArgument,
    value: Annotated[
        str,
        typer.Argument(
            help="Channel or user ids (comma-separated for several), a time zone name, a "
            "number, or a share like 0.15 or 15%.",
            show_default=False,
        ),
    ],
    team: TeamOption = None,
    actor: ActorOption = None,
) -> None:
    """Give the workspace its own value of KEY (audited); the default no longer applies."""
    from bot.services import team_settings

    name, who = _key(key), _actor(actor)
    runtime = _runtime(team)
    workspace = runtime.default_team
    try:
        change = team_settings.set_value(
            runtime, workspace, name, value, actor=who, reason="debtpulse config set"
        )
    except team_settings.SettingRefused as exc:
        fail(f"{exc.argument}: {exc}; nothing was changed", EXIT_CONFIG)
    typer.echo(_said(workspace, change, runtime))


@config_app.command("unset")
def unset(key: KeyArgument, team: TeamOption = None, actor: ActorOption = None) -> None:
    """Drop the workspace's own value of KEY (audited): the default applies again."""
    from bot.services import team_settings

    name, who = _key(key), _actor(actor)
    runtime = _runtime(team)
    workspace = runtime.default_team
    change = team_settings.unset_value(
        runtime, workspace, name, actor=who, reason="debtpulse config unset"
    )
    typer.echo(_said(workspace, change, runtime))
