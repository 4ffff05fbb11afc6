"""The delivery queue: a run's planned messages, claimed one at a time by any number of
senders in any number of processes.

A delivery is ``pending`` until sent; a sender claims it by marking it ``sending`` (in
``last_error``, with ``updated_at`` the moment of the claim) in a transaction of its own,
sends it, and records the outcome. On PostgreSQL the claim skips rows another transaction is
claiming (``FOR UPDATE SKIP LOCKED``), so concurrent senders never wait on each other; on
SQLite the write transaction is the claim's lock. A delivery found ``sending`` is never
claimed again: it may have reached Slack (see :func:`give_up_interrupted`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlmodel import Session, col

from storage.dialect import insert
from storage.models import PollDelivery, PollRun, metadata
from storage.types import utcnow

#: ``last_error`` of a delivery a sender has claimed and not yet marked.
SENDING = "sending"
INTERRUPTED = "interrupted while sending"
_UNSET: Any = object()


class Claimed(NamedTuple):
    """A delivery this sender claimed (``attempts`` counts the claim)."""

    id: int
    poll_run_id: int
    recipient: str
    attempts: int


def plan(session: Session, *, run: PollRun, due: Mapping[str, datetime | None]) -> None:
    """Record every delivery of a run before sending, in one statement (``due``: recipient →
    not before when, None for at once); recipients planned already are left as they are."""
    if not due:
        return
    now = utcnow()
    rows = [
        {
            "team_id": run.team_id,
            "poll_run_id": run.id,
            "recipient": recipient,
            "channel_id": "",
            "status": "pending",
            "attempts": 0,
            "last_error": "",
            "message_ts": "",
            "reminders_sent": 0,
            "updated_at": now,
            "due_at": at,
        }
        for recipient, at in due.items()
    ]
    table: Any = PollDelivery.__table__  # type: ignore[attr-defined]
    statement = insert(session, table).on_conflict_do_nothing(
        index_elements=["poll_run_id", "recipient"]
    )
    session.connection().execute(statement, rows)


def _waiting(team_id: str) -> Any:
    """Pending deliveries of the team's open runs that nobody is sending."""
    return and_(
        col(PollDelivery.team_id) == team_id,
        col(PollDelivery.status) == "pending",
        col(PollDelivery.last_error) != SENDING,
        col(PollRun.status) == "open",
    )


def _due(now: datetime) -> Any:
    return or_(col(PollDelivery.due_at).is_(None), col(PollDelivery.due_at) <= now)


_COLUMNS = metadata.tables["poll_delivery"].c
#: The claim's two statements, built once: a sender runs them for every message, and a
#: statement built anew costs its construction and its cache key each time.
_CANDIDATE = (
    select(col(PollDelivery.id))
    .join(PollRun, col(PollRun.id) == col(PollDelivery.poll_run_id))
    .where(
        col(PollDelivery.team_id) == bindparam("team_id"),
        col(PollDelivery.status) == "pending",
        col(PollDelivery.last_error) != SENDING,
        col(PollRun.status) == "open",
        or_(col(PollDelivery.due_at).is_(None), col(PollDelivery.due_at) <= bindparam("now")),
    )
    .order_by(col(PollDelivery.id))
    .limit(1)
    .with_for_update(skip_locked=True, of=PollDelivery)
)
_CLAIM = (
    update(PollDelivery)
    .where(
        col(PollDelivery.id) == bindparam("delivery_id"),
        col(PollDelivery.status) == "pending",
        col(PollDelivery.last_error) != SENDING,
    )
    .values(
        last_error=SENDING,
        attempts=col(PollDelivery.attempts) + 1,
        updated_at=bindparam("now", type_=_COLUMNS["updated_at"].type),
    )
    .returning(
        col(PollDelivery.id),
        col(PollDelivery.poll_run_id),
        col(PollDelivery.recipient),
        col(PollDelivery.attempts),
    )
    .execution_options(synchronize_session=False)
)


def claim_next(session: Session, *, team_id: str, now: datetime) -> Claimed | None:
    """Claim the team's oldest delivery due at ``now`` (of an open run); None when none is."""
    delivery_id = session.execute(_CANDIDATE, {"team_id": team_id, "now": now}).scalar()
    if delivery_id is None:
        return None
    row = session.execute(_CLAIM, {"delivery_id": delivery_id, "now": now}).first()
    return Claimed(*row) if row is not None else None


def next_due(session: Session, *, team_id: str) -> datetime | None:
    """When the team's next waiting delivery comes due (in the past: due now); None when
    nothing waits."""
    earliest = session.execute(
        select(func.min(func.coalesce(col(PollDelivery.due_at), col(PollDelivery.updated_at))))
        .join(PollRun, col(PollRun.id) == col(PollDelivery.poll_run_id))
        .where(_waiting(team_id))
    ).scalar_one_or_none()
    return earliest if isinstance(earliest, datetime) else None


def idle(session: Session, *, team_id: str, until: datetime, claimed_before: datetime) -> bool:
    """True when none of the team's waiting deliveries comes due before ``until`` and no
    claim is older than ``claimed_before``: a sender has nothing to do (one read)."""
    due = (
        select(col(PollDelivery.id))
        .join(PollRun, col(PollRun.id) == col(PollDelivery.poll_run_id))
        .where(_waiting(team_id), _due(until))
        .limit(1)
    )
    stale = (
        select(col(PollDelivery.id))
        .where(
            col(PollDelivery.team_id) == team_id,
            col(PollDelivery.status) == "pending",
            col(PollDelivery.last_error) == SENDING,
            col(PollDelivery.updated_at) < claimed_before,
        )
        .limit(1)
    )
    return session.execute(due).first() is None and session.execute(stale).first() is None


def teams_due(session: Session, *, until: datetime, claimed_before: datetime) -> list[str]:
    """The teams with a delivery to send before ``until`` (of an open run) or a claim older
    than ``claimed_before`` to give up: the senders' work, one query for every team."""
    due = (
        select(col(PollDelivery.team_id))
        .join(PollRun, col(PollRun.id) == col(PollDelivery.poll_run_id))
        .where(
            col(PollDelivery.status) == "pending",
            col(PollDelivery.last_error) != SENDING,
            col(PollRun.status) == "open",
            _due(until),
        )
    )
    stale = select(col(PollDelivery.team_id)).where(
        col(PollDelivery.status) == "pending",
        col(PollDelivery.last_error) == SENDING,
        col(PollDelivery.updated_at) < claimed_before,
    )
    teams = session.execute(due.union(stale)).scalars()
    return sorted(str(team) for team in teams)


def finish(
    session: Session,
    *,
    delivery_id: int,
    status: str,
    now: datetime,
    error: str = "",
    channel_id: str = "",
    message_ts: str = "",
    due_at: datetime | None = _UNSET,
) -> None:
    """Record a claimed delivery's outcome: ``sent`` (with where and its ``ts``), ``pending``
    again (to be tried at ``due_at``), ``skipped`` or ``failed``."""
    values: dict[str, Any] = {
        "status": status,
        "attempts": col(PollDelivery.attempts) + 1,
        "updated_at": now,
        "last_error": error[:200],
    }
    if channel_id:
        values["channel_id"] = channel_id
    if message_ts:
        values["message_ts"] = message_ts
    if due_at is not _UNSET:
        values["due_at"] = due_at
    statement = _finishing(tuple(values))
    session.execute(
        statement,
        {f"v_{name}": value for name, value in values.items()} | {"delivery_id": delivery_id},
    )


@cache
def _finishing(names: tuple[str, ...]) -> Any:
    """The UPDATE :func:`finish` runs for these columns, built once per set of columns."""
    values: dict[str, Any] = {
        name: (
            col(PollDelivery.attempts) + 1
            if name == "attempts"
            else bindparam(f"v_{name}", type_=_COLUMNS[name].type)
        )
        for name in names
    }
    return (
        update(PollDelivery)
        .where(col(PollDelivery.id) == bindparam("delivery_id"))
        .values(values)
        .execution_options(synchronize_session=False)
    )


def give_up_interrupted(session: Session, *, team_id: str, claimed_before: datetime) -> int:
    """Mark failed the team's deliveries claimed before ``claimed_before`` and never marked:
    their sender stopped mid-send and the message may have landed, so none is sent again.
    How many."""
    result = session.execute(
        update(PollDelivery)
        .where(
            col(PollDelivery.team_id) == team_id,
            col(PollDelivery.status) == "pending",
            col(PollDelivery.last_error) == SENDING,
            col(PollDelivery.updated_at) < claimed_before,
        )
        .values(
            status="failed",
            last_error=INTERRUPTED,
            attempts=col(PollDelivery.attempts) + 1,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
