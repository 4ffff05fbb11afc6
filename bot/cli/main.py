"""The ``debtpulse`` command line."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.context import CliContext
from bot.cli.errors import fail, guarded
from bot.core import register as register_service
from bot.core.register_csv import parse_register
from bot.core.signals_in import parse_jsonl, store_signals
from storage import db
from storage.types import utcnow

app = typer.Typer(
    help="debtpulse: measure how much technical debt hurts, and rank what to fix first.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
debt_app = typer.Typer(help="The debt register.", no_args_is_help=True)
signals_app = typer.Typer(
    help="Automated signals (incidents, alerts, drift).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(debt_app, name="debt")
app.add_typer(signals_app, name="signals")

TeamOption = Annotated[
    str | None,
    typer.Option("--team", help="Slack team id (default: the token's workspace, or 'local')."),
]
ActorOption = Annotated[
    str | None, typer.Option("--actor", help="Who makes the change, for the audit trail.")
]


def _actor(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text")
    except OSError as exc:
        fail(f"{path}: {exc.strerror}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations up to the newest."""
    ctx = CliContext()
    before, after = db.upgrade(ctx.raw_engine)
    if before == after:
        typer.echo(f"database already at the newest revision ({after})")
    else:
        typer.echo(f"database upgraded from {before or 'empty'} to {after}")


@debt_app.command("import")
def debt_import(
    file: Annotated[Path, typer.Argument(help="CSV file in the register layout.")],
    team: TeamOption = None,
    actor: ActorOption = None,
) -> None:
    """Upsert debt items from CSV by key; one bad row rejects the whole file."""
    ctx = CliContext(team)
    rows = parse_register(_read(file))
    with db.session_scope(ctx.engine) as session:
        summary = register_service.import_register(
            session,
            team_id=ctx.team,
            rows=rows,
            actor=_actor(actor),
            reason=f"imported from {file.name}",
            now=utcnow(),
        )
    typer.echo(f"{file}: {summary}")


@debt_app.command("export")
def debt_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    team: TeamOption = None,
) -> None:
    """Write the register as CSV (the import layout)."""
    ctx = CliContext(team)
    with db.session_scope(ctx.engine, write=False) as session:
        text = register_service.export_register(session, team_id=ctx.team)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")


@signals_app.command("import")
def signals_import(
    file: Annotated[Path, typer.Argument(help="JSONL file, one signal object per line.")],
    team: TeamOption = None,
) -> None:
    """Load automated signals; duplicates (same dedup_key) are skipped."""
    ctx = CliContext(team)
    items = parse_jsonl(_read(file))
    with db.session_scope(ctx.engine) as session:
        summary = store_signals(session, team_id=ctx.team, items=items, now=utcnow())
    typer.echo(f"{file}: {summary}")


def run() -> None:
    """Console-script entry point."""
    guarded(app)
