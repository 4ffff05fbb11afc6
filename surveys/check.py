"""``debtpulse surveys check``: validate a directory of templates without running anything."""

from __future__ import annotations

from pathlib import Path

from surveys.loader import TemplateError, TemplateErrors, builtin_dir, load_directory
from surveys.metrics_file import load_metrics
from surveys.routes_file import load_routes

__all__ = ["check", "metrics_problems", "routes_problems"]


def check(directory: Path | None = None) -> list[TemplateError]:
    """Every problem in the templates of ``directory`` (``None``: the built-in library).

    An empty list means every template is valid. A directory without any template is a
    problem too, since debtpulse would have nothing to run. The metrics declared beside the
    templates (``metrics.yaml``) and the routes of webhook signals (``routes.yaml``) are
    checked too.
    """
    target = builtin_dir() if directory is None else Path(directory)
    result = load_directory(target)
    errors = list(result.errors)
    if not errors and not result.templates:
        errors.append(TemplateError(target, 0, "directory", "no templates (*.yaml or *.yml) found"))
    return errors + metrics_problems(target) + routes_problems(target)


def metrics_problems(directory: Path) -> list[TemplateError]:
    """Every problem in ``directory/metrics.yaml`` (none when there is no such file)."""
    try:
        load_metrics(directory)
    except TemplateErrors as exc:
        return list(exc.errors)
    return []


def routes_problems(directory: Path) -> list[TemplateError]:
    """Every problem in ``directory/routes.yaml`` (none when there is no such file)."""
    try:
        load_routes(directory)
    except TemplateErrors as exc:
        return list(exc.errors)
    return []
