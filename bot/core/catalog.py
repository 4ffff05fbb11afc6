"""The team's templates: the surveys directory, or the built-in library when none is set."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from surveys import LoadedTemplate


def load_catalog(directory: Path | None) -> dict[str, LoadedTemplate]:
    """Every template by id; any problem in any file raises TemplateErrors listing them all."""
    from surveys import TemplateErrors, builtin_dir, load_directory

    result = load_directory(directory or builtin_dir())
    if result.errors:
        raise TemplateErrors(result.errors)
    return result.templates
