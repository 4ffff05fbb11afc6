"""debtpulse survey templates: schema, loader, built-in library and message rendering.

This package knows nothing of Slack or the database; it turns template files into validated
models and renders prompts and messages as Slack mrkdwn.
"""

from surveys.check import check
from surveys.loader import (
    LoadedTemplate,
    LoadResult,
    TemplateError,
    TemplateErrors,
    builtin_dir,
    load_directory,
    load_file,
    load_template,
)
from surveys.render import Mrkdwn, RenderError, environment, mrkdwn_escape, render
from surveys.schema import Digest, Survey, Template, validate_template

__all__ = [
    "Digest",
    "LoadResult",
    "LoadedTemplate",
    "Mrkdwn",
    "RenderError",
    "Survey",
    "Template",
    "TemplateError",
    "TemplateErrors",
    "builtin_dir",
    "check",
    "environment",
    "load_directory",
    "load_file",
    "load_template",
    "mrkdwn_escape",
    "render",
    "validate_template",
]
