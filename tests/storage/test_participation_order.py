"""shuffle_participation on both databases: the same rows, in another order, nothing else."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from storage import db, polls
from storage.models import Participation
from tests.factories import make_run

PEOPLE = [f"U0P{n:02d}" for n in range(20)]
DAY = date(2026, 11, 23)


def test_the_rows_come_back_in_another_order(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        run = make_run(session, anonymous=True)
        other = make_run(session, survey_id="other", anonymous=True)
        for person in PEOPLE:
            polls.record_participation(session, run=run, user_id=person, answered_on=DAY)
        polls.record_participation(session, run=other, user_id="U0ELSE", answered_on=DAY)
    with db.session_scope(engine) as session:
        assert polls.shuffle_participation(session, run_id=run.id or 0, rng=random.Random(7)) == 20
    with Session(engine) as session:
        rows = session.exec(select(Participation).order_by(col(Participation.id))).all()
    mine = [r for r in rows if r.poll_run_id == run.id]
    assert [r.user_id for r in mine] != PEOPLE and sorted(r.user_id for r in mine) == PEOPLE
    assert {(r.team_id, r.answered_on) for r in mine} == {(run.team_id, DAY)}
    assert [r.user_id for r in rows if r.poll_run_id == other.id] == ["U0ELSE"]  # untouched
    with db.session_scope(engine) as session:  # the uniqueness still holds
        polls.record_participation(session, run=run, user_id=PEOPLE[0], answered_on=DAY)
        assert polls.participation_count(session, run_id=run.id or 0) == 20
