"""The one Jinja2 environment for every debtpulse prompt and message template.

Slack mrkdwn needs exactly three characters escaped — ``&``, ``<`` and ``>`` — in text that
comes from data. HTML autoescaping would also rewrite quotes and apostrophes, so the
environment has ``autoescape=False`` and a ``finalize`` hook that escapes those three in every
interpolated value (``{{ … }}``). Text written literally in a template is left alone, so a
template can contain mentions and links such as ``<@U0123>`` or ``<https://…|the runbook>``
while an interpolated ``<script>`` becomes ``&lt;script&gt;``.

Other rules of the environment:

- Undefined names are errors (``StrictUndefined``), never silently empty.
- ``None`` renders as an empty string.
- A value wrapped in :class:`Mrkdwn` is trusted, already-formatted mrkdwn and is not escaped
  again (for links or mentions that code builds on purpose).
- Templates run in Jinja's sandbox: they can read the data they are given, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

__all__ = [
    "Mrkdwn",
    "RenderError",
    "environment",
    "mrkdwn_escape",
    "render",
    "render_template",
    "template_variables",
]

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def mrkdwn_escape(text: object) -> str:
    """Escape ``&``, ``<`` and ``>`` for Slack mrkdwn; everything else is kept as is."""
    return str(text).translate(_ESCAPES)


class Mrkdwn(str):
    """Text that is already valid mrkdwn; interpolating it does not escape it again."""

    __slots__ = ()


def _finalize(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Mrkdwn):
        return value
    return mrkdwn_escape(value)


class RenderError(Exception):
    """A template could not be compiled or rendered; the message names the template."""

    def __init__(self, template_name: str, message: str, lineno: int | None = None) -> None:
        self.template_name = template_name
        self.message = message
        self.lineno = lineno
        where = f" (line {lineno})" if lineno else ""
        super().__init__(f"template {template_name}{where}: {message}")


@cache
def environment() -> SandboxedEnvironment:
    """The shared environment (created once)."""
    return SandboxedEnvironment(
        autoescape=False,
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=512)
def _compile(source: str) -> Template:
    return environment().from_string(source)


_NOT_ALLOWED = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)


def template_variables(source: str) -> frozenset[str]:
    """Check that ``source`` compiles and return the names it reads from its context.

    Raises ``jinja2.TemplateSyntaxError`` for a syntax error, and for ``extends``,
    ``include`` or ``import``, which debtpulse templates cannot use.
    """
    env = environment()
    tree = env.parse(source)
    for node in tree.find_all(_NOT_ALLOWED):
        raise TemplateSyntaxError(
            "templates cannot extend, include or import other templates", node.lineno
        )
    _compile(source)
    return frozenset(meta.find_undeclared_variables(tree))


def _short_name(source: str) -> str:
    first = source.strip().splitlines()[0] if source.strip() else ""
    return repr(first if len(first) <= 40 else first[:37] + "...")


def render_template(name: str, source: str, context: Mapping[str, Any]) -> str:
    """Render ``source`` with ``context``; errors raise :class:`RenderError` naming ``name``."""
    try:
        template = _compile(source)
    except TemplateSyntaxError as exc:
        raise RenderError(name, exc.message or str(exc), exc.lineno) from exc
    try:
        return template.render(context)
    except TemplateError as exc:
        raise RenderError(name, exc.message or str(exc)) from exc
    except Exception as exc:  # a filter or a value's own method failed
        raise RenderError(name, f"{type(exc).__name__}: {exc}") from exc


def render(template_source: str, /, **context: Any) -> str:
    """Render a template string; errors name the template by its first line."""
    return render_template(_short_name(template_source), template_source, context)
