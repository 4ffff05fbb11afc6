"""``debtpulse surveys check``: validate a directory of templates without running anything."""

from __future__ import annotations

from pathlib import Path

from surveys.loader import TemplateError, builtin_dir, load_directory

__all__ = ["check"]


def check(directory: Path | None = None) -> list[TemplateError]:
    """Every problem in the templates of ``directory`` (``None``: the built-in library).

    An empty list means every template is valid. A directory without any template is a
    problem too, since debtpulse would have nothing to run.
    """
    target = builtin_dir() if directory is None else Path(directory)
    result = load_directory(target)
    errors = list(result.errors)
    if not errors and not result.templates:
        errors.append(TemplateError(target, 0, "directory", "no templates (*.yaml or *.yml) found"))
    return errors
