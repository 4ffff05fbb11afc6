"""The debt register: items and their risk assessments."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.dialect import lock_for_transaction
from storage.models import Assessment, DebtItem

#: Register fields a caller may set on an item (the CSV columns minus the assessment, and
#: what ``resolved_on`` sets).
ITEM_FIELDS = (
    "title",
    "category",
    "component",
    "owner",
    "status",
    "effort",
    "description",
    "problem",
    "affected_metrics",
    "remediation",
    "expected_impact",
    "success_criterion",
    "effort_spent_days",
    "accepted_until",
    "resolved_at",
)
_KEY_NUMBER = re.compile(r"^DEBT-(\d+)$")


def get_item(session: Session, *, team_id: str, key: str) -> DebtItem | None:
    return session.exec(
        select(DebtItem).where(DebtItem.team_id == team_id, DebtItem.key == key)
    ).first()


def list_items(
    session: Session,
    *,
    team_id: str,
    statuses: Iterable[str] | None = None,
    category: str | None = None,
    component: str | None = None,
) -> list[DebtItem]:
    query = select(DebtItem).where(DebtItem.team_id == team_id)
    if statuses is not None:
        query = query.where(col(DebtItem.status).in_(list(statuses)))
    if category is not None:
        query = query.where(DebtItem.category == category)
    if component is not None:
        query = query.where(DebtItem.component == component)
    return list(session.exec(query.order_by(col(DebtItem.id))))


def upsert_item(
    session: Session, *, team_id: str, key: str, fields: Mapping[str, Any], now: datetime
) -> tuple[DebtItem, bool]:
    """Create the item ``key`` or update the given fields; returns (item, created)."""
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise ValueError(f"unknown debt item field(s): {', '.join(sorted(unknown))}")
    item = get_item(session, team_id=team_id, key=key)
    created = item is None
    if item is None:
        item = DebtItem(
            team_id=team_id, key=key, title=str(fields.get("title", "")), created_at=now
        )
    for name, value in fields.items():
        setattr(item, name, value)
    if "status" in fields and "resolved_at" not in fields:  # a back-dated fix gives its day
        item.resolved_at = now if fields["status"] == "resolved" else None
    if fields.get("status", "accepted") != "accepted":  # a review date only while accepted
        item.accepted_until = None
    item.updated_at = now
    session.add(item)
    session.flush()
    return item, created


def accepted_due(
    session: Session, *, on_or_before: date, team_id: str | None = None
) -> list[DebtItem]:
    """The ``accepted`` items (of ``team_id``, else of every team) whose review date is
    ``on_or_before`` or earlier, locked until the end of the transaction (PostgreSQL;
    SQLite's write transaction holds the database), so a change made meanwhile is neither
    lost nor undone."""
    query = select(DebtItem).where(
        DebtItem.status == "accepted", col(DebtItem.accepted_until) <= on_or_before
    )
    if team_id is not None:
        query = query.where(DebtItem.team_id == team_id)
    return list(session.exec(query.order_by(col(DebtItem.id)).with_for_update()))


def teams_with_accepted_due(session: Session, *, on_or_before: date) -> list[str]:
    """The teams holding an ``accepted`` item whose review date is ``on_or_before`` or
    earlier, sorted."""
    query = (
        select(DebtItem.team_id)
        .where(DebtItem.status == "accepted", col(DebtItem.accepted_until) <= on_or_before)
        .distinct()
    )
    return sorted(session.exec(query))


def lock_keys(session: Session, *, team_id: str) -> None:
    """Wait, until the end of the transaction, for any other transaction numbering a new
    item of the same team, so two leads adding at once get ``DEBT-N`` and ``DEBT-N+1``."""
    lock_for_transaction(session, f"debtpulse:item-keys:{team_id}")


def next_key(session: Session, *, team_id: str) -> str:
    """The next free ``DEBT-N`` key for a team (see :func:`lock_keys` before using it)."""
    keys = session.exec(select(DebtItem.key).where(DebtItem.team_id == team_id)).all()
    numbers = [int(m.group(1)) for k in keys if (m := _KEY_NUMBER.match(k))]
    return f"DEBT-{max(numbers, default=0) + 1}"


def add_assessment(
    session: Session,
    *,
    item: DebtItem,
    impact: int,
    likelihood: int,
    detectability: int,
    assessed_by: str,
    at: datetime,
    note: str = "",
) -> Assessment:
    assert item.id is not None, "flush the item before assessing it"
    assessment = Assessment(
        team_id=item.team_id,
        debt_item_id=item.id,
        impact=impact,
        likelihood=likelihood,
        detectability=detectability,
        assessed_by=assessed_by,
        assessed_at=at,
        note=note,
    )
    session.add(assessment)
    session.flush()
    return assessment


def latest_assessments(session: Session, *, team_id: str) -> dict[int, Assessment]:
    """The newest assessment of every assessed item of a team, by item id."""
    newest = (
        select(
            Assessment.debt_item_id,
            func.max(Assessment.id).label("id"),
        )
        .where(Assessment.team_id == team_id)
        .group_by(col(Assessment.debt_item_id))
        .subquery()
    )
    rows = session.exec(select(Assessment).join(newest, col(Assessment.id) == newest.c.id))
    return {row.debt_item_id: row for row in rows}


def latest_assessment(session: Session, *, item: DebtItem) -> Assessment | None:
    return session.exec(
        select(Assessment)
        .where(Assessment.debt_item_id == item.id)
        .order_by(col(Assessment.id).desc())
        .limit(1)
    ).first()
