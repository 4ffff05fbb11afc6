"""poll_result_post on both databases: one row per run and channel, one poster at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import db, result_posts
from storage.models import PollResultPost
from tests.factories import NOW, make_run

STALE = NOW - timedelta(minutes=10)


def test_a_run_owes_one_post_per_channel_and_one_caller_posts_it(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        run = make_run(session, status="closed")
        result_posts.plan(session, run=run, targets=[("C0A", "1.1"), ("C0B", "")])
        result_posts.plan(session, run=run, targets=[("C0A", "2.2")])  # a second close: kept
        [a, b] = result_posts.of_run(session, run_id=run.id or 0)
    assert [(p.channel_id, p.thread_ts, p.status) for p in (a, b)] == [
        ("C0A", "1.1", "pending"),
        ("C0B", "", "pending"),
    ]
    with db.session_scope(engine) as session:
        assert result_posts.runs_due(session, stale_before=STALE) == [run.id]
        assert result_posts.claim(session, post_id=a.id or 0, now=NOW, stale_before=STALE)
        assert not result_posts.claim(session, post_id=a.id or 0, now=NOW, stale_before=STALE)
        result_posts.mark(session, post_id=b.id or 0, status="posted", now=NOW, message_ts="3.3")
    with db.session_scope(engine) as session:
        # a post under way is not due, unless its poster stopped long ago
        assert result_posts.runs_due(session, stale_before=STALE) == []
        later = NOW + timedelta(minutes=11)
        assert result_posts.runs_due(session, stale_before=later - timedelta(minutes=10)) == [
            run.id
        ]


def test_the_status_is_checked_by_the_database(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        run = make_run(session, status="closed")
        run_id = run.id
    with pytest.raises(IntegrityError), Session(engine) as session:
        session.add(
            PollResultPost(team_id="T1", poll_run_id=run_id or 0, channel_id="C0X", status="lost")
        )
        session.commit()
