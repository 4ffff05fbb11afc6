"""pain_sum, kept by triggers, always equals the sums over the answers themselves."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, text
from sqlmodel import Session

from storage import aggregates, responses
from storage.models import DebtItem
from tests.factories import NOW, TEAM, make_item, make_run

RAW = """
SELECT debt_item_id, poll_run_id, count(*), sum(value), sum(value * value),
       sum(CASE WHEN value >= 4 THEN 1 ELSE 0 END)
FROM response WHERE question_id = 'pain' AND debt_item_id IS NOT NULL AND value IS NOT NULL
GROUP BY debt_item_id, poll_run_id
"""


def _from_sums(session: Session) -> set[tuple]:
    groups = aggregates.pain_groups(
        session, team_id=TEAM, since=NOW - timedelta(days=30), high_threshold=4, min_group=3
    )
    totals: dict[tuple[int, int], list[float]] = {}
    for g in groups:
        t = totals.setdefault((g.debt_item_id, g.poll_run_id), [0, 0.0, 0.0, 0])
        t[0] += g.n_answers
        t[1] += g.sum_x
        t[2] += g.sum_x2
        t[3] += g.n_high
    return {(i, r, int(n), sx, sx2, int(h)) for (i, r), (n, sx, sx2, h) in totals.items() if n}


def _from_answers(engine: Engine) -> set[tuple]:
    with engine.connect() as conn:
        return {
            (int(i), int(r), int(n), float(sx), float(sx2), int(h))
            for i, r, n, sx, sx2, h in conn.execute(text(RAW))
        }


def _answer(session: Session, run_id: int, item_id: int, who: str, value: float, *, days: int = 0):
    responses.upsert_response(
        session,
        team_id=TEAM,
        poll_run_id=run_id,
        question_id="pain",
        debt_item_id=item_id,
        respondent=who,
        value=value,
        text_value=None,
        at=NOW - timedelta(days=days),
    )


def test_sums_follow_inserts_re_answers_and_deletes(engine: Engine, session: Session) -> None:
    one, two = make_item(session, "DEBT-1"), make_item(session, "DEBT-2")
    run, later = make_run(session), make_run(session, scheduled_for=NOW + timedelta(days=7))
    assert one.id and two.id and run.id and later.id
    for n, value in enumerate([5, 4, 2, 1, 3]):
        _answer(session, run.id, one.id, f"u{n}", value, days=n % 2)
        _answer(session, later.id, two.id, f"u{n}", 6 - value)
    _answer(session, run.id, one.id, "u0", 1, days=0)  # re-answer: 5 becomes 1
    _answer(session, run.id, one.id, "u3", 4, days=1)  # 1 becomes 4
    responses.upsert_response(  # not the pain question: no effect on the sums
        session,
        team_id=TEAM,
        poll_run_id=run.id,
        question_id="note",
        debt_item_id=None,
        respondent="u1",
        value=None,
        text_value="hi",
        at=NOW,
    )
    session.commit()
    assert _from_sums(session) == _from_answers(engine)
    session.delete(session.get(DebtItem, two.id))  # cascades to its answers
    session.commit()
    assert _from_sums(session) == _from_answers(engine)
    assert {row[0] for row in _from_sums(session)} == {one.id}
