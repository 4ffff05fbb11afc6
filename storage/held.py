"""Anonymous answers held until a group of people releases them together.

An anonymous run's answers are written here while it is open. At its close, each question
(about an item, or not) the run was answered on is looked at with the answers of the same
question and item still held from earlier closed runs: when at least ``min_group`` distinct
people gave them, they are released together — written to ``response`` under the closing
run, in random order, with random respondent keys and the run's day, and recorded in
``answer_release`` — and deleted here. Otherwise they stay held until a later close
completes the group, or expire when older than the scoring horizon.

So every change of a number about an item holds nobody's new answer or a whole group's,
and no key or order of a held answer survives its release.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from storage import deferred
from storage.dialect import insert_for, lock_for_transaction
from storage.models import AnswerRelease, HeldAnswer, PollRun, Response
from storage.responses import answer_conflict

_RNG = random.SystemRandom()


def hold_answer(
    session: Session,
    *,
    team_id: str,
    poll_run_id: int,
    question_id: str,
    debt_item_id: int | None,
    respondent: str,
    person: tuple[str, str],
    value: float | None,
    text_value: str | None,
    day: date,
) -> None:
    """Hold one anonymous answer; the same person's earlier answer to it in the run is
    replaced (``respondent`` is the per-run key, ``person`` = (key id, person key))."""
    key_id, person_key = person
    row = {
        "team_id": team_id,
        "poll_run_id": poll_run_id,
        "question_id": question_id,
        "debt_item_id": debt_item_id,
        "respondent": respondent,
        "key_id": key_id,
        "person": person_key,
        "value": value,
        "text": text_value,
        "answered_day": day,
    }
    hold_answers(session, [row])


def hold_answers(session: Session, rows: list[dict[str, Any]]) -> None:
    """Hold several answers (rows of :class:`HeldAnswer`'s columns) with one statement per
    kind (about an item or not), in their order."""
    dialect = session.get_bind().dialect.name
    for about_item in (True, False):
        kind = [row for row in rows if (row["debt_item_id"] is not None) == about_item]
        if kind:
            deferred.execute(session, _hold_statement(dialect, about_item), kind)


@cache
def _hold_statement(dialect: str, about_item: bool) -> Any:
    table: Any = HeldAnswer.__table__  # type: ignore[attr-defined]
    statement = insert_for(dialect, table).inline()  # nothing read back: see storage.deferred
    return statement.on_conflict_do_update(
        **answer_conflict(about_item=about_item),
        set_={"value": statement.excluded.value, "text": statement.excluded.text},
    )


def run_has_answers(session: Session, *, run_id: int) -> bool:
    """Whether the run holds or has released any answer."""
    for table in (HeldAnswer, Response):
        found = session.exec(select(table.id).where(table.poll_run_id == run_id).limit(1))
        if found.first() is not None:
            return True
    return False


@dataclass(frozen=True)
class Released:
    question_id: str
    debt_item_id: int | None
    people: int
    answers: int


def _people(rows: Iterable[HeldAnswer]) -> int:
    """Distinct people among held answers: per secret (key id), the largest count — people
    keyed under two secrets are never added up, so a rotation cannot inflate a group."""
    by_key: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_key[row.key_id].add(row.person)
    return max((len(people) for people in by_key.values()), default=0)


def release_at_close(
    session: Session,
    *,
    run: PollRun,
    min_group: int,
    horizon: timedelta,
    rng: random.Random = _RNG,
) -> list[Released]:
    """Release what the closing ``run`` completes (call in the closing transaction, after
    the run is marked closed); what was released, per question and item.

    A pool counts the held answers of the ``horizon`` (the scoring horizon) before the run's
    day: older ones could no longer count, and the tick deletes them.
    """
    assert run.id is not None
    # One release at a time per team: two closes at once (the tick and `/debt poll close`, on
    # PostgreSQL) would otherwise both release an earlier run's held answers.
    lock_for_transaction(session, f"release:{run.team_id}")
    asked = session.exec(
        select(col(HeldAnswer.question_id), col(HeldAnswer.debt_item_id))
        .where(HeldAnswer.poll_run_id == run.id)
        .distinct()
    ).all()
    day = (run.opened_at or run.scheduled_for).astimezone(UTC).date()
    released: list[Released] = []
    for question_id, item_id in sorted(asked, key=lambda qi: (qi[0], qi[1] or 0)):
        pool = _pool(
            session, run=run, question_id=question_id, item_id=item_id, since=day - horizon
        )
        people = _people(pool)
        if people < min_group:
            continue
        _release(session, run=run, pool=pool, day=day, people=people, rng=rng)
        released.append(Released(question_id, item_id, people, len(pool)))
    return released


def _pool(
    session: Session, *, run: PollRun, question_id: str, item_id: int | None, since: date
) -> list[HeldAnswer]:
    """The question's (and item's) held answers of closed runs of the team: the closing run
    is marked closed already, open runs wait for their own close."""
    item = (
        col(HeldAnswer.debt_item_id).is_(None)
        if item_id is None
        else col(HeldAnswer.debt_item_id) == item_id
    )
    query = (
        select(HeldAnswer)
        .join(PollRun, col(PollRun.id) == col(HeldAnswer.poll_run_id))
        .where(
            HeldAnswer.team_id == run.team_id,
            HeldAnswer.question_id == question_id,
            item,
            PollRun.status == "closed",
            col(HeldAnswer.answered_day) >= since,
        )
    )
    return list(session.exec(query))


def _release(
    session: Session,
    *,
    run: PollRun,
    pool: list[HeldAnswer],
    day: date,
    people: int,
    rng: random.Random,
) -> None:
    assert run.id is not None
    first = pool[0]
    at = datetime.combine(day, time(), tzinfo=UTC)
    rows = [
        {
            "team_id": run.team_id,
            "poll_run_id": run.id,
            "question_id": held.question_id,
            "debt_item_id": held.debt_item_id,
            "respondent": "anon:" + secrets.token_hex(20),
            "value": held.value,
            "text": held.text,
            "answered_at": at,
            "answered_day": day,
            "updated_at": at,
        }
        for held in pool
    ]
    rng.shuffle(rows)
    table: Any = Response.__table__  # type: ignore[attr-defined]
    session.connection().execute(table.insert(), rows)
    session.add(
        AnswerRelease(
            team_id=run.team_id,
            poll_run_id=run.id,
            question_id=first.question_id,
            debt_item_id=first.debt_item_id,
            day=day,
            people=people,
            answers=len(pool),
        )
    )
    session.execute(delete(HeldAnswer).where(col(HeldAnswer.id).in_([h.id for h in pool])))
    session.flush()


def expire(session: Session, *, team_id: str, before: date) -> int:
    """Delete the team's held answers older than ``before`` (of closed runs): they never
    reached a group within the scoring horizon and never will count. How many."""
    return _expire(session, before=before, team_id=team_id)


def expire_all(session: Session, *, before: date) -> int:
    """The same for every team (teams in order, each under its release lock)."""
    teams = session.exec(
        select(HeldAnswer.team_id).where(col(HeldAnswer.answered_day) < before).distinct()
    ).all()
    return sum(_expire(session, before=before, team_id=team) for team in sorted(teams))


def _expire(session: Session, *, before: date, team_id: str) -> int:
    lock_for_transaction(session, f"release:{team_id}")
    closed = select(PollRun.id).where(PollRun.status == "closed", PollRun.team_id == team_id)
    result = session.execute(
        delete(HeldAnswer).where(
            col(HeldAnswer.team_id) == team_id,
            col(HeldAnswer.answered_day) < before,
            col(HeldAnswer.poll_run_id).in_(closed),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def held_in_runs(session: Session, *, run_ids: list[int]) -> int:
    """How many answers of these runs are held (told to whoever imported them)."""
    if not run_ids:
        return 0
    statement = select(func.count()).where(col(HeldAnswer.poll_run_id).in_(run_ids))
    return int(session.exec(statement).one())
