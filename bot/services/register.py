"""Changing the debt register: every change of status, owner or assessment is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core.csvfile import write_rows
from bot.core.problems import InputRejected, Problem
from bot.core.reasons import command_reason, stated_why  # noqa: F401  (re-exported)
from bot.services.register_csv import COLUMNS, RegisterRow
from storage import audit, register
from storage.models import DebtItem

AUDITED_FIELDS = ("status", "owner")


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int
    assessed: int

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.assessed} assessed"
        )


def _snapshot(item: DebtItem, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(item, name) for name in fields}


def save_item(
    session: Session,
    *,
    team_id: str,
    key: str,
    fields: dict[str, Any],
    actor: str,
    reason: str,
    now: datetime,
) -> tuple[DebtItem, str]:
    """Create or update an item; returns (item, "created" | "updated" | "unchanged")."""
    existing = register.get_item(session, team_id=team_id, key=key)
    if existing is None:
        if not fields.get("title"):
            raise ValueError("title: required for a new item")
        item, _ = register.upsert_item(session, team_id=team_id, key=key, fields=fields, now=now)
        audit.record(
            session,
            team_id=team_id,
            actor=actor,
            action="item.created",
            subject=key,
            after=_snapshot(item, ("title", "category", "status", "owner")),
            reason=reason,
            at=now,
        )
        return item, "created"
    changed = {name: value for name, value in fields.items() if getattr(existing, name) != value}
    if not changed:
        return existing, "unchanged"
    before = _snapshot(existing, tuple(changed))
    item, _ = register.upsert_item(session, team_id=team_id, key=key, fields=changed, now=now)
    for name in AUDITED_FIELDS:
        if name in changed:
            audit.record(
                session,
                team_id=team_id,
                actor=actor,
                action=f"item.{name}",
                subject=key,
                before={name: before[name]},
                after={name: changed[name]},
                reason=reason,
                at=now,
            )
    other = {name: changed[name] for name in changed if name not in AUDITED_FIELDS}
    if other:
        audit.record(
            session,
            team_id=team_id,
            actor=actor,
            action="item.updated",
            subject=key,
            before={name: before[name] for name in other},
            after=other,
            reason=reason,
            at=now,
        )
    return item, "updated"


def add_item(
    session: Session,
    *,
    team_id: str,
    fields: dict[str, Any],
    actor: str,
    reason: str,
    now: datetime,
) -> DebtItem:
    """A new item under the team's next free ``DEBT-N`` key, audited.

    The key is numbered under a per-team lock, so two leads adding at once get two items
    with two keys; neither is lost or written over the other.
    """
    register.lock_keys(session, team_id=team_id)
    key = register.next_key(session, team_id=team_id)
    item, status = save_item(
        session, team_id=team_id, key=key, fields=fields, actor=actor, reason=reason, now=now
    )
    assert status == "created", key
    return item


def assess(
    session: Session,
    *,
    item: DebtItem,
    impact: int,
    likelihood: int,
    detectability: int,
    actor: str,
    reason: str,
    now: datetime,
) -> bool:
    """Record a new assessment unless it equals the newest one; returns whether it did."""
    latest = register.latest_assessment(session, item=item)
    new = {"impact": impact, "likelihood": likelihood, "detectability": detectability}
    if latest is not None and _snapshot_assessment(latest) == new:
        return False
    register.add_assessment(session, item=item, assessed_by=actor, at=now, note=reason, **new)
    audit.record(
        session,
        team_id=item.team_id,
        actor=actor,
        action="item.assessed",
        subject=item.key,
        before=_snapshot_assessment(latest) if latest else None,
        after=new,
        reason=reason,
        at=now,
    )
    return True


def _snapshot_assessment(assessment: Any) -> dict[str, int]:
    return {
        "impact": assessment.impact,
        "likelihood": assessment.likelihood,
        "detectability": assessment.detectability,
    }


def import_register(
    session: Session,
    *,
    team_id: str,
    rows: list[tuple[int, RegisterRow]],
    actor: str,
    reason: str,
    now: datetime,
) -> ImportSummary:
    """Apply validated rows in the caller's transaction (all or nothing)."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    assessed = 0
    for line, row in rows:
        try:
            item, outcome = save_item(
                session,
                team_id=team_id,
                key=row.key,
                fields=row.item_fields(),
                actor=actor,
                reason=reason,
                now=now,
            )
        except ValueError as exc:
            column, _, message = str(exc).partition(": ")
            raise InputRejected([Problem(line, column, message)]) from None
        risk = row.assessment
        if risk is not None:
            impact, likelihood, detectability = risk
            if assess(
                session,
                item=item,
                impact=impact,
                likelihood=likelihood,
                detectability=detectability,
                actor=actor,
                reason=reason,
                now=now,
            ):
                assessed += 1
                if outcome == "unchanged":
                    outcome = "updated"
        counts[outcome] += 1
    return ImportSummary(assessed=assessed, **counts)


def export_register(session: Session, *, team_id: str) -> str:
    """The whole register as CSV in the import layout (newest assessment per item)."""
    items = register.list_items(session, team_id=team_id)
    risk = register.latest_assessments(session, team_id=team_id)
    rows = []
    for item in items:
        row: dict[str, object] = {
            name: getattr(item, name) for name in COLUMNS if hasattr(item, name)
        }
        assessment = risk.get(item.id or 0)
        if assessment is not None:
            row |= _snapshot_assessment(assessment)
        rows.append(row)
    return write_rows(COLUMNS, rows)
