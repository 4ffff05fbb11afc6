"""Held anonymous answers and their release in groups, on both databases.

The rule (README, Anonymity): at a close, a question's answers about an item are released
when at least MIN_GROUP distinct people gave them, pooled with what earlier closed runs
still hold; otherwise they stay held. Released rows keep no key and no answering order.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from storage import db, held, responses
from storage.models import AnswerRelease, HeldAnswer, PollRun, Response
from tests.factories import TEAM, make_item, make_run

WEEK1 = datetime(2026, 11, 2, 9, tzinfo=UTC)
HORIZON = timedelta(weeks=8)


def _hold(
    session: Session, run: PollRun, item: int | None, person: str, value: float, **kw: str
) -> None:
    assert run.id is not None
    held.hold_answer(
        session,
        team_id=TEAM,
        poll_run_id=run.id,
        question_id=kw.get("question", "pain"),
        debt_item_id=item,
        respondent=f"anon:{run.id}:{person}",
        person=(kw.get("key_id", "k1"), f"person:{person}"),
        value=value,
        text_value=None,
        day=(run.opened_at or run.scheduled_for).date(),
    )


def _run(session: Session, week: int, **values: object) -> PollRun:
    at = WEEK1 + timedelta(weeks=week)
    return make_run(
        session, scheduled_for=at, anonymous=True, opened_at=at, status="open", **values
    )


def _close(session: Session, run: PollRun, min_group: int = 5) -> list[held.Released]:
    session.execute(update(PollRun).where(col(PollRun.id) == run.id).values(status="closed"))
    session.refresh(run)
    return held.release_at_close(
        session, run=run, min_group=min_group, horizon=HORIZON, rng=random.Random(1)
    )


def test_a_run_with_a_group_is_released_in_random_order_without_keys(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        item = make_item(session).id
        run = _run(session, 0)
        values = [1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 4.0, 3.0]
        for n, value in enumerate(values):  # answering order: p0 first
            _hold(session, run, item, f"p{n}", value)
        released = _close(session, run)
    assert released == [held.Released("pain", item, 8, 8)]
    with Session(engine) as session:
        rows = session.exec(select(Response).order_by(col(Response.id))).all()
        assert session.exec(select(HeldAnswer)).all() == []
        group = session.exec(select(AnswerRelease)).one()
    assert sorted(r.value for r in rows) == sorted(values)
    assert [r.value for r in rows] != values  # not in answering order
    assert len({r.respondent for r in rows}) == 8
    assert not any(r.respondent.startswith(f"anon:{run.id}:") for r in rows)  # no held key
    assert {(r.answered_day, r.answered_at.time().isoformat()) for r in rows} == {
        (date(2026, 11, 2), "00:00:00")
    }
    assert (group.people, group.answers, group.day) == (8, 8, date(2026, 11, 2))


def test_too_few_people_are_held_and_pooled_with_a_later_run(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        item = make_item(session).id
        first = _run(session, 0)
        _hold(session, first, item, "bob", 5.0)
        assert _close(session, first) == []  # Bob alone: held
        second = _run(session, 1)
        for person in ("ann", "cy", "dee"):  # three more: four people, still held
            _hold(session, second, item, person, 2.0)
        _hold(session, second, item, "bob", 4.0)  # Bob again: still one person
        assert _close(session, second) == []
        third = _run(session, 2)
        _hold(session, third, item, "eve", 1.0)  # the fifth person releases the pool
        released = _close(session, third)
        assert released == [held.Released("pain", item, 5, 6)]
        results = responses.run_results(session, run=third, min_group=5)
        assert results == {("pain", item): (5, (5 + 2 * 3 + 4 + 1) / 6)}
        # the earlier runs show nothing of it: the group belongs to the closing run
        assert responses.run_results(session, run=first, min_group=5) == {}
        assert responses.run_results(session, run=second, min_group=5) == {}
    with Session(engine) as session:
        rows = session.exec(select(Response)).all()
    assert {(r.poll_run_id, r.answered_day) for r in rows} == {(third.id, date(2026, 11, 16))}


def test_an_open_run_pools_nothing_and_people_of_two_secrets_never_add_up(
    engine: Engine,
) -> None:
    with db.session_scope(engine) as session:
        item = make_item(session).id
        old = _run(session, 0)
        for person in ("a", "b", "c"):
            _hold(session, old, item, person, 3.0, key_id="old")
        _close(session, old)
        still_open = _run(session, 1, survey_id="other")
        for person in ("d", "e", "f"):
            _hold(session, still_open, item, person, 3.0)
        closing = _run(session, 1)
        for person in ("a", "b"):  # after a rotation: new keys for the same people
            _hold(session, closing, item, person, 3.0)
        # 3 people under the old secret, 2 under the new, 3 more in an open run: no group
        assert _close(session, closing) == []
        assert session.exec(select(Response)).all() == []


def test_groups_are_per_question_and_item(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        one, two = make_item(session).id, make_item(session, "DEBT-2").id
        run = _run(session, 0)
        for n in range(5):
            _hold(session, run, one, f"p{n}", 4.0)
            _hold(session, run, None, f"p{n}", 3.0, question="mood")
        for n in range(4):
            _hold(session, run, two, f"p{n}", 1.0)
        released = _close(session, run)
    assert sorted((r.question_id, r.debt_item_id, r.people) for r in released) == [
        ("mood", None, 5),
        ("pain", one, 5),
    ]
    with Session(engine) as session:
        kept = session.exec(select(HeldAnswer)).all()
    assert {(h.debt_item_id, h.value) for h in kept} == {(two, 1.0)}


def test_held_answers_older_than_the_horizon_expire_unreleased(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        item = make_item(session).id
        old = _run(session, 0)
        for person in ("a", "b"):
            _hold(session, old, item, person, 5.0)
        _close(session, old)
        late = _run(session, 9)  # nine weeks later: the old answers no longer pool
        for person in ("c", "d", "e"):
            _hold(session, late, item, person, 1.0)
        assert _close(session, late) == []
        gone = held.expire(session, team_id=TEAM, before=(WEEK1 + timedelta(weeks=9 - 8)).date())
        assert gone == 2
        left = session.exec(select(HeldAnswer)).all()
    assert sorted(h.value for h in left) == [1.0, 1.0, 1.0]
