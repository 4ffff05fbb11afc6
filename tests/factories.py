"""Factories for rows the tests need, with sensible defaults."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from storage import polls, register
from storage.models import DebtItem, PollRun
from surveys import Digest

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


def digest_template(
    top: int = 10,
    sections: Mapping[str, bool] | None = None,
    *,
    title: str = "Weekly debt digest",
    timezone: str = "UTC",
) -> Digest:
    """A validated digest template (``sections`` switches parts off)."""
    return Digest.model_validate(
        {
            "id": "weekly-digest",
            "kind": "digest",
            "title": title,
            "schedule": {"cron": "0 9 * * MON", "timezone": timezone},
            "top": top,
            "sections": dict(sections or {}),
        }
    )
