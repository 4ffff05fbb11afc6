"""Hours lost per item and week (``storage.hours``), on both databases.

Named answers count as they are; an anonymous run's only once released in a group of at
least the minimum, like pain. Hours never reach pain_sum, nor the ranking's Pain, Breadth
and Trend.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, text, update
from sqlmodel import Session, col

from bot.core.priority import ScoreBreakdown
from bot.core.score_settings import ScoreSettings
from bot.services.ranking import current_ranking
from storage import db, held, polls, responses
from storage.hours import WeekHours, weekly_headcount, weekly_hours
from storage.models import PollRun
from tests.factories import TEAM, make_item, make_run

MONDAY = datetime(2026, 11, 2, 14, tzinfo=UTC)  # a Monday; its week is 2026-11-02..08
SINCE, UNTIL = date(2026, 10, 1), date(2027, 1, 1)
HORIZON = timedelta(weeks=52)


def _answer(
    session: Session,
    run: PollRun,
    item: int,
    who: str,
    value: float,
    *,
    question: str = "hours",
    at: datetime | None = None,
    team: str = TEAM,
) -> None:
    assert run.id is not None
    responses.upsert_response(
        session,
        team_id=team,
        poll_run_id=run.id,
        question_id=question,
        debt_item_id=item,
        respondent=who,
        value=value,
        text_value=None,
        at=at or run.scheduled_for,
    )


def _weeks(session: Session, item: int, **kw: object) -> list[WeekHours]:
    bounds: dict[str, object] = {"since": SINCE, "until": UNTIL, "min_group": 5} | kw
    return weekly_hours(session, TEAM, item, **bounds)  # type: ignore[arg-type]


def _anon_run(session: Session, week: int, survey: str = "anon-hours") -> PollRun:
    at = MONDAY + timedelta(weeks=week)
    return make_run(session, survey, scheduled_for=at, anonymous=True, opened_at=at, status="open")


def _hold(session: Session, run: PollRun, item: int, person: str, value: float, *, q: str) -> None:
    assert run.id is not None
    held.hold_answer(
        session,
        team_id=TEAM,
        poll_run_id=run.id,
        question_id=q,
        debt_item_id=item,
        respondent=f"anon:{run.id}:{person}",
        person=("k1", f"person:{person}"),
        value=value,
        text_value=None,
        day=(run.opened_at or run.scheduled_for).date(),
    )


def _close(session: Session, run: PollRun) -> list[held.Released]:
    session.execute(update(PollRun).where(col(PollRun.id) == run.id).values(status="closed"))
    session.refresh(run)
    return held.release_at_close(
        session, run=run, min_group=5, horizon=HORIZON, rng=random.Random(3)
    )


def test_named_hours_add_up_per_week_for_the_item_only(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        item, other = make_item(session).id, make_item(session, "DEBT-2").id
        assert item is not None and other is not None
        first = make_run(session, "team-hours", scheduled_for=MONDAY)
        second = make_run(session, "team-hours", scheduled_for=MONDAY + timedelta(weeks=1))
        _answer(session, first, item, "U1", 1.5)
        _answer(session, first, item, "U2", 3.0, at=MONDAY + timedelta(days=6))  # Sunday
        _answer(session, first, item, "U1", 6.0)  # a re-answer replaces 1.5
        _answer(session, second, item, "U1", 0.5)
        _answer(session, second, item, "U3", 0.0)  # "None" counts: a person, no hours
        # none of these count: another item, the pain question, another team
        _answer(session, first, other, "U1", 20.0)
        _answer(session, first, item, "U4", 4.0, question="pain")
        _answer(session, first, item, "U5", 12.0, team="T0OTHER")
        weeks = _weeks(session, item)
        assert weeks == [
            WeekHours(date(2026, 11, 2), 2, 9.0, 4.5),
            WeekHours(date(2026, 11, 9), 2, 0.5, 0.25),
        ]
        # since is inclusive and until exclusive, by the answer's day
        assert _weeks(session, item, since=date(2026, 11, 8), until=date(2026, 11, 9)) == [
            WeekHours(date(2026, 11, 2), 1, 3.0, 3.0)
        ]
        assert _weeks(session, item, until=date(2026, 11, 9)) == weeks[:1]
        at_midnight = datetime(2026, 11, 9, tzinfo=UTC)  # an aware datetime: its UTC day
        assert _weeks(session, item, since=at_midnight) == weeks[1:]
        assert _weeks(session, other) == [WeekHours(date(2026, 11, 2), 1, 20.0, 20.0)]


def test_anonymous_hours_count_only_once_a_group_is_released(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        item = make_item(session).id
        assert item is not None
        first = _anon_run(session, 0)
        for person, value in zip("abcd", (1.5, 3.0, 6.0, 0.5), strict=True):
            _hold(session, first, item, person, value, q="hours")
        assert _close(session, first) == []  # four people: held, not readable
        assert _weeks(session, item) == []
        second = _anon_run(session, 1)
        _hold(session, second, item, "e", 12.0, q="hours")  # the fifth person
        assert _close(session, second) == [held.Released("hours", item, 5, 5)]
        # the pooled group counts in the week of the run that released it
        assert _weeks(session, item) == [WeekHours(date(2026, 11, 9), 5, 23.0, 4.6)]
        # a group smaller than the minimum in force (raised since) counts for nothing
        assert _weeks(session, item, min_group=6) == []


def test_named_and_released_answers_of_one_week_add_up(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        item = make_item(session).id
        assert item is not None
        named = make_run(session, "team-hours", scheduled_for=MONDAY)
        _answer(session, named, item, "U1", 20.0)
        anonymous = _anon_run(session, 0)
        for person in "abcde":
            _hold(session, anonymous, item, person, 3.0, q="hours")
        _close(session, anonymous)
        assert _weeks(session, item) == [WeekHours(date(2026, 11, 2), 6, 35.0, 35.0 / 6)]


def _scores(session: Session) -> dict[str, ScoreBreakdown]:
    """Each item's whole breakdown: score, components, respondents, pain mean, interval."""
    now = MONDAY + timedelta(weeks=2)
    ranking = current_ranking(session, team_id=TEAM, now=now, settings=ScoreSettings())
    return {item.breakdown.key: item.breakdown for item in ranking.items}


def _pain_sums(session: Session) -> list[tuple]:
    rows = session.connection().execute(
        text(
            "SELECT debt_item_id, poll_run_id, day, n, sum_x, sum_x2 FROM pain_sum "
            "ORDER BY debt_item_id, poll_run_id, day"
        )
    )
    return [tuple(row) for row in rows]


def test_hours_answers_never_move_the_score(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        one, two = make_item(session).id, make_item(session, "DEBT-2").id
        assert one is not None and two is not None
        named = make_run(session, "team-pulse", scheduled_for=MONDAY)
        anonymous = _anon_run(session, 1, survey="anon-pulse")
        for n, value in enumerate((5, 4, 4, 2, 3, 5)):
            _answer(session, named, one, f"U{n}", value, question="pain")
            _answer(session, named, two, f"U{n}", 6 - value, question="pain")
            _hold(session, anonymous, one, f"p{n}", value, q="pain")
        _close(session, anonymous)
        before, sums_before = _scores(session), _pain_sums(session)
        assert before["DEBT-1"].components["pain"] > 0
        assert before["DEBT-1"].components["breadth"] > 0
        assert before["DEBT-1"].n_respondents == 6

        # the same people report hours lost: many, on the item with less pain
        later_named = make_run(session, "team-hours", scheduled_for=MONDAY)
        later_anon = _anon_run(session, 1)
        for n in range(6):
            _answer(session, later_named, two, f"U{n}", 20.0)
            _hold(session, later_anon, two, f"p{n}", 20.0, q="hours")
        assert _close(session, later_anon) == [held.Released("hours", two, 6, 6)]
        assert [w.total for w in _weeks(session, two)] == [120.0, 120.0]  # they are there
        assert _pain_sums(session) == sums_before
        assert _scores(session) == before


def test_headcount_is_the_largest_run_of_each_week(engine: Engine) -> None:
    with db.session_scope(engine) as session:
        runs = [
            make_run(session, "team-hours", scheduled_for=MONDAY),
            make_run(session, "team-pulse", scheduled_for=MONDAY + timedelta(days=3)),
            make_run(session, "team-pulse", scheduled_for=MONDAY + timedelta(weeks=1)),
            make_run(session, "team-pulse", scheduled_for=MONDAY + timedelta(weeks=3)),
            make_run(session, "team-pulse", scheduled_for=MONDAY, team_id="T0OTHER"),
        ]
        for run, people in zip(runs, (3, 5, 2, 4, 9), strict=True):
            for n in range(people):
                polls.record_participation(
                    session, run=run, user_id=f"U{n}", answered_on=run.scheduled_for.date()
                )
        counts = weekly_headcount(session, TEAM, since=date(2026, 11, 2), until=date(2026, 11, 23))
    assert counts == {date(2026, 11, 2): 5, date(2026, 11, 9): 2}
