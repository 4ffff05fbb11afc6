"""Automated signals arriving as JSON (``POST /api/signals`` or a JSONL file)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from bot.core.problems import InputRejected, Problem, from_validation_error
from storage import register, signals
from storage.models import SignalKind


class SignalIn(BaseModel):
    """One signal as senders write it (DESIGN §3)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    debt_key: str = Field(min_length=1, max_length=32)
    kind: SignalKind
    value: float = Field(default=1.0, gt=0, le=1_000_000)
    source: str = Field(default="", max_length=100)
    observed_at: AwareDatetime
    dedup_key: str = Field(min_length=1, max_length=200)


@dataclass(frozen=True)
class SignalSummary:
    stored: int
    duplicates: int

    def __str__(self) -> str:
        return f"{self.stored} stored, {self.duplicates} duplicates skipped"


def parse_signal(line: int, raw: str) -> SignalIn:
    """Parse one JSON object; raise InputRejected naming the field on any problem."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputRejected([Problem(line, "json", f"not valid JSON ({exc.msg})")]) from None
    if not isinstance(data, dict):
        raise InputRejected([Problem(line, "json", "expected a JSON object")])
    try:
        return SignalIn.model_validate(data)
    except ValidationError as exc:
        raise InputRejected(from_validation_error(line, exc)) from None


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
    """Store signals in the caller's transaction; an unknown debt key rejects them all."""
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
    if unknown:
        raise InputRejected(unknown)
    stored = 0
    for _, signal in items:
        item_id = ids[signal.debt_key]
        assert item_id is not None
        stored += signals.add_signal(
            session,
            team_id=team_id,
            debt_item_id=item_id,
            kind=signal.kind.value,
            value=signal.value,
            source=signal.source,
            observed_at=signal.observed_at,
            dedup_key=signal.dedup_key,
            received_at=now,
        )
    return SignalSummary(stored=stored, duplicates=len(items) - stored)
