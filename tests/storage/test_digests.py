"""Digest posts: once per (team, digest, week, channel) in the database; what the digest reads."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.services.register import save_item
from storage import digest_reads, digests, snapshots
from storage.models import DigestPost
from tests.factories import NOW, TEAM, make_item

WEEK = date(2026, 11, 16)


def claim(session: Session, channel: str = "C0DIGEST", *, week: date = WEEK, force: bool = False):
    return digests.claim_post(
        session,
        team_id=TEAM,
        digest_id="weekly-digest",
        week=week,
        channel_id=channel,
        now=NOW,
        force=force,
    )


def test_a_week_is_claimed_once_per_channel_unless_forced(session: Session) -> None:
    first = claim(session)
    assert first is not None
    assert claim(session) is None  # a second trigger the same week
    assert claim(session, "C0OTHER") is not None  # another channel is its own post
    assert claim(session, week=WEEK + timedelta(weeks=1)) is not None  # next week
    digests.mark_posted(session, post_id=first, ts="1700000000.000100", now=NOW)
    session.commit()

    again = claim(session, force=True)
    assert again == first  # the same row, taken again on purpose
    row = session.get(DigestPost, first)
    assert row is not None
    session.refresh(row)
    assert (row.status, row.ts, row.forced) == ("posting", "", True)
    posted = digests.posts_for_week(session, team_id=TEAM, digest_id="weekly-digest", week=WEEK)
    assert sorted(p.channel_id for p in posted) == ["C0DIGEST", "C0OTHER"]


def test_the_database_refuses_a_second_row_and_a_bad_status(engine: Engine) -> None:
    with Session(engine) as session:
        claim(session)
        session.commit()
        session.add(
            DigestPost(team_id=TEAM, digest_id="weekly-digest", week=WEEK, channel_id="C0DIGEST")
        )
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        session.add(
            DigestPost(
                team_id=TEAM,
                digest_id="weekly-digest",
                week=WEEK,
                channel_id="C0NEW",
                status="sent?",
            )
        )
        with pytest.raises(IntegrityError):
            session.commit()


def test_last_posted_at_counts_posted_weeks_before_this_one(session: Session) -> None:
    earlier = claim(session, week=WEEK - timedelta(weeks=1))
    assert earlier is not None
    assert (
        digest_reads.last_posted_at(
            session, team_id=TEAM, digest_id="weekly-digest", before_week=WEEK
        )
        is None
    )  # claimed, never marked posted
    digests.mark_posted(session, post_id=earlier, ts="1.2", now=NOW - timedelta(days=7))
    this_week = claim(session)
    assert this_week is not None
    digests.mark_posted(session, post_id=this_week, ts="1.3", now=NOW)
    assert digest_reads.last_posted_at(
        session, team_id=TEAM, digest_id="weekly-digest", before_week=WEEK
    ) == NOW - timedelta(days=7)


def test_resolved_since_reads_the_audit_trail(session: Session) -> None:
    make_item(session, "DEBT-1", title="Flaky ingestion")
    make_item(session, "DEBT-2", title="Manual deploys")
    make_item(session, "DEBT-3", title="Notebooks")

    def status(key: str, value: str, when: datetime, reason: str = "") -> None:
        save_item(
            session,
            team_id=TEAM,
            key=key,
            fields={"status": value},
            actor="U0LEAD",
            reason=reason,
            now=when,
        )

    status("DEBT-1", "resolved", NOW, "/debt status: fixed by PR 412")
    status("DEBT-3", "resolved", NOW)
    status("DEBT-3", "open", NOW + timedelta(hours=1))  # it came back
    found = digest_reads.resolved_since(
        session, team_id=TEAM, since=NOW - timedelta(days=7), until=NOW + timedelta(days=1)
    )
    assert [(item.key, at, reason) for item, at, reason in found] == [
        ("DEBT-1", NOW, "/debt status: fixed by PR 412")
    ]
    assert not digest_reads.resolved_since(
        session, team_id=TEAM, since=NOW + timedelta(minutes=1), until=NOW + timedelta(days=1)
    )


def test_a_fix_imported_with_its_real_day_is_dated_by_it(session: Session) -> None:
    """A register import that says an item was resolved ten weeks ago: the digest reports it
    once (its change is new) but dated by the fix, so pain before and after is read around
    the fix rather than around the import."""
    make_item(session, "DEBT-4", title="Old fix")
    fixed = NOW - timedelta(weeks=10)
    save_item(
        session,
        team_id=TEAM,
        key="DEBT-4",
        fields={"status": "resolved", "resolved_at": fixed},
        actor="cli:lead",
        reason="imported from register.csv",
        now=NOW,
    )
    found = digest_reads.resolved_since(
        session, team_id=TEAM, since=NOW - timedelta(days=7), until=NOW + timedelta(days=1)
    )
    assert [(item.key, at, reason) for item, at, reason in found] == [
        ("DEBT-4", fixed, "imported from register.csv")
    ]


def test_score_history_per_item_and_week(session: Session) -> None:
    item = make_item(session, "DEBT-1")
    assert item.id is not None
    for weeks_ago, score in ((2, 30.0), (1, 35.5), (0, 41.0)):
        snapshots.write_snapshot(
            session,
            team_id=TEAM,
            taken_for=WEEK - timedelta(weeks=weeks_ago),
            rows=[
                {
                    "debt_item_id": item.id,
                    "rank": 1,
                    "score": score,
                    "components": {"risk": score},
                    "n_respondents": 0,
                    "suppressed": True,
                }
            ],
            weights_version="v1",
            at=NOW,
        )
    history = digest_reads.score_history(
        session, team_id=TEAM, item_ids=[item.id], since=WEEK - timedelta(weeks=1)
    )
    assert sorted(history) == [
        (item.id, WEEK - timedelta(weeks=1), 35.5),
        (item.id, WEEK, 41.0),
    ]
    assert list(session.exec(select(DigestPost))) == []
