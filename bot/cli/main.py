"""The ``debtpulse`` command line.

Each command imports what it needs when it runs, so ``debtpulse --help`` loads no database,
template or Slack code, and a command pays only for its own (``bench/startup.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli import (
    config_cmds,
    digest_cmds,
    integrations_cmds,
    metrics_cmds,
    ranking_cmds,
    roi_cmds,
    serve_cmds,
    signals_cmds,
    surveys_cmds,
    team_cmds,
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
signals_app.add_typer(signals_cmds.inbox_app, name="inbox")
app.add_typer(metrics_cmds.metrics_app, name="metrics")
app.add_typer(integrations_cmds.integrations_app, name="integrations")
app.add_typer(team_cmds.team_app, name="team")
app.add_typer(config_cmds.config_app, name="config")
app.add_typer(poll_app, name="poll")
digest_app = typer.Typer(help="The weekly digest.", no_args_is_help=True)
app.add_typer(digest_app, name="digest")
digest_app.command("preview")(digest_cmds.preview)
digest_app.command("post")(digest_cmds.post)
app.command("top")(ranking_cmds.top)
app.command("why")(ranking_cmds.why)
app.command("snapshot")(ranking_cmds.snapshot)
app.command("capacity")(ranking_cmds.capacity)
app.command("roi")(roi_cmds.roi)
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
    from datetime import UTC, tzinfo

    from bot.services import register as register_service
    from bot.services.register_csv import parse_register

    runtime = cli_runtime(team)
    rows = parse_register(_read(file))
    zone: tzinfo = UTC
    if any(row.resolved_on or row.accepted_until for _, row in rows):
        from bot.services import reviews  # days are the team's: its templates tell its zone

        zone = reviews.team_zone(runtime)
    with runtime.transaction() as session:
        summary = register_service.import_register(
            session,
            team_id=runtime.default_team,
            rows=rows,
            actor=actor_name(actor),
            reason=f"imported from {file.name}",
            now=runtime.clock(),
            zone=zone,
        )
    typer.echo(f"{file}: {summary}")


@debt_app.command("status")
def debt_status(
    key: Annotated[str, typer.Argument(help="The item's key, e.g. DEBT-12.")],
    status: Annotated[
        str, typer.Argument(help="open, in_progress, resolved, wont_fix or accepted.")
    ],
    *,
    effort: Annotated[
        str | None,
        typer.Option(help="With resolved: what the fix cost, e.g. 3d, 4h (8 h a day), 2w."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="With accepted (required): the review date, YYYY-MM-DD, after today."),
    ] = None,
    why: Annotated[
        str, typer.Option(help="Why, for the audit trail (required with accepted).")
    ] = "",
    team: TeamOption = None,
    actor: ActorOption = None,
) -> None:
    """Set an item's status; accepted items leave the ranking until their review date."""
    from bot.core.records import STATUSES
    from bot.core.register_input import effort_text, parse_day, parse_effort
    from bot.services import register as register_service
    from bot.services import reviews

    status = status.lower()
    if status not in STATUSES:
        fail(f"STATUS: {status!r} is not a status ({', '.join(STATUSES)})")
    try:
        effort_days = parse_effort(effort) if effort is not None else None
    except ValueError as exc:
        fail(f"--effort: {exc}")
    try:
        accepted_until = parse_day(until) if until is not None else None
    except ValueError as exc:
        fail(f"--until: {exc}")
    runtime = cli_runtime(team)
    key = key.upper()
    try:
        with runtime.transaction() as session:
            change = register_service.set_status(
                session,
                team_id=runtime.default_team,
                key=key,
                status=status,
                why=why.strip(),
                command="debtpulse debt status",
                actor=actor_name(actor),
                now=runtime.clock(),
                zone=reviews.team_zone(runtime),
                effort_days=effort_days,
                accepted_until=accepted_until,
            )
    except register_service.StatusRefused as exc:
        fail(f"--{exc.field}: {exc.message}; nothing was changed")
    if change is None:
        fail(f"KEY: no debt item {key} in team {runtime.default_team}")
    if change.outcome == "unchanged":
        typer.echo(f"{key} already has status {status}")
    elif accepted_until is not None:
        typer.echo(f"{key} accepted until {accepted_until}: it leaves the ranking until then")
    elif effort_days is not None and change.status_changed:
        typer.echo(f"{key} resolved (effort {effort_text(effort_days)})")
    elif effort_days is not None:
        typer.echo(f"{key} is resolved already; its effort is now {effort_text(effort_days)}")
    else:
        typer.echo(f"{key} status is now {status}")


@debt_app.command("export")
def debt_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    team: TeamOption = None,
) -> None:
    """Write the register as CSV (the import layout)."""
    from bot.services import register as register_service
    from bot.services import reviews

    if output is not None:
        check_writable(output, "--output")
    runtime = cli_runtime(team)
    with runtime.transaction(write=False) as session:
        text = register_service.export_register(
            session, team_id=runtime.default_team, zone=reviews.team_zone(runtime, strict=False)
        )
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
    team: TeamOption = None,
) -> None:
    """Open a run of SURVEY_ID now and deliver it (once per minute's slot), in the workspace
    of --team (with its own token and channels)."""
    from bot.services import poll_jobs, poll_report

    runtime = digest_cmds.posting_runtime(team)
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
