"""The ``debtpulse demo`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.errors import check_writable, fail

DEFAULT_CHART = Path("debtpulse-demo-chart.png")


def demo(
    *,
    weeks: Annotated[int, typer.Option(min=1, max=52, help="Simulated weeks.")] = 6,
    team_size: Annotated[
        int, typer.Option(min=5, max=500, help="Simulated engineers answering polls.")
    ] = 25,
    seed: Annotated[int, typer.Option(help="Fixes the team, its hidden pain and answers.")] = 7,
    db: Annotated[
        Path | None,
        typer.Option(help="SQLite file to create (default: a fresh file in a temp folder)."),
    ] = None,
    chart: Annotated[
        Path, typer.Option(help="Where to write the last digest's chart, if it has one.")
    ] = DEFAULT_CHART,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Keep the demo running afterwards and print a lead's dashboard link "
            "(until Ctrl-C).",
        ),
    ] = False,
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="With --serve: the port (0: any free one).")
    ] = 0,
) -> None:
    """The whole loop offline against the local fake Slack: polls, answers, signals, digest."""
    from bot.demo.run import DemoError, DemoOptions, run_demo  # Slack code loads only here

    check_writable(chart, "--chart")
    options = DemoOptions(
        weeks=weeks, team_size=team_size, seed=seed, db=db, chart=chart, serve=serve, port=port
    )
    try:
        run_demo(options, echo=typer.echo)
    except DemoError as exc:
        fail(str(exc))
