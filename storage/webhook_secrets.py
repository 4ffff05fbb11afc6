"""Each workspace's sealed secret per webhook sender: one row per team and source.

The caller seals and opens; this module never sees a secret in the clear.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, delete, select

from storage.dialect import insert, lock_for_transaction
from storage.models import WebhookSecret


def for_source(session: Session, *, team_id: str, source: str) -> WebhookSecret | None:
    """The team's row for ``source``, or None."""
    return session.exec(
        select(WebhookSecret).where(
            WebhookSecret.team_id == team_id, WebhookSecret.source == source
        )
    ).first()


def listed(session: Session, *, team_id: str | None = None) -> list[WebhookSecret]:
    """Every row (of ``team_id`` only, when given), by team and source."""
    query = select(WebhookSecret)
    if team_id is not None:
        query = query.where(WebhookSecret.team_id == team_id)
    return list(session.exec(query.order_by(col(WebhookSecret.team_id), col(WebhookSecret.source))))


def teams_with(session: Session, *, source: str) -> list[str]:
    """The teams that have a secret for ``source``, sorted."""
    query = select(WebhookSecret.team_id).where(WebhookSecret.source == source)
    return sorted(session.exec(query))


def lock_team(session: Session, *, team_id: str) -> None:
    """Serialise changes of one team's webhook secrets until the end of the transaction."""
    lock_for_transaction(session, f"debtpulse:webhook_secret:{team_id}")


def replace(
    session: Session,
    *,
    team_id: str,
    source: str,
    sealed: str,
    key_id: str,
    created_at: datetime,
    created_by: str,
) -> None:
    """Make ``sealed`` the team's secret for ``source``, replacing any other in one
    statement."""
    values = {
        "sealed": sealed,
        "key_id": key_id,
        "created_at": created_at,
        "created_by": created_by,
    }
    statement = (
        insert(session, WebhookSecret)
        .values(team_id=team_id, source=source, **values)
        .on_conflict_do_update(index_elements=["team_id", "source"], set_=values)
    )
    session.execute(statement)


def remove(session: Session, *, team_id: str, source: str) -> bool:
    """Delete the team's secret for ``source``; whether there was one."""
    statement = delete(WebhookSecret).where(
        col(WebhookSecret.team_id) == team_id, col(WebhookSecret.source) == source
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]
