"""Digest posts (once per digest, week and channel). What the digest reads besides scores is
in ``storage/digest_reads.py``."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from storage.dialect import insert
from storage.digest_reads import POSTED
from storage.models import DigestPost

POSTING = "posting"


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
