"""Recording answers to a run: checked against the frozen survey, one transaction each.

A named run's answers are stored at once. An anonymous run's answers are held (under the
per-run key and the day, with the person key that counts distinct people) until its close
releases them in a group (:mod:`storage.held`); who took part is recorded apart, under the
per-run key too, without any answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from bot.core.anonymity import day_only, person_key, respondent_key
from bot.core.answers import AnswerError, check_answer
from storage import held, polls, responses
from storage.models import PollRun
from storage.polls import RunState
from surveys import Survey, validate_template


class PollClosed(Exception):
    """The run is closed: answers are refused."""


@dataclass(frozen=True)
class GivenAnswer:
    """One answer as submitted: question, item (for per-item questions), value or text."""

    block_id: str
    question_id: str
    item_id: int | None
    value: str | None
    text: str | None


_SURVEYS: dict[tuple[int | None, str], Survey] = {}


def frozen_survey(
    run: PollRun | RunState, load: Callable[[], dict[str, Any]] | None = None
) -> Survey:
    """The survey a run was opened with (validated once per run and process).

    A :class:`RunState` carries no frozen questions: ``load`` reads them on the first use.
    """
    key = (run.id, run.content_hash)
    survey = _SURVEYS.get(key)
    if survey is None:
        frozen = run.frozen if isinstance(run, PollRun) else (load() if load else None)
        if frozen is None:
            raise LookupError(f"run {run.id}: its questions were not loaded")
        checked = validate_template(frozen["definition"])
        assert isinstance(checked, Survey)
        survey = _SURVEYS[key] = checked
    return survey


def check_answers(run: PollRun, answers: list[GivenAnswer], *, asked: list[int]) -> dict[str, str]:
    """Problems by block id: required answers missing, values off the scale, text too long."""
    survey = frozen_survey(run)
    given = {a.block_id: a for a in answers}
    errors: dict[str, str] = {}
    for question in survey.questions:
        if question.over_debt_items:
            blocks = [f"{question.id}|{item}" for item in asked]
        else:
            blocks = [question.id]
        for block in blocks:
            answer = given.get(block)
            if answer is None or (answer.value in (None, "") and not answer.text):
                if not question.optional:
                    errors[block] = "Please answer this question."
                continue
            try:
                check_answer(question, value=answer.value, text=answer.text)
            except AnswerError as exc:
                errors[block] = exc.message
    return errors


def _lock_order(given: GivenAnswer) -> tuple[bool, int, str]:
    """Answers are stored item by item in id order: the per-item sums that every respondent
    of a run updates (``pain_sum``) are then locked in one order by all of them, so two
    people answering at once on PostgreSQL wait for each other instead of deadlocking."""
    return given.item_id is None, given.item_id or 0, given.question_id


def record_answers(
    session: Session,
    *,
    run: PollRun | RunState,
    user: str,
    answers: list[GivenAnswer],
    secret: str | None,
    now: datetime,
) -> int:
    """Store the answers (re-answers replace earlier ones); returns how many were stored."""
    if run.status != "open" or (run.closes_at is not None and now >= run.closes_at):
        raise PollClosed(run.closed_at or run.closes_at)  # closed early: when it really closed
    assert run.id is not None
    run_id = run.id
    survey = frozen_survey(run, load=lambda: polls.run_frozen(session, run_id=run_id))
    anonymous = run.anonymous
    if anonymous:
        if not secret:
            raise RuntimeError("DEBTPULSE_ANON_SECRET is required for anonymous polls")
        respondent, at = respondent_key(secret=secret, run_id=run.id, user_id=user), day_only(now)
        person = person_key(secret=secret, team_id=run.team_id, user_id=user)
    else:
        respondent, at = user, now
    stored = 0
    for given in sorted(answers, key=_lock_order):
        question = survey.question(given.question_id)
        if question is None or (given.value in (None, "") and not given.text):
            continue
        answer = check_answer(question, value=given.value, text=given.text)
        item_id = given.item_id if question.over_debt_items else None
        answer_row: dict[str, Any] = {
            "team_id": run.team_id,
            "poll_run_id": run.id,
            "question_id": question.id,
            "debt_item_id": item_id,
            "respondent": respondent,
            "value": answer.value,
            "text_value": answer.text,
        }
        if anonymous:
            held.hold_answer(session, **answer_row, person=person, day=at.astimezone(UTC).date())
        else:
            responses.upsert_response(session, **answer_row, at=at)
        stored += 1
    if stored:
        polls.record_participation(
            session, run=run, user_id=respondent, answered_on=at.astimezone(UTC).date()
        )
    return stored
