"""``debtpulse metrics import|list``: the time series a team tracks, loaded from CSV, and the
metrics debtpulse knows, with how many points each has."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.context import cli_runtime
from bot.cli.options import TeamOption

metrics_app = typer.Typer(
    help="Metrics: the time series the return on debt work is measured in.",
    no_args_is_help=True,
)
_ORIGIN = {"builtin": "built-in", "declared": "declared", "derived": "derived"}


@metrics_app.command("import")
def metrics_import(
    file: Annotated[Path, typer.Argument(help="CSV: metric,scope,value,observed_at,unit.")],
    team: TeamOption = None,
) -> None:
    """Load metric points; one bad row rejects the whole file.

    A point for a metric, scope and time already stored replaces its value.
    """
    from bot.cli.main import _read  # the one reader of input files, loaded already
    from bot.services.metrics_in import import_csv

    runtime = cli_runtime(team)
    text, catalog = _read(file), runtime.metrics
    with runtime.transaction() as session:
        summary = import_csv(
            session, team_id=runtime.default_team, text=text, catalog=catalog, now=runtime.clock()
        )
    typer.echo(f"{file}: {summary}")


@metrics_app.command("list")
def metrics_list(team: TeamOption = None) -> None:
    """The metrics known here: built in, declared in metrics.yaml and derived from signals,
    with which way is better, their unit and how many points each has."""
    from storage import metrics as stored

    runtime = cli_runtime(team)
    catalog = runtime.metrics
    with runtime.reading() as reader:
        points = stored.point_counts(reader, runtime.default_team)
        signals = stored.signal_counts(reader, runtime.default_team)
    rows = [("metric", "direction", "unit", "origin", "points", "description")]
    for metric in catalog:
        if metric.derived:
            count = (
                signals.by_kind.get(metric.signal_kind, 0)
                if metric.signal_kind
                else (signals.ended)
            )
        else:
            count = points.get(metric.name, 0)
        rows.append(
            (
                metric.name,
                metric.direction,
                metric.unit,
                _ORIGIN[metric.origin],
                str(count),
                metric.description,
            )
        )
    for name in sorted(set(points) - {metric.name for metric in catalog}):
        rows.append((name, "?", "?", "undeclared", str(points[name]), "not in metrics.yaml"))
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        typer.echo("  ".join([*cells, row[5]]).rstrip())
    typer.echo(
        f"{runtime.default_team}: a derived metric is read from the signals stored (its "
        "points: their count; for the time to recover, those that say when they ended)"
    )
