"""``debtpulse signals token rotate|show``: a workspace's own token for ``POST /api/signals``;
``debtpulse signals inbox [route|ignore]``: the webhook signals no item claimed."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.context import cli_runtime
from bot.cli.errors import fail
from bot.cli.options import ActorOption, TeamOption, actor_name

if TYPE_CHECKING:
    from sqlmodel import Session

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


inbox_app = typer.Typer(
    help="Webhook signals no item claimed, by group: list them (no subcommand), route a "
    "group to an item, or ignore it.",
    invoke_without_command=True,
)
GroupArgument = Annotated[
    str, typer.Argument(help="The group: its handle as the list shows it, or its whole key.")
]


def _actor(actor: str | None) -> str:
    if actor is not None and not 0 < len(actor.strip()) <= MAX_ACTOR:
        fail(f"--actor: 1 to {MAX_ACTOR} characters expected (got {len(actor.strip())})")
    return actor_name(actor.strip() if actor else None)


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M}"


@inbox_app.callback()
def inbox_list(ctx: typer.Context, team: TeamOption = None) -> None:
    """List the groups of webhook signals waiting in the inbox, the largest first."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = team  # `signals inbox --team T route …` is the subcommand's team too
        return
    from bot.services import inbox

    runtime = _team(team)
    with runtime.transaction(write=False) as session:
        groups = inbox.pending_groups(session, runtime.default_team)
    if not groups:
        typer.echo(f"{runtime.default_team}: the signals inbox is empty")
        return
    total = sum(group.count for group in groups)
    typer.echo(
        f"{runtime.default_team}: {total} signal{'' if total == 1 else 's'} in "
        f"{len(groups)} group{'' if len(groups) == 1 else 's'} wait in the signals inbox"
    )
    for group in groups:
        count = f"{group.count} signal{'' if group.count == 1 else 's'}"
        if group.suggestions:
            count += f" ({group.suggestions} suggested)"
        typer.echo(f"{group.handle}  {group.key}")
        indent = " " * (len(group.handle) + 2)
        typer.echo(
            f"{indent}{count}, first seen {_when(group.first_seen)}, "
            f"last {_when(group.last_seen)} UTC"
        )
        if group.shared:
            typer.echo(f"{indent}shared: " + ", ".join(f"{n}={v}" for n, v in group.shared))
        if group.title:
            typer.echo(f"{indent}e.g. {group.title}" + (f"  {group.url}" if group.url else ""))
    typer.echo(
        "route a group: debtpulse signals inbox route GROUP KEY [--save-rule]; "
        "ignore one: debtpulse signals inbox ignore GROUP"
    )


def _group_of(session: Session, runtime: Runtime, given: str) -> str:
    """The key of the waiting group ``given`` names (its handle or key), or a failure."""
    from bot.services import inbox

    group = inbox.find_group(session, runtime.default_team, given)
    if group is None:
        fail(
            f"GROUP: no group {given!r} waits in the signals inbox of {runtime.default_team} "
            "(`debtpulse signals inbox` lists them)"
        )
    return group.key


@inbox_app.command("route")
def inbox_route(
    ctx: typer.Context,
    group: GroupArgument,
    key: Annotated[str, typer.Argument(help="The debt item to route it to, e.g. DEBT-7.")],
    *,
    save_rule: Annotated[
        bool,
        typer.Option("--save-rule", help="Also save the group's match as a routing rule."),
    ] = False,
    team: TeamOption = None,
    actor: ActorOption = None,
) -> None:
    """Route a group's waiting signals to an item; each counts from when it was observed."""
    from bot.services import inbox

    who = _actor(actor)
    runtime = _team(team or ctx.obj)
    try:
        with runtime.transaction() as session:
            routed = inbox.route_group(
                session,
                runtime.default_team,
                _group_of(session, runtime, group),
                key,
                save_rule=save_rule,
                actor=who,
                now=runtime.clock(),
            )
    except inbox.InboxRefused as refused:
        fail(f"{refused.argument}: {refused.message}; nothing was changed")
    count = f"{routed.signals} signal{'' if routed.signals == 1 else 's'}"
    known = routed.signals - routed.stored
    typer.echo(
        f"routed {count} of {routed.group} to {routed.debt_key}; each counts from when it "
        "was observed" + (f" ({known} the item had already)" if known else "")
    )
    if routed.rule is not None:
        shown = ", ".join(f"{n}={v}" for n, v in routed.rule.match.items())
        was = f" (it routed to {routed.replaced} before)" if routed.replaced else ""
        typer.echo(f"saved a rule: signals matching {shown} go to {routed.debt_key}{was}")


@inbox_app.command("ignore")
def inbox_ignore(
    ctx: typer.Context, group: GroupArgument, team: TeamOption = None, actor: ActorOption = None
) -> None:
    """Take a group's waiting signals out of the inbox; they count for no item."""
    from bot.services import inbox

    who = _actor(actor)
    runtime = _team(team or ctx.obj)
    try:
        with runtime.transaction() as session:
            ignored = inbox.ignore_group(
                session,
                runtime.default_team,
                _group_of(session, runtime, group),
                actor=who,
                now=runtime.clock(),
            )
    except inbox.InboxRefused as refused:
        fail(f"{refused.argument}: {refused.message}; nothing was changed")
    count = f"{ignored.signals} signal{'' if ignored.signals == 1 else 's'}"
    typer.echo(f"ignored {count} of {ignored.group}: they count for no item")
