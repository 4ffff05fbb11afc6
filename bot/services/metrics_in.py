"""Metric points arriving over ``POST /api/metrics`` or in a CSV file: checked, then stored
all together or not at all.

Each point names a metric (built in or declared in ``metrics.yaml``; a metric derived from
signals cannot be posted), a scope (``team``, a component of the team's register, or one of
its debt keys), a finite value (``*_rate`` metrics between 0 and 1), when it was observed
(an ISO 8601 date, or a date and time with its offset; at most :data:`CLOCK_SKEW` ahead of
our clock) and optionally its unit, which must then be the metric's. Two points of one file
or request may not share metric, scope and moment. Every problem is reported at once,
naming the field: ``line N: column: message`` for a file, ``points[3].observed_at`` for a
request. A point sent again later for the same metric, scope and moment replaces the stored
value. ``import_csv`` and ``post_points`` are the two use cases, each in the caller's
transaction (the scopes are read from the register in it).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal, TypeVar

from bot.core.csvfile import read_rows
from bot.core.problems import InputRejected, Problem
from storage import metrics as stored

if TYPE_CHECKING:
    from sqlmodel import Session

    from surveys.metrics_file import MetricCatalog, MetricDefinition

CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of our clock a point's ``observed_at`` may be before it is refused."""
MAX_POINTS = 5000
"""The most points one request may carry (a file has no such limit)."""
COLUMNS = ("metric", "scope", "value", "observed_at", "unit")
REQUIRED = ("metric", "scope", "value", "observed_at")
TEAM_SCOPE = "team"
MAX_SCOPE_LENGTH = 100
#: Longer text is not a number or a time of ours, and is not echoed back.
MAX_CELL = 40
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_HELP = (
    "expected an ISO 8601 date (2026-11-20) or a date and time with its offset "
    "(2026-11-20T10:00:00Z)"
)
Source = Literal["api", "csv"]
T = TypeVar("T")


class TooManyPoints(Exception):
    """A request with more than :data:`MAX_POINTS` points (refused unread)."""

    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(
            f"{count} points in one request; at most {MAX_POINTS}: send them in batches"
        )


@dataclass(frozen=True)
class PointIn:
    """A checked point: ``scope`` as stored, ``observed_at`` in UTC. ``line`` is the file's
    line or the request's index; ``prefix`` what each field's name is prefixed with in a
    problem (``points[3].`` in a request of several points)."""

    line: int
    prefix: str
    metric: MetricDefinition
    scope: str
    value: float
    observed_at: datetime

    @property
    def label(self) -> str:
        """How a problem of another point refers to this one."""
        return self.prefix.rstrip(".") or f"line {self.line}"


@dataclass(frozen=True)
class MetricSummary:
    stored: int
    replaced: int

    def __str__(self) -> str:
        return f"{self.stored} stored, {self.replaced} replaced"


class _Bad(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _text(value: object, *, what: str = "text") -> str:
    if not isinstance(value, str):
        raise _Bad(f"expected {what} (a JSON string)")
    if "\x00" in value:
        raise _Bad("must not contain the NUL character (\\u0000)")
    return value.strip()


def _metric(value: object, catalog: MetricCatalog) -> MetricDefinition:
    name = _text(value)
    if not name:
        raise _Bad("required but empty")
    definition = catalog.get(name)
    if definition is None:
        shown = f"'{name}'" if len(name) <= 64 and name.isprintable() else "this name"
        builtin = ", ".join(m.name for m in catalog if m.origin == "builtin")
        raise _Bad(
            f"unknown metric {shown}: use a built-in one ({builtin}) or declare it with its "
            "direction and unit in metrics.yaml beside the templates"
        )
    if definition.derived:
        raise _Bad(
            f"{name} is derived from the signals stored, not posted: send the signals "
            "(POST /api/signals) instead"
        )
    return definition


def _unit(value: object, definition: MetricDefinition | None) -> None:
    if value is None:
        return
    unit = _text(value)
    if not unit or definition is None:
        return  # left out, or nothing to compare it with (the metric is refused already)
    if unit != definition.unit:
        shown = f"'{unit}'" if len(unit) <= 16 and unit.isprintable() else "this unit"
        raise _Bad(
            f"{shown} is not the unit of {definition.name}: expected '{definition.unit}', "
            "or leave it out"
        )


def _number(value: object, *, from_text: bool) -> float:
    if from_text:
        assert isinstance(value, str)
        cell = value.strip()
        if not cell:
            raise _Bad("required but empty")
        if len(cell) > MAX_CELL or not _NUMBER.fullmatch(cell):
            raise _Bad("expected a number such as 12.5 (with a point for decimals)")
        number = float(cell)
    else:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Bad("expected a JSON number, such as 12.5")
        try:
            number = float(value)
        except OverflowError:
            raise _Bad("not a finite number") from None
    if not math.isfinite(number):
        raise _Bad("not a finite number")
    return number


def _value(value: object, definition: MetricDefinition | None, *, from_text: bool) -> float:
    number = _number(value, from_text=from_text)
    if definition is not None and definition.is_rate and not 0 <= number <= 1:
        raise _Bad(f"{definition.name} is a rate: between 0 and 1 (0.25 for 25 %)")
    return number


def _observed_at(value: object, now: datetime) -> datetime:
    given = _text(value, what="a date or time as text")
    if not given:
        raise _Bad("required but empty")
    if len(given) > MAX_CELL:
        raise _Bad(_TIME_HELP)
    try:
        if _DATE.fullmatch(given):
            moment = datetime.combine(datetime.fromisoformat(given).date(), time(), tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(given)
    except ValueError:
        raise _Bad(_TIME_HELP) from None
    if moment.tzinfo is None:
        raise _Bad("needs its offset (2026-11-20T10:00:00Z or +01:00), or give the date alone")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise _Bad("out of range") from None
    if moment > now + CLOCK_SKEW:
        raise _Bad(f"in the future (it is {now:%Y-%m-%d %H:%M} UTC here)")
    return moment


@dataclass(frozen=True)
class Scopes:
    """What a point of one team may name as its scope besides ``team``: the debt keys and
    components of its register (read once per file or request, see :func:`team_scopes`)."""

    keys: frozenset[str]
    components: frozenset[str]

    def resolve(self, given: str) -> str:
        """The scope as stored: ``team``, a debt key (upper-case, as the register keeps
        keys) or a component (as the register writes it); raises _Bad otherwise."""
        if given.lower() == TEAM_SCOPE:
            return TEAM_SCOPE
        if given.upper() in self.keys:
            return given.upper()
        if given in self.components:
            return given
        shown = f"'{given}'" if given.isprintable() else "this scope"
        listed = sorted(self.components)
        known = (
            f"its components are {', '.join(listed[:8])}{', …' if len(listed) > 8 else ''}"
            if listed
            else "its register names no component"
        )
        raise _Bad(
            f"{shown} is not team, a component of this team's register or one of its debt "
            f"keys (like DEBT-1); {known}"
        )


def team_scopes(session: Session, team_id: str) -> Scopes:
    """The scopes the team's points may name, read from its register."""
    keys, components = stored.register_scopes(session, team_id)
    return Scopes(frozenset(keys), frozenset(components))


def _scope(value: object, scopes: Scopes) -> str:
    scope = _text(value)
    if not scope:
        raise _Bad("required but empty")
    if len(scope) > MAX_SCOPE_LENGTH:
        raise _Bad(f"at most {MAX_SCOPE_LENGTH} characters: team, a component or a debt key")
    return scopes.resolve(scope)


def _point(
    line: int,
    prefix: str,
    fields: Mapping[str, object],
    *,
    catalog: MetricCatalog,
    scopes: Scopes,
    now: datetime,
    from_text: bool,
) -> PointIn:
    """One point, every field checked; raises InputRejected with a problem per bad field."""
    problems: list[Problem] = []

    def field(name: str, check: Callable[[object], T]) -> T | None:
        raw = fields.get(name)
        if raw is None:
            if name in REQUIRED:
                problems.append(Problem(line, prefix + name, "required"))
            return None
        try:
            return check(raw)
        except _Bad as bad:
            problems.append(Problem(line, prefix + name, bad.message))
            return None

    definition = field("metric", lambda raw: _metric(raw, catalog))
    scope = field("scope", lambda raw: _scope(raw, scopes))
    value = field("value", lambda raw: _value(raw, definition, from_text=from_text))
    observed_at = field("observed_at", lambda raw: _observed_at(raw, now))
    field("unit", lambda raw: _unit(raw, definition))
    if problems:
        raise InputRejected(problems)
    assert definition is not None and scope is not None
    assert value is not None and observed_at is not None
    return PointIn(line, prefix, definition, scope, value, observed_at)


def _repeats(points: Sequence[PointIn]) -> list[Problem]:
    """A problem for each point at the metric, scope and moment of an earlier one."""
    first: dict[tuple[str, str, datetime], PointIn] = {}
    problems = []
    for point in points:
        same = (point.metric.name, point.scope, point.observed_at)
        if same in first:
            message = f"the same metric, scope and time as {first[same].label}"
            problems.append(Problem(point.line, point.prefix + "observed_at", message))
        else:
            first[same] = point
    return problems


def parse_csv(text: str, *, catalog: MetricCatalog, scopes: Scopes, now: datetime) -> list[PointIn]:
    """Every row of a ``metric,scope,value,observed_at,unit`` file; raises InputRejected
    listing every problem in it as ``line N: column: message``."""
    rows, problems = read_rows(text, columns=COLUMNS, required=REQUIRED)
    points: list[PointIn] = []
    for line, cells in rows:
        fields = {name: cell for name, cell in cells.items() if name != "unit" or cell}
        try:
            points.append(
                _point(line, "", fields, catalog=catalog, scopes=scopes, now=now, from_text=True)
            )
        except InputRejected as exc:
            problems += exc.problems
    problems += _repeats(points)
    if problems:
        raise InputRejected(problems)
    return points


def parse_body(raw: str, *, catalog: MetricCatalog, scopes: Scopes, now: datetime) -> list[PointIn]:
    """A request body: one point object, or ``{"points": [...]}`` (at most MAX_POINTS,
    else TooManyPoints). Raises InputRejected naming each bad field (``points[3].value``)."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise InputRejected([Problem(0, "json", "not valid JSON (nested too deeply)")]) from None
    except ValueError as exc:  # JSONDecodeError, or an integer of thousands of digits
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "a number too long"
        raise InputRejected([Problem(0, "json", f"not valid JSON ({reason})")]) from None
    if not isinstance(data, dict):
        raise InputRejected(
            [Problem(0, "json", 'expected a JSON object: one point, or {"points": [...]}')]
        )
    if "points" not in data:
        return [_json_point(0, "", data, catalog=catalog, scopes=scopes, now=now)]
    extra = sorted(name for name in data if name != "points")
    if extra:
        raise InputRejected(
            [Problem(0, name[:64], "unknown field; expected only points") for name in extra]
        )
    items = data["points"]
    if not isinstance(items, list):
        raise InputRejected([Problem(0, "points", "expected a list of point objects")])
    if len(items) > MAX_POINTS:
        raise TooManyPoints(len(items))
    points: list[PointIn] = []
    problems: list[Problem] = []
    for index, item in enumerate(items):
        prefix = f"points[{index}]."
        if not isinstance(item, dict):
            problems.append(Problem(index, f"points[{index}]", "expected a point object"))
            continue
        try:
            points.append(_json_point(index, prefix, item, catalog=catalog, scopes=scopes, now=now))
        except InputRejected as exc:
            problems += exc.problems
    problems += _repeats(points)
    if problems:
        raise InputRejected(problems)
    return points


def _json_point(
    index: int,
    prefix: str,
    item: dict[str, object],
    *,
    catalog: MetricCatalog,
    scopes: Scopes,
    now: datetime,
) -> PointIn:
    unknown = [
        Problem(index, prefix + str(name)[:64], f"unknown field; expected {', '.join(COLUMNS)}")
        for name in item
        if name not in COLUMNS
    ]
    try:
        point = _point(
            index, prefix, item, catalog=catalog, scopes=scopes, now=now, from_text=False
        )
    except InputRejected as exc:
        raise InputRejected([*exc.problems, *unknown]) from None
    if unknown:
        raise InputRejected(unknown)
    return point


def store_points(
    session: Session,
    *,
    team_id: str,
    points: Sequence[PointIn],
    source: Source,
    now: datetime,
) -> MetricSummary:
    """Store checked points (of :func:`parse_csv` or :func:`parse_body`) in the caller's
    transaction: new ones counted as stored, the others as replacing a stored value."""
    rows = [
        stored.NewPoint(p.metric.name, p.scope, p.value, p.metric.unit, p.observed_at)
        for p in points
    ]
    counts = stored.upsert_points(
        session, team_id=team_id, points=rows, source=source, received_at=now
    )
    return MetricSummary(stored=counts.stored, replaced=counts.replaced)


def import_csv(
    session: Session, *, team_id: str, text: str, catalog: MetricCatalog, now: datetime
) -> MetricSummary:
    """``debtpulse metrics import``: every row of the file stored, or none (InputRejected
    listing every problem)."""
    points = parse_csv(text, catalog=catalog, scopes=team_scopes(session, team_id), now=now)
    return store_points(session, team_id=team_id, points=points, source="csv", now=now)


def post_points(
    session: Session, *, team_id: str, body: str, catalog: MetricCatalog, now: datetime
) -> MetricSummary:
    """``POST /api/metrics``: every point of the body stored, or none (InputRejected naming
    each bad field, TooManyPoints over MAX_POINTS)."""
    points = parse_body(body, catalog=catalog, scopes=team_scopes(session, team_id), now=now)
    return store_points(session, team_id=team_id, points=points, source="api", now=now)
