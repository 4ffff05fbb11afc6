"""The audit trail: who changed what, and why. Rows are only ever appended."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.models import AuditEvent


def record(
    session: Session,
    *,
    team_id: str,
    actor: str,
    action: str,
    subject: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    at: datetime,
) -> AuditEvent:
    event = AuditEvent(
        team_id=team_id,
        actor=actor,
        action=action,
        subject=subject,
        before=before,
        after=after,
        reason=reason,
        at=at,
    )
    session.add(event)
    session.flush()
    return event


def events(
    session: Session, *, team_id: str, subject: str | None = None, limit: int = 100
) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.team_id == team_id)
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    return list(session.exec(query.order_by(col(AuditEvent.id).desc()).limit(limit)))


def last_event(session: Session, *, team_id: str, action: str) -> AuditEvent | None:
    return session.exec(
        select(AuditEvent)
        .where(AuditEvent.team_id == team_id, AuditEvent.action == action)
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    ).first()
