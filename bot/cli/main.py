"""The ``debtpulse`` command line.

Each command imports what it needs when it runs, so ``debtpulse --help`` loads no database,
template or Slack code, and a command pays only for its own (``bench/startup.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli import (
    digest_cmds,
    ranking_cmds,
    serve_cmds,
    signals_cmds,
    surveys_cmds,
    worker_cmds,
)
from bot.cli.context import cli_runtime
from bot.cli.demo_cmds import demo as demo_command
from bot.cli.errors import check_writable, fail, guarded, write_file
from bot.cli.options import ActorOption, TeamOption, actor_name

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
poll_app = typer.Typer(help="Poll runs.", no_args_is_help=True)
surveys_app = typer.Typer(help="Survey and digest templates.", no_args_is_help=True)
responses_app = typer.Typer(help="Poll answers.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(surveys_app, name="surveys")
surveys_app.command("check")(surveys_cmds.surveys_check)
app.add_typer(debt_app, name="debt")
app.add_typer(responses_app, name="responses")
app.add_typer(signals_app, name="signals")
signals_app.add_typer(signals_cmds.token_app, name="token")
app.add_typer(poll_app, name="poll")
digest_app = typer.Typer(help="The weekly digest.", no_args_is_help=True)
app.add_typer(digest_app, name="digest")
digest_app.command("preview")(digest_cmds.preview)
digest_app.command("post")(digest_cmds.post)
app.command("top")(ranking_cmds.top)
app.command("why")(ranking_cmds.why)
app.command("snapshot")(ranking_cmds.snapshot)
app.command("capacity")(ranking_cmds.capacity)
app.command("serve")(serve_cmds.serve)
app.command("socket")(worker_cmds.socket)
app.command("worker")(worker_cmds.worker)
app.command("run")(worker_cmds.run)
app.command("demo")(demo_command)


def _read(path: Path, argument: str = "FILE") -> str:
    """The text of ``path``; a failure is one line naming ``argument``."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"{argument}: cannot read {path} (no such file)")
    except UnicodeDecodeError:
        fail(f"{argument}: cannot read {path} (not UTF-8 text)")
    except OSError as exc:
        fail(f"{argument}: cannot read {path} ({exc.strerror or exc.__class__.__name__})")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations up to the newest."""
    from storage import db

    runtime = cli_runtime()
    before, after = db.upgrade(runtime.raw_engine, anon_secret=runtime.anon_secret)
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
    from bot.services import register as register_service
    from bot.services.register_csv import parse_register

    runtime = cli_runtime(team)
    rows = parse_register(_read(file))
    with runtime.transaction() as session:
        summary = register_service.import_register(
            session,
            team_id=runtime.default_team,
            rows=rows,
            actor=actor_name(actor),
            reason=f"imported from {file.name}",
            now=runtime.clock(),
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
    from bot.services import register as register_service

    if output is not None:
        check_writable(output, "--output")
    runtime = cli_runtime(team)
    with runtime.transaction(write=False) as session:
        text = register_service.export_register(session, team_id=runtime.default_team)
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_file(output, text.encode("utf-8"), "--output")
        typer.echo(f"wrote {output}")


@responses_app.command("import")
def responses_import(
    file: Annotated[Path, typer.Argument(help="CSV: survey_id,run_date,respondent,…")],
    team: TeamOption = None,
) -> None:
    """Load answers collected elsewhere; one bad row rejects the whole file."""
    from bot.services.responses_csv import parse_responses, store_responses

    runtime = cli_runtime(team)
    catalog = runtime.catalog
    secret = runtime.anon_secret
    rows = parse_responses(
        _read(file),
        catalog=catalog,
        anon_secret_set=secret is not None,
        # the importer's own (local) date: a run date after it is refused
        today=runtime.clock().astimezone().date(),
    )
    with runtime.transaction() as session:
        summary = store_responses(
            session,
            team_id=runtime.default_team,
            rows=rows,
            anon_secret=secret,
            settings=runtime.score_settings,
        )
    typer.echo(f"{file}: {summary}")


@signals_app.command("import")
def signals_import(
    file: Annotated[Path, typer.Argument(help="JSONL file, one signal object per line.")],
    team: TeamOption = None,
) -> None:
    """Load automated signals; duplicates (same dedup_key) are skipped."""
    from bot.services.signals_in import parse_jsonl, store_signals

    runtime = cli_runtime(team)
    items = parse_jsonl(_read(file))
    with runtime.transaction() as session:
        summary = store_signals(
            session, team_id=runtime.default_team, items=items, now=runtime.clock()
        )
    typer.echo(f"{file}: {summary}")


@poll_app.command("send")
def poll_send(
    survey_id: Annotated[str, typer.Argument(help="The survey's id, e.g. weekly-debt-pulse.")],
) -> None:
    """Open a run of SURVEY_ID now and deliver it (once per minute's slot)."""
    from bot.services import poll_jobs, poll_report

    runtime = serve_cmds.make_runtime(cli_runtime().settings)
    if survey_id not in runtime.catalog or runtime.catalog[survey_id].survey is None:
        known = ", ".join(sorted(t.id for t in runtime.catalog.values() if t.survey))
        fail(f"survey_id: no survey {survey_id!r} (known: {known})")
    try:
        run_id = poll_jobs.open_poll(
            runtime, survey_id, poll_jobs.manual_slot(runtime.clock()), source="manual"
        )
    except LookupError as exc:
        fail(str(exc.args[0]))
    if run_id is None:
        fail(f"{survey_id} was opened this minute already; nothing was sent")
    reached = poll_report.reach(runtime, run_id)
    said = poll_report.describe_open(survey_id, run_id, reached)
    said = said[0].lower() + said[1:]
    if not reached.complete:
        fail(said)
    typer.echo(said)


def run() -> None:
    """Console-script entry point."""
    guarded(app)
