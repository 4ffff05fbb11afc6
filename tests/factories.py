"""Factories for rows the tests need, with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from storage import polls, register
from storage.models import DebtItem, PollRun

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
TEAM = "T0001"


def make_item(
    session: Session, key: str = "DEBT-1", team_id: str = TEAM, **fields: Any
) -> DebtItem:
    fields.setdefault("title", f"Item {key}")
    item, _ = register.upsert_item(session, team_id=team_id, key=key, fields=fields, now=NOW)
    return item


def make_run(
    session: Session,
    survey_id: str = "weekly-debt-pulse",
    scheduled_for: datetime = NOW,
    team_id: str = TEAM,
    **values: Any,
) -> PollRun:
    run, _ = polls.claim_run(
        session,
        team_id=team_id,
        survey_id=survey_id,
        scheduled_for=scheduled_for,
        values=values,
    )
    return run
