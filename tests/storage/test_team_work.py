"""The queries the worker finds each team's work with, and the reminder claim two workers race
for: one of them records it, the other finds it taken (on both databases)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from storage import deliveries, polls, result_posts
from storage.db import session_scope
from tests.factories import NOW, make_run


def test_the_teams_with_work_are_found_in_one_query_each(engine: Engine, session: Session) -> None:
    busy = make_run(session, team_id="T0BUSY", status="open")
    make_run(session, team_id="T0CLOSED", status="closed")
    later = make_run(session, team_id="T0LATER", status="open")
    session.commit()
    deliveries.plan(session, run=busy, due={"U1": None, "U2": None})
    deliveries.plan(session, run=later, due={"U3": NOW + timedelta(hours=3)})
    result_posts.plan(session, run=later, targets=[("C0LATER", "")])
    session.commit()

    assert polls.teams_with_open_runs(session) == ["T0BUSY", "T0LATER"]
    busy_runs = polls.runs_with_status(session, status="open", team_id="T0BUSY")
    assert [r.team_id for r in busy_runs] == ["T0BUSY"]
    due = {"until": NOW + timedelta(minutes=1), "claimed_before": NOW - timedelta(minutes=10)}
    assert deliveries.teams_due(session, **due) == ["T0BUSY"]  # the later one is not due yet
    assert deliveries.teams_due(session, **{**due, "until": NOW + timedelta(hours=4)}) == [
        "T0BUSY",
        "T0LATER",
    ]
    stale = NOW - timedelta(minutes=10)
    assert result_posts.teams_due(session, stale_before=stale) == ["T0LATER"]
    assert result_posts.runs_due(session, stale_before=stale, team_id="T0BUSY") == []


def test_a_reminder_is_claimed_by_one_of_two_workers(engine: Engine, session: Session) -> None:
    run = make_run(session, team_id="T0TEAM", status="open")
    session.commit()
    deliveries.plan(session, run=run, due={"U1": None})
    session.commit()
    (delivery,) = polls.deliveries(session, run_id=run.id or 0)
    delivery_id = delivery.id or 0
    start = threading.Barrier(2)
    claimed: list[bool] = []

    def remind() -> None:
        start.wait(timeout=5)
        with session_scope(engine) as mine:
            claimed.append(polls.note_reminder(mine, delivery_id=delivery_id, covers=1, now=NOW))

    threads = [threading.Thread(target=remind) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(claimed) == [False, True]
    with session_scope(engine) as mine:  # a later offset is a reminder of its own
        assert polls.note_reminder(mine, delivery_id=delivery_id, covers=2, now=NOW)
        assert not polls.note_reminder(mine, delivery_id=delivery_id, covers=1, now=NOW)
