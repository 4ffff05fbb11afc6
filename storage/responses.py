"""Answers. Re-answering a question (about the same item) replaces the earlier answer."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from storage.dialect import insert_for
from storage.models import Response


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


def responses_for_run(session: Session, *, run_id: int) -> list[Response]:
    return list(
        session.exec(
            select(Response).where(Response.poll_run_id == run_id).order_by(col(Response.id))
        )
    )


def item_results(
    session: Session, *, run_id: int, question_id: str
) -> dict[int, tuple[int, float]]:
    """Per debt item of a run: (distinct respondents, mean value) for one question."""
    rows = session.exec(
        select(
            col(Response.debt_item_id),
            func.count(func.distinct(col(Response.respondent))),
            func.avg(col(Response.value)),
        )
        .where(
            Response.poll_run_id == run_id,
            Response.question_id == question_id,
            col(Response.debt_item_id).is_not(None),
            col(Response.value).is_not(None),
        )
        .group_by(col(Response.debt_item_id))
    ).all()
    return {int(item or 0): (int(n), float(mean or 0.0)) for item, n, mean in rows}
