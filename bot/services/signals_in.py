"""Automated signals arriving as JSON (``POST /api/signals`` or a JSONL file).

A signal may say when what it reports ended (``ended_at``, not before ``observed_at``): the
time to recover is measured from it. A signal sent again with the same ``dedup_key`` is a
duplicate, but when it brings an end the stored one lacks, that end is recorded (an
incident sent when it began, and again when it was resolved).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlmodel import Session

from bot.core.problems import InputRejected, Problem, from_validation_error
from storage import register, signals
from storage.models import SignalKind

CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of our clock a sender's ``observed_at`` may be before it is refused."""


class SignalIn(BaseModel):
    """One signal as senders write it (DESIGN §3)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    debt_key: str = Field(min_length=1, max_length=32)
    kind: SignalKind
    value: float = Field(default=1.0, gt=0, le=1_000_000, strict=True, allow_inf_nan=False)
    source: str = Field(default="", max_length=100)
    observed_at: AwareDatetime
    dedup_key: str = Field(min_length=1, max_length=200)
    ended_at: AwareDatetime | None = None

    @field_validator("debt_key", "source", "dedup_key")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:  # PostgreSQL cannot store it in text, SQLite would
            raise ValueError("must not contain the NUL character (\\u0000)")
        return value

    @field_validator("debt_key")
    @classmethod
    def _key(cls, value: str) -> str:
        return value.upper()  # keys are stored upper-case, like the register import's

    @field_validator("observed_at", "ended_at")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            return value.astimezone(UTC)  # as stored; year 1 in a zone east of UTC is not
        except OverflowError:
            raise ValueError("out of range") from None

    @model_validator(mode="after")
    def _ends_after_it_began(self) -> SignalIn:
        if self.ended_at is not None and self.ended_at < self.observed_at:
            raise ValueError("ended_at: before observed_at")
        return self


@dataclass(frozen=True)
class SignalSummary:
    stored: int
    duplicates: int
    ended: int = 0
    """Duplicates that recorded the end of a signal stored without one."""

    def __str__(self) -> str:
        skipped = "duplicate" if self.duplicates == 1 else "duplicates"
        said = f"{self.stored} stored, {self.duplicates} {skipped} skipped"
        if self.ended:
            said += f", {self.ended} {'end' if self.ended == 1 else 'ends'} recorded"
        return said


def parse_signal(line: int, raw: str) -> SignalIn:
    """Parse one JSON object; raise InputRejected naming the field on any problem."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputRejected([Problem(line, "json", f"not valid JSON ({exc.msg})")]) from None
    except RecursionError:
        raise InputRejected([Problem(line, "json", "not valid JSON (nested too deeply)")]) from None
    if not isinstance(data, dict):
        raise InputRejected([Problem(line, "json", "expected a JSON object")])
    try:
        return SignalIn.model_validate(data)
    except ValidationError as exc:
        raise InputRejected(_field_problems(line, exc)) from None


def _field_problems(line: int, exc: ValidationError) -> list[Problem]:
    """Like from_validation_error, but a field left out is "required" (it is absent, not
    empty), and an empty string where text is required is "required but empty"."""
    problems = from_validation_error(line, exc)
    for n, (error, problem) in enumerate(zip(exc.errors(), problems, strict=True)):
        if error["type"] == "missing":
            problems[n] = Problem(line, problem.column, "required")
        elif error["type"] == "string_too_short" and str(error.get("input")).strip() == "":
            problems[n] = Problem(line, problem.column, "required but empty")
        elif problem.column == "row" and problem.message.startswith("ended_at: "):
            problems[n] = Problem(line, "ended_at", problem.message.removeprefix("ended_at: "))
    return problems


def parse_jsonl(text: str) -> list[tuple[int, SignalIn]]:
    """Every non-blank line is one signal; every problem in the file is reported."""
    parsed: list[tuple[int, SignalIn]] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            parsed.append((number, parse_signal(number, raw)))
        except InputRejected as exc:
            problems += exc.problems
    if problems:
        raise InputRejected(problems)
    return parsed


def store_signals(
    session: Session, *, team_id: str, items: list[tuple[int, SignalIn]], now: datetime
) -> SignalSummary:
    """Store signals in the caller's transaction; an unknown debt key, or an ``observed_at``
    (or ``ended_at``) more than CLOCK_SKEW after ``now`` (it would count undecayed), rejects
    them all. A duplicate's ``ended_at`` is recorded on the stored signal if it has none."""
    keys = {signal.debt_key for _, signal in items}
    ids = {}
    for key in keys:
        item = register.get_item(session, team_id=team_id, key=key)
        if item is not None:
            ids[key] = item.id
    unknown = [
        Problem(line, "debt_key", f"no debt item {signal.debt_key} in this team")
        for line, signal in items
        if signal.debt_key not in ids
    ]
    future = [
        Problem(line, field, "in the future")
        for line, signal in items
        for field, at in (("observed_at", signal.observed_at), ("ended_at", signal.ended_at))
        if at is not None and at > now + CLOCK_SKEW
    ]
    if unknown or future:
        raise InputRejected(unknown + future)
    stored = ended = 0
    for _, signal in items:
        item_id = ids[signal.debt_key]
        assert item_id is not None
        added = signals.add_signal(
            session,
            team_id=team_id,
            debt_item_id=item_id,
            kind=signal.kind.value,
            value=signal.value,
            source=signal.source,
            observed_at=signal.observed_at,
            dedup_key=signal.dedup_key,
            received_at=now,
            ended_at=signal.ended_at,
        )
        stored += added
        if not added and signal.ended_at is not None:
            ended += signals.record_end(
                session, team_id=team_id, dedup_key=signal.dedup_key, ended_at=signal.ended_at
            )
    return SignalSummary(stored=stored, duplicates=len(items) - stored, ended=ended)
