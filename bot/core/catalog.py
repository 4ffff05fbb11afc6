"""The team's templates: the surveys directory, or the built-in library when none is set."""

from __future__ import annotations

from pathlib import Path

from surveys import LoadedTemplate, TemplateErrors, builtin_dir, load_directory


def load_catalog(directory: Path | None) -> dict[str, LoadedTemplate]:
    """Every template by id; any problem in any file raises TemplateErrors listing them all."""
    result = load_directory(directory or builtin_dir())
    if result.errors:
        raise TemplateErrors(result.errors)
    return result.templates
