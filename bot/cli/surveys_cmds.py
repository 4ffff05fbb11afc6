"""``debtpulse surveys check``: validate a templates folder, or one file, before a restart."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.context import cli_runtime
from bot.cli.errors import fail

if TYPE_CHECKING:
    from surveys import TemplateError

# Every DEBTPULSE_MIN_GROUP is accepted here; weights.yaml may not set it (its own rule).
_ANY_MIN_GROUP = 5


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _weights_problems(directory: Path) -> list[TemplateError]:
    from bot.core.weights_file import load_weights
    from surveys import TemplateErrors

    try:
        load_weights(directory, min_group=_ANY_MIN_GROUP)
    except TemplateErrors as exc:
        return list(exc.errors)
    return []


def _report(problems: list[TemplateError], where: Path) -> None:
    if problems:
        for problem in problems:
            typer.echo(str(problem), err=True)
        fail(f"{_plural(len(problems), 'problem')} in {where}")


def _check_file(path: Path) -> None:
    from bot.core.weights_file import WEIGHTS_FILE
    from surveys import TemplateErrors, load_file
    from surveys.check import metrics_problems, routes_problems
    from surveys.metrics_file import METRICS_FILE
    from surveys.routes_file import ROUTES_FILE

    if path.name == WEIGHTS_FILE:
        _report(_weights_problems(path.parent), path)
        typer.echo(f"ok  weights  ({path.name})")
        typer.echo(f"{path}: no problems")
        return
    if path.name == METRICS_FILE:
        _report(metrics_problems(path.parent), path)
        _echo_metrics(path.parent)
        typer.echo(f"{path}: no problems")
        return
    if path.name == ROUTES_FILE:
        _report(routes_problems(path.parent), path)
        _echo_routes(path.parent)
        typer.echo(f"{path}: no problems")
        return
    try:
        loaded = load_file(path)
    except TemplateErrors as exc:
        _report(list(exc.errors), path)
        return
    typer.echo(f"ok  {loaded.kind:<6}  {loaded.id}  ({loaded.path.name})")
    typer.echo(f"{path}: no problems (ids shared with other files are checked per folder)")


def _echo_metrics(directory: Path) -> None:
    """One line per metric declared in ``directory/metrics.yaml`` (already checked)."""
    from surveys.metrics_file import METRICS_FILE, load_metrics

    if not (directory / METRICS_FILE).is_file():
        return
    for metric in load_metrics(directory).declared:
        typer.echo(
            f"ok  metric  {metric.name}  ({METRICS_FILE}: {metric.direction} is better, "
            f"{metric.unit})"
        )


def _echo_routes(directory: Path) -> None:
    """One line per route of ``directory/routes.yaml`` (already checked)."""
    from surveys.routes_file import ROUTES_FILE, load_routes

    for route in load_routes(directory):
        shown = ", ".join(f"{name}={pattern}" for name, pattern in route.match.items())
        typer.echo(f"ok  route   {ROUTES_FILE}:{route.line}  {shown} -> {route.to}")


def surveys_check(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="A templates folder, or one template file "
            "(default: DEBTPULSE_SURVEYS_DIR or the built-ins).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Validate templates, weights.yaml, metrics.yaml and routes.yaml; list every problem
    as file:line: field: message."""
    from surveys import builtin_dir, check, load_directory

    if path is not None and path.is_file():
        _check_file(path)
        return
    if path is None:
        path = cli_runtime().settings.surveys_dir or builtin_dir()
    elif not path.is_dir():
        fail(f"PATH: cannot read {path} (no such file or directory)")
    _report([*check(path), *_weights_problems(path)], path)
    templates = load_directory(path).templates
    for loaded in templates.values():
        typer.echo(f"ok  {loaded.kind:<6}  {loaded.id}  ({loaded.path.name})")
    _echo_metrics(path)
    _echo_routes(path)
    typer.echo(f"{_plural(len(templates), 'template')} in {path}: no problems")
