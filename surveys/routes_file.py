"""``routes.yaml`` beside the templates: which debt item a webhook signal goes to when it
names none itself.

::

    routes:
      - match: {source: alertmanager, labels: {service: ingest}}
        to: DEBT-1
      - match: {source: github, repo: acme/ml-platform, workflow: "nightly-*"}
        to: DEBT-7

Each route matches a signal when every field of ``match`` does: ``source`` and ``kind`` are
the signal's own, any other name one of its attributes (``repo``, ``workflow``, ``branch``,
``service``, ``project``, ``environment``, ``alertname``, ``labels.<name>``,
``tags.<name>``); a mapping one level deep is the dotted name (``labels: {service: ingest}``
is ``labels.service: ingest``). Values are glob patterns (``*``, ``?``, ``[...]``). The first
route that matches wins, so a route whose match repeats an earlier one is refused: it could
never be used.

Validated like a template: every problem is ``path:line: field: message``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from surveys.fields import Loc, TemplateModel, fail, problem
from surveys.yamldoc import FieldPath, line_of

__all__ = ["KINDS", "ROUTES_FILE", "SOURCES", "Route", "load_routes"]

ROUTES_FILE = "routes.yaml"
#: The senders whose webhooks debtpulse takes (``POST /api/hooks/<source>``).
SOURCES = ("alertmanager", "github", "gitlab", "pagerduty", "sentry", "sonarqube")
#: The signal kinds a webhook produces.
KINDS = (
    "incident",
    "alert",
    "drift",
    "flaky_test",
    "ci_failure",
    "data_quality",
    "code_quality",
    "custom",
)
MAX_NAME_LENGTH = 100
MAX_PATTERN_LENGTH = 200
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/-]*")
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*-[0-9]+")
_GLOB = re.compile(r"[*?\[]")
_KNOWN = {"source": SOURCES, "kind": KINDS}


@dataclass(frozen=True)
class Route:
    """One route of the file: its flat match (dotted names), its item and its line."""

    match: Mapping[str, str]
    to: str
    line: int


def _pattern_problem(name: str, value: object) -> str | None:
    """What is wrong with ``value`` as the pattern of ``name``; None when nothing is."""
    if isinstance(value, bool):
        return f"read as {str(value).lower()}, a yes/no value in YAML: quote it to match the text"
    if value is None:
        return "missing: give a pattern, or leave the field out to match any value"
    if isinstance(value, list):
        return "expected one pattern, not a list (use a glob such as 'ingest-*')"
    if not isinstance(value, str | int):
        return "expected text: a value or a glob pattern"
    text = str(value)
    if not text.strip():
        return "empty: give a pattern, or leave the field out to match any value"
    if len(text) > MAX_PATTERN_LENGTH:
        return f"longer than {MAX_PATTERN_LENGTH} characters"
    if any(ord(character) < 32 or ord(character) == 127 for character in text):
        return "must be one line of text without control characters"
    known = _KNOWN.get(name)
    if known is not None and not _GLOB.search(text) and text not in known:
        return f"'{text}' is not a {name} debtpulse knows; expected one of: {', '.join(known)}"
    return None


def _name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
        return (
            "not a field name: letters, digits and _ . : / - (e.g. repo, alertname, labels.service)"
        )
    return None


def _flatten(value: Mapping[Any, Any]) -> tuple[dict[str, str], list[tuple[Loc, str, object]]]:
    """The match with one level of nesting turned into dotted names, and its problems."""
    flat: dict[str, str] = {}
    problems: list[tuple[Loc, str, object]] = []
    entries: list[tuple[Loc, str, object]] = []
    for name, given in value.items():
        wrong = _name_problem(name)
        if wrong is not None:
            problems.append(((str(name),), wrong, name))
        elif isinstance(given, Mapping):
            if not given:
                problems.append(((name,), f"empty: name a field of {name} to match", given))
            for sub, inner in given.items():
                wrong = _name_problem(sub)
                if wrong is not None:
                    problems.append(((name, str(sub)), wrong, sub))
                elif isinstance(inner, Mapping):
                    message = f"one level only, e.g. {name}: {{{sub}: value}}"
                    problems.append(((name, sub), message, inner))
                else:
                    entries.append(((name, sub), f"{name}.{sub}", inner))
        else:
            entries.append(((name,), name, given))
    for loc, name, given in entries:
        wrong = _pattern_problem(name, given)
        if wrong is not None:
            problems.append((loc, wrong, given))
        elif name in flat:
            problems.append((loc, f"{name} is given twice", given))
        else:
            flat[name] = str(given)
    return flat, problems


class RouteEntry(TemplateModel):
    """One entry of ``routes``: what to match, and the item it goes to."""

    match: dict[str, str]
    to: str = Field(max_length=32)

    @field_validator("match", mode="before")
    @classmethod
    def _flat_match(cls, value: Any) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise problem(
                "expected fields to match, e.g. {source: alertmanager, alertname: HighErrorRate}"
            )
        if not value:
            raise problem("empty: name at least one field (an empty match would take every signal)")
        flat, problems = _flatten(value)
        if problems:
            fail("RouteEntry", problems)
        return flat

    @field_validator("to", mode="before")
    @classmethod
    def _key(cls, value: Any) -> str:
        if not isinstance(value, str) or not _KEY.fullmatch(value):
            raise problem(f"{value!r} is not a debt item key like DEBT-12")
        return value.upper()


class RoutesFile(TemplateModel):
    """What ``routes.yaml`` holds: ``routes``, a list of routes, checked in order."""

    routes: list[RouteEntry]


def _validate(data: Any) -> RoutesFile:
    if not isinstance(data, dict):
        fail("RoutesFile", [(("routes",), "expected the file to be `routes:` and a list", data)])
    return RoutesFile.model_validate(data)


def _no_repeats(path: Path, loaded: RoutesFile, lines: Mapping[FieldPath, int]) -> None:
    """Refuse a route whose match repeats an earlier one's, at the line of the repeat."""
    from surveys.loader import TemplateError, TemplateErrors

    first: dict[tuple[tuple[str, str], ...], int] = {}
    errors = []
    for index, route in enumerate(loaded.routes):
        same = tuple(sorted(route.match.items()))
        where = ("routes", str(index), "match")
        if same in first:
            message = (
                f"the same match as the route at line {first[same]}, which comes first: "
                "this one would never be used"
            )
            errors.append(TemplateError(path, line_of(lines, where), ".".join(where), message))
        else:
            first[same] = line_of(lines, ("routes", str(index)))
    if errors:
        raise TemplateErrors(errors)


def load_routes(directory: Path | None) -> tuple[Route, ...]:
    """The routes of ``directory/routes.yaml`` in file order; none when there is no file.

    Raises ``surveys.TemplateErrors`` listing every problem in the file.
    """
    path = directory / ROUTES_FILE if directory is not None else None
    if path is None or not path.is_file():
        return ()
    from surveys.loader import load_validated

    loaded, _, lines = load_validated(path, _validate, what="routes")
    _no_repeats(path, loaded, lines)
    return tuple(
        Route(route.match, route.to, line_of(lines, ("routes", str(index))))
        for index, route in enumerate(loaded.routes)
    )
