"""The debt register as CSV: validation of imported rows and the export layout."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.core.csvfile import read_rows
from bot.core.problems import InputRejected, Problem, from_validation_error
from bot.core.register_input import parse_day, parse_effort
from storage.models import Category, Status

COLUMNS = (
    "key",
    "title",
    "category",
    "component",
    "owner",
    "status",
    "effort",
    "impact",
    "likelihood",
    "detectability",
    "description",
    "problem",
    "affected_metrics",
    "remediation",
    "expected_impact",
    "success_criterion",
    "effort_spent",
    "resolved_on",
    "accepted_until",
)
REQUIRED = ("key", "title")
RISK_COLUMNS = ("impact", "likelihood", "detectability")
#: Columns that go with one status only (checked across the row).
STATUS_COLUMNS = {"resolved_on": "resolved", "accepted_until": "accepted"}
KEY_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-\d+$")
EFFORT_PATTERN = re.compile(r"^(XS|S|M|L|XL|\d+(\.\d+)?)$")
EFFORT_MAX_LENGTH = 16  # the register's column
EFFORT_HELP = "expected S, M, L (or XS, XL) or a number of points"
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(\|[^>]*)?>$")
OWNER_HELP = "expected a Slack user id (U123), a mention like <@U123>, or a team name"

Score = Annotated[int, Field(ge=1, le=5)]


class RegisterRow(BaseModel):
    """One validated register row. ``None`` means "leave as it is" for an existing item."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: str = Field(min_length=1, max_length=32)
    title: str | None = Field(default=None, max_length=200)
    category: Category | None = None
    component: str | None = Field(default=None, max_length=100)
    owner: str | None = Field(default=None, max_length=64)
    status: Status | None = None
    effort: str | None = None
    impact: Score | None = None
    likelihood: Score | None = None
    detectability: Score | None = None
    description: str | None = None
    problem: str | None = None
    affected_metrics: str | None = None
    remediation: str | None = None
    expected_impact: str | None = None
    success_criterion: str | None = None
    effort_spent: float | None = None
    """Person-days the fix cost: ``3d``, ``4h``, ``2w`` or a plain number of days."""
    resolved_on: date | None = None
    """The day a fix was made (today or earlier; with status resolved): ``resolved_at``."""
    accepted_until: date | None = None
    """The review date of an accepted item (after today; with status accepted)."""

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not KEY_PATTERN.match(value):
            raise ValueError("expected a key like DEBT-12")
        return value.upper()

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if not value:
            return value
        if mention := _MENTION.match(value):
            return mention.group(1)
        return check_owner(value)

    @field_validator("effort")
    @classmethod
    def _effort(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) > EFFORT_MAX_LENGTH:  # thousands of digits: not read, not stored
            raise ValueError(f"{EFFORT_HELP}, at most {EFFORT_MAX_LENGTH} characters")
        if not EFFORT_PATTERN.match(value.upper()):
            raise ValueError(EFFORT_HELP)
        if value[0].isdigit() and not (float(value) * 2).is_integer():
            # the capacity hint counts whole or half points and could not use it
            raise ValueError(f"{value} points: expected whole or half points, such as 2 or 2.5")
        return value.upper()

    @field_validator("effort_spent", mode="before")
    @classmethod
    def _effort_spent(cls, value: object) -> object:
        return parse_effort(value, plain_days=True) if isinstance(value, str) else value

    @field_validator("resolved_on", "accepted_until", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        return parse_day(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _with_their_status(self) -> RegisterRow:
        for column, status in STATUS_COLUMNS.items():
            if getattr(self, column) is not None and self.status != status:
                raise ValueError(f"{column}: only with status {status}")
        return self

    @model_validator(mode="after")
    def _risk_together(self) -> RegisterRow:
        given = [getattr(self, name) is not None for name in RISK_COLUMNS]
        if any(given) and not all(given):
            missing = next(n for n, g in zip(RISK_COLUMNS, given, strict=True) if not g)
            raise ValueError(f"{missing}: impact, likelihood and detectability go together")
        return self

    @property
    def assessment(self) -> tuple[int, int, int] | None:
        if self.impact is None or self.likelihood is None or self.detectability is None:
            return None
        return (self.impact, self.likelihood, self.detectability)

    def item_fields(self) -> dict[str, Any]:
        """The register fields this row sets (blank cells excluded). ``resolved_on`` is not
        one: the import turns it into ``resolved_at`` in the team's time zone."""
        skip = {"key", "resolved_on", *RISK_COLUMNS}
        renamed = {"effort_spent": "effort_spent_days"}
        return {
            renamed.get(name, name): (
                value.value if isinstance(value, Category | Status) else value
            )
            for name, value in self.model_dump().items()
            if name not in skip and value is not None
        }


def check_owner(value: str) -> str:
    """A plain owner: a user id, or free text such as a team name (shown as written).

    Slack markup is refused: a channel or group mention (``<#C123>``, ``<!subteam^S1>``),
    a broken user mention (``<@bob>``), or a bare ``@name`` / ``#channel``, which Slack would
    never turn into a person.
    """
    if value.startswith("<#") or value.startswith("#"):
        raise ValueError(f"{value!r} is a channel, not a person; {OWNER_HELP}")
    if value.startswith("<!"):
        raise ValueError(f"{value!r} is a group mention, not a person; {OWNER_HELP}")
    if "<" in value or ">" in value:
        raise ValueError(f"{value!r} is not a valid user mention; {OWNER_HELP}")
    if value.startswith("@"):
        raise ValueError(f"{value!r} is a display name, not a mention; {OWNER_HELP}")
    if "\n" in value or "\r" in value:
        raise ValueError("must be on one line")
    return value


def parse_register(text: str) -> list[tuple[int, RegisterRow]]:
    """Validate every row; raise InputRejected listing every problem in the file."""
    rows: list[tuple[int, RegisterRow]] = []
    first_line: dict[str, int] = {}
    parsed, problems = read_rows(text, columns=COLUMNS, required=REQUIRED)
    for line, cells in parsed:
        values = {name: cell for name, cell in cells.items() if cell != ""}
        try:
            row = RegisterRow.model_validate(values)
        except ValidationError as exc:
            problems += _column_problems(line, exc)
            continue
        if row.key in first_line:
            problems.append(
                Problem(line, "key", f"{row.key} already on line {first_line[row.key]}")
            )
            continue
        first_line[row.key] = line
        rows.append((line, row))
    if problems:
        raise InputRejected(problems)
    return rows


def _column_problems(line: int, exc: ValidationError) -> list[Problem]:
    problems = []
    for problem in from_validation_error(line, exc):
        column, _, message = problem.message.partition(": ")
        if problem.column == "row" and column in (*RISK_COLUMNS, *STATUS_COLUMNS):
            problems.append(Problem(line, column, message))
        else:
            problems.append(problem)
    return problems
