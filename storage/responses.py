"""Answers. Re-answering a question (about the same item) replaces the earlier answer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import case, text
from sqlmodel import Session, col, func, select

from storage.aggregates import PAIN_QUESTION
from storage.dialect import insert_for
from storage.models import ItemRespondent, PollRun, Response
from storage.polls import previous_run


def upsert_response(
    session: Session,
    *,
    team_id: str,
    poll_run_id: int,
    question_id: str,
    debt_item_id: int | None,
    respondent: str,
    value: float | None,
    text_value: str | None,
    at: datetime,
) -> None:
    """Store one answer; an existing answer to the same question and item is replaced.

    ``at`` is stored as both answered and updated time on insert; an update keeps the first
    answered time and moves ``updated_at``.
    """
    row = {
        "team_id": team_id,
        "poll_run_id": poll_run_id,
        "question_id": question_id,
        "debt_item_id": debt_item_id,
        "respondent": respondent,
        "value": value,
        "text": text_value,
        "answered_at": at,
        "answered_day": at.astimezone(UTC).date(),
        "updated_at": at,
    }
    dialect = session.get_bind().dialect.name
    statement = _upsert_statement(dialect, about_item=debt_item_id is not None)
    session.connection().execute(statement, row)


@cache
def _upsert_statement(dialect: str, *, about_item: bool) -> Any:
    """The answer upsert, built once per dialect and kind (values come as parameters)."""
    table: Any = Response.__table__  # type: ignore[attr-defined]
    statement = insert_for(dialect, table)
    if about_item:
        conflict: dict[str, Any] = {
            "index_elements": ["poll_run_id", "question_id", "debt_item_id", "respondent"]
        }
    else:
        conflict = {
            "index_elements": ["poll_run_id", "question_id", "respondent"],
            "index_where": text("debt_item_id IS NULL"),
        }
    return statement.on_conflict_do_update(
        **conflict,
        set_={
            "value": statement.excluded.value,
            "text": statement.excluded.text,
            "updated_at": statement.excluded.updated_at,
        },
    )


def note_pain_respondent(
    session: Session,
    *,
    team_id: str,
    question_id: str,
    debt_item_id: int | None,
    value: float | None,
    key: tuple[str, str],
    day: date,
) -> None:
    """Count a person (``key`` = key id, person key) among the respondents of the item a
    ``pain`` answer is about, up to ``day``; other answers count nowhere.

    A later answer moves the person's day forward; an earlier one imported afterwards does not.
    """
    if question_id != PAIN_QUESTION or debt_item_id is None or value is None:
        return
    statement = _item_respondent_statement(session.get_bind().dialect.name)
    key_id, person = key
    row = {"team_id": team_id, "debt_item_id": debt_item_id, "key_id": key_id, "person": person}
    session.connection().execute(statement, row | {"last_day": day})


@cache
def _item_respondent_statement(dialect: str) -> Any:
    table: Any = ItemRespondent.__table__  # type: ignore[attr-defined]
    statement = insert_for(dialect, table)
    later = statement.excluded.last_day > table.c.last_day
    return statement.on_conflict_do_update(
        index_elements=["team_id", "debt_item_id", "person"],
        set_={"last_day": case((later, statement.excluded.last_day), else_=table.c.last_day)},
    )


def responses_for_run(session: Session, *, run_id: int) -> list[Response]:
    return list(
        session.exec(
            select(Response).where(Response.poll_run_id == run_id).order_by(col(Response.id))
        )
    )


Results = dict[tuple[str, int | None], tuple[int, float]]


def results_and_previous(session: Session, run: PollRun) -> tuple[Results, Results]:
    """The run's results and those of the survey's run before it (for "since last run")."""
    assert run.id is not None
    before = previous_run(session, run=run)
    previous = run_results(session, run_id=before.id) if before and before.id is not None else {}
    return run_results(session, run_id=run.id), previous


def run_results(
    session: Session, *, run_id: int
) -> dict[tuple[str, int | None], tuple[int, float]]:
    """Per question and debt item of a run (item None for a question not about items):
    (distinct respondents, mean value), over the answers that have a value."""
    rows = session.exec(
        select(
            col(Response.question_id),
            col(Response.debt_item_id),
            func.count(func.distinct(col(Response.respondent))),
            func.avg(col(Response.value)),
        )
        .where(Response.poll_run_id == run_id, col(Response.value).is_not(None))
        .group_by(col(Response.question_id), col(Response.debt_item_id))
    ).all()
    return {
        (str(question), None if item is None else int(item)): (int(n), float(mean or 0.0))
        for question, item, n, mean in rows
    }
