"""Digest posts (once per digest, week and channel) and what the digest reads besides scores."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from storage.dialect import insert
from storage.models import AuditEvent, DebtItem, DigestPost, PrioritySnapshot

POSTING, POSTED = "posting", "posted"
STATUS_ACTION = "item.status"


def claim_post(
    session: Session,
    *,
    team_id: str,
    digest_id: str,
    week: date,
    channel_id: str,
    now: datetime,
    force: bool = False,
) -> int | None:
    """Claim the week's post to ``channel_id``; its row id, or None when it was claimed before.

    A forced claim takes the week's row again (a second post is then on purpose).
    """
    values = {
        "team_id": team_id,
        "digest_id": digest_id,
        "week": week,
        "channel_id": channel_id,
        "status": POSTING,
        "ts": "",
        "posted_at": None,
        "forced": force,
    }
    statement = insert(session, DigestPost).values(**values)
    keys = ["team_id", "digest_id", "week", "channel_id"]
    if force:
        statement = statement.on_conflict_do_update(
            index_elements=keys, set_={"status": POSTING, "ts": "", "forced": True}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    row = session.execute(statement.returning(DigestPost.id)).first()
    return None if row is None else int(row[0])


def mark_posted(session: Session, *, post_id: int, ts: str, now: datetime) -> None:
    post = session.get(DigestPost, post_id)
    if post is not None:
        post.status, post.ts, post.posted_at = POSTED, ts, now
        session.add(post)


def posts_for_week(
    session: Session, *, team_id: str, digest_id: str, week: date
) -> list[DigestPost]:
    return list(
        session.exec(
            select(DigestPost).where(
                DigestPost.team_id == team_id,
                DigestPost.digest_id == digest_id,
                DigestPost.week == week,
            )
        )
    )


def last_posted_at(
    session: Session, *, team_id: str, digest_id: str, before_week: date
) -> datetime | None:
    """When the digest was last posted for a week before ``before_week``."""
    return session.exec(
        select(DigestPost.posted_at)
        .where(
            DigestPost.team_id == team_id,
            DigestPost.digest_id == digest_id,
            DigestPost.week < before_week,
            DigestPost.status == POSTED,
        )
        .order_by(col(DigestPost.posted_at).desc())
        .limit(1)
    ).first()


def resolved_since(
    session: Session, *, team_id: str, since: datetime, until: datetime
) -> list[tuple[DebtItem, datetime, str]]:
    """Items set to ``resolved`` in [since, until) that are still resolved: with when, and
    the audit reason of that change."""
    events = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.team_id == team_id,
            AuditEvent.action == STATUS_ACTION,
            col(AuditEvent.at) >= since,
            col(AuditEvent.at) < until,
        )
        .order_by(col(AuditEvent.at))
    )
    latest: dict[str, tuple[datetime, str]] = {}
    for event in events:
        if (event.after or {}).get("status") == "resolved":
            latest[event.subject] = (event.at, event.reason)
    if not latest:
        return []
    items = session.exec(
        select(DebtItem).where(
            DebtItem.team_id == team_id,
            col(DebtItem.key).in_(list(latest)),
            DebtItem.status == "resolved",
        )
    )
    return [(item, *latest[item.key]) for item in items]


def score_history(
    session: Session, *, team_id: str, item_ids: list[int], since: date
) -> list[tuple[int, date, float]]:
    """(item id, week, score) of the items' snapshots from ``since`` on."""
    rows = session.exec(
        select(
            col(PrioritySnapshot.debt_item_id),
            col(PrioritySnapshot.taken_for),
            col(PrioritySnapshot.score),
        ).where(
            PrioritySnapshot.team_id == team_id,
            col(PrioritySnapshot.debt_item_id).in_(item_ids),
            col(PrioritySnapshot.taken_for) >= since,
        )
    )
    return [(int(i), d, float(s)) for i, d, s in rows]
