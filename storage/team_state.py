"""Each workspace's state (``team_state``): active, tokens revoked or uninstalled, and when
its data is purged. A workspace without a row is active.

Stopping a workspace's work is recorded here in the caller's transaction: its state, and
its messages not yet sent (deliveries skipped, result posts failed), so no process sends
them afterwards.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.models import (
    DebtItem,
    PollDelivery,
    PollResultPost,
    PollRun,
    TeamLifecycle,
    TeamState,
)

#: Why a delivery or result post of a workspace that is gone was not sent.
GONE_ERROR = "workspace uninstalled or its token revoked"


def of_team(session: Session, *, team_id: str) -> TeamState | None:
    return session.exec(select(TeamState).where(TeamState.team_id == team_id)).first()


def all_states(session: Session) -> list[TeamState]:
    return list(session.exec(select(TeamState).order_by(col(TeamState.team_id))))


def mark_gone(
    session: Session,
    *,
    team_id: str,
    state: TeamLifecycle,
    now: datetime,
    purge_after: datetime | None,
    gone_token: str | None = None,
) -> tuple[str, TeamState]:
    """Record that ``team_id`` lost its token or uninstalled the app; returns the state
    before (``active`` for a team without a row) and the row.

    A team already gone keeps when it went and its purge date (Slack sends both
    ``tokens_revoked`` and ``app_uninstalled`` for one uninstall); ``uninstalled`` wins over
    ``tokens_revoked``.
    """
    row = of_team(session, team_id=team_id)
    before = row.state if row is not None else TeamLifecycle.active.value
    if row is None:
        row = TeamState(team_id=team_id, updated_at=now)
    if row.state == TeamLifecycle.active.value:
        row.uninstalled_at = now
        row.purge_after = purge_after
        row.gone_token = gone_token
        row.state = state.value
    elif state == TeamLifecycle.uninstalled:
        row.state = state.value
    row.updated_at = now
    session.add(row)
    session.flush()
    return before, row


def mark_active(session: Session, *, team_id: str, now: datetime) -> tuple[str | None, TeamState]:
    """Record an install (or a re-install) of ``team_id``: active from ``now``, no purge
    date. Returns the state before (None: no row yet) and the row."""
    row = of_team(session, team_id=team_id)
    before = row.state if row is not None else None
    if row is None:
        row = TeamState(team_id=team_id, updated_at=now)
    row.state = TeamLifecycle.active.value
    row.installed_at = now
    row.uninstalled_at = row.purge_after = row.gone_token = None
    row.updated_at = now
    session.add(row)
    session.flush()
    return before, row


def set_purge_after(
    session: Session, *, team_id: str, when: datetime | None, now: datetime
) -> TeamState | None:
    """Change when a gone team's data is purged (None: keep it); None when the team is
    active (or unknown), which has no purge date."""
    row = of_team(session, team_id=team_id)
    if row is None or row.state == TeamLifecycle.active.value:
        return None
    row.purge_after = when
    row.updated_at = now
    session.add(row)
    session.flush()
    return row


def due_for_purge(session: Session, *, now: datetime) -> list[str]:
    """The gone teams whose purge date has passed, oldest date first."""
    query = (
        select(TeamState.team_id)
        .where(
            TeamState.state != TeamLifecycle.active.value,
            col(TeamState.purge_after).is_not(None),
            col(TeamState.purge_after) <= now,
        )
        .order_by(col(TeamState.purge_after), col(TeamState.team_id))
    )
    return list(session.exec(query))


def stop_sending(session: Session, *, team_id: str, now: datetime) -> int:
    """Skip ``team_id``'s poll messages not sent yet and fail its result posts not posted
    yet; returns how many were stopped."""
    skipped = session.execute(
        update(PollDelivery)
        .where(col(PollDelivery.team_id) == team_id, col(PollDelivery.status) == "pending")
        .values(status="skipped", last_error=GONE_ERROR, updated_at=now)
    )
    failed = session.execute(
        update(PollResultPost)
        .where(
            col(PollResultPost.team_id) == team_id,
            col(PollResultPost.status).in_(("pending", "posting")),
        )
        .values(status="failed", last_error=GONE_ERROR, updated_at=now)
    )
    return int(skipped.rowcount or 0) + int(failed.rowcount or 0)  # type: ignore[attr-defined]


def row_counts(session: Session) -> dict[str, tuple[int, int]]:
    """Per team with any item or run: (debt items, poll runs)."""
    counts: dict[str, list[int]] = {}
    for index, team in enumerate((col(DebtItem.team_id), col(PollRun.team_id))):
        for team_id, count in session.execute(select(team, func.count()).group_by(team)):
            counts.setdefault(str(team_id), [0, 0])[index] = int(count)
    return {team: (items, runs) for team, (items, runs) in counts.items()}
