"""Answers. Re-answering a question (about the same item) replaces the earlier answer."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from storage import deferred
from storage.dialect import insert_for
from storage.models import AnswerRelease, PollRun, Response
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
    upsert_responses(session, [row])


def upsert_responses(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store several answers (rows of :class:`Response`'s columns) with one statement per
    kind (about an item or not), in their order: items first, in the order given."""
    dialect = session.get_bind().dialect.name
    for about_item in (True, False):
        kind = [row for row in rows if (row["debt_item_id"] is not None) == about_item]
        if kind:
            deferred.execute(session, _upsert_statement(dialect, about_item=about_item), kind)


def answer_conflict(*, about_item: bool) -> dict[str, Any]:
    """The unique index an answer replaces an earlier one by: one answer per run, question,
    item and respondent (a partial index for answers about no item, as NULLs differ)."""
    if about_item:
        return {"index_elements": ["poll_run_id", "question_id", "debt_item_id", "respondent"]}
    return {
        "index_elements": ["poll_run_id", "question_id", "respondent"],
        "index_where": text("debt_item_id IS NULL"),
    }


@cache
def _upsert_statement(dialect: str, *, about_item: bool) -> Any:
    """The answer upsert, built once per dialect and kind (values come as parameters)."""
    table: Any = Response.__table__  # type: ignore[attr-defined]
    statement = insert_for(dialect, table).inline()  # nothing read back: see storage.deferred
    return statement.on_conflict_do_update(
        **answer_conflict(about_item=about_item),
        set_={
            "value": statement.excluded.value,
            "text": statement.excluded.text,
            "updated_at": statement.excluded.updated_at,
        },
    )


def responses_for_run(session: Session, *, run_id: int) -> list[Response]:
    return list(
        session.exec(
            select(Response).where(Response.poll_run_id == run_id).order_by(col(Response.id))
        )
    )


Results = dict[tuple[str, int | None], tuple[int, float]]


def results_and_previous(
    session: Session, run: PollRun, *, min_group: int
) -> tuple[Results, Results]:
    """The run's results and those of the survey's run before it (for "since last run")."""
    assert run.id is not None
    before = previous_run(session, run=run)
    previous = (
        run_results(session, run=before, min_group=min_group)
        if before and before.id is not None
        else {}
    )
    return run_results(session, run=run, min_group=min_group), previous


def run_results(session: Session, *, run: PollRun, min_group: int) -> Results:
    """Per question and debt item of a run (item None for a question not about items):
    (distinct respondents, mean value), over the answers that have a value.

    An anonymous run counts only answers released in a group of at least ``min_group``
    people at its close (held ones are not in ``response``), with the group's count of
    people; a named run counts its answers as they are.
    """
    rows = session.exec(
        select(
            col(Response.question_id),
            col(Response.debt_item_id),
            func.count(func.distinct(col(Response.respondent))),
            func.avg(col(Response.value)),
        )
        .where(Response.poll_run_id == run.id, col(Response.value).is_not(None))
        .group_by(col(Response.question_id), col(Response.debt_item_id))
    ).all()
    results = {
        (str(question), None if item is None else int(item)): (int(n), float(mean or 0.0))
        for question, item, n, mean in rows
    }
    if not run.anonymous:
        return results
    groups = {
        (release.question_id, release.debt_item_id): release.people
        for release in session.exec(
            select(AnswerRelease).where(AnswerRelease.poll_run_id == run.id)
        )
    }
    return {
        key: (groups[key], mean)
        for key, (_n, mean) in results.items()
        if groups.get(key, 0) >= min_group
    }
