"""Recording answers to a run: checked against the frozen survey, one transaction each.

A named run's answers are stored at once. An anonymous run's answers are held (under the
per-run key and the day, with the person key that counts distinct people) until its close
releases them in a group (:mod:`storage.held`); who took part is recorded apart, under the
per-run key too, without any answer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
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


class AnswerRefused(ValueError):
    """An answer the run cannot take: to a question it does not have or did not ask in
    this way, or a value that does not fit the question. ``message`` says which."""

    def __init__(self, block_id: str, message: str) -> None:
        self.block_id = block_id
        self.message = message
        super().__init__(f"{block_id}: {message}")


#: The answer to a block the run did not show the person (a crafted submission).
NOT_ASKED = "You were not asked this question; nothing was saved."


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


def check_answers(
    run: PollRun | RunState,
    answers: list[GivenAnswer],
    *,
    asked: list[int] | None = None,
    shown: Collection[str] | None = None,
    frozen: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Problems by block id: required answers missing, values off the scale, text too long,
    a debt item that was not a choice, and answers to anything the person was not asked.

    ``shown``: the block ids of the modal the person was shown (``question|item`` for a
    per-item question); or ``asked``, the item ids asked for every per-item question.
    ``frozen``: the run's frozen questions, when ``run`` is a :class:`RunState`.
    """
    if frozen is None:
        assert isinstance(run, PollRun)
        frozen = run.frozen
    survey = frozen_survey(run, load=lambda: frozen)
    given = {a.block_id: a for a in answers}
    if shown is None:
        shown = [
            f"{question.id}|{item}" if question.over_debt_items else question.id
            for question in survey.questions
            for item in ((asked or []) if question.over_debt_items else [None])
        ]
    expected = list(dict.fromkeys(shown))
    known = set(expected)
    errors: dict[str, str] = {block: NOT_ASKED for block in given if block not in known}
    for question in survey.questions:
        blocks = [b for b in expected if b.partition("|")[0] == question.id]
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
                continue
            if question.type == "debt_item_choice":
                asked_question: dict[str, Any] = next(
                    (q for q in frozen.get("questions", []) if q.get("id") == question.id),
                    {},
                )
                keys = {choice.get("key") for choice in asked_question.get("choices", [])}
                if answer.text not in keys:
                    errors[block] = "Choose one of the items offered."
    return errors


def _lock_order(given: GivenAnswer) -> tuple[bool, int, str]:
    """Answers are stored item by item in id order: the per-item sums that every respondent
    of a run updates (``pain_sum``) are then locked in one order by all of them, so two
    people answering at once on PostgreSQL wait for each other instead of deadlocking."""
    return given.item_id is None, given.item_id or 0, given.question_id


@dataclass(frozen=True)
class Respondent:
    """Who answers a run, as the run may store it: ``key`` is the user id (named run) or the
    per-run key (anonymous); ``person`` the person key that counts a group (anonymous only);
    ``at`` when, only the day for an anonymous run."""

    key: str
    person: tuple[str, str] | None
    at: datetime

    @property
    def day(self) -> date:
        return self.at.astimezone(UTC).date()


def respondent_of(
    run: PollRun | RunState, *, user: str, secret: str | None, at: datetime
) -> Respondent:
    """``user`` answering ``run`` at ``at``, keyed as the run stores answers."""
    if not run.anonymous:
        return Respondent(user, None, at)
    if not secret:
        raise RuntimeError("DEBTPULSE_ANON_SECRET is required for anonymous polls")
    assert run.id is not None
    return Respondent(
        respondent_key(secret=secret, run_id=run.id, user_id=user),
        person_key(secret=secret, team_id=run.team_id, user_id=user),
        day_only(at),
    )


def store_answer(
    session: Session,
    *,
    run: PollRun | RunState,
    who: Respondent,
    question_id: str,
    item_id: int | None,
    value: float | None,
    text_value: str | None,
) -> None:
    """One checked answer: stored (named run) or held until a group releases it (anonymous);
    a re-answer replaces the earlier one either way."""
    store_answers(session, run=run, who=who, answers=[(question_id, item_id, value, text_value)])


def store_answers(
    session: Session,
    *,
    run: PollRun | RunState,
    who: Respondent,
    answers: list[tuple[str, int | None, float | None, str | None]],
) -> None:
    """Checked answers (question, item, value, text) of one person, written together."""
    assert run.id is not None
    rows: list[dict[str, Any]] = [
        {
            "team_id": run.team_id,
            "poll_run_id": run.id,
            "question_id": question_id,
            "debt_item_id": item_id,
            "respondent": who.key,
            "value": value,
        }
        for question_id, item_id, value, _ in answers
    ]
    if who.person is not None:
        key_id, person = who.person
        for row, (*_, text_value) in zip(rows, answers, strict=True):
            row.update(key_id=key_id, person=person, text=text_value, answered_day=who.day)
        held.hold_answers(session, rows)
    else:
        for row, (*_, text_value) in zip(rows, answers, strict=True):
            row.update(text=text_value, answered_at=who.at, answered_day=who.day, updated_at=who.at)
        responses.upsert_responses(session, rows)


def record_answers(
    session: Session,
    *,
    run: PollRun | RunState,
    user: str,
    answers: list[GivenAnswer],
    secret: str | None,
    now: datetime,
    vote: bool = False,
) -> int:
    """Store the answers (re-answers replace earlier ones); returns how many were stored.

    An answer to a question the run does not have, one that does not fit its question, or
    — for a one-click ``vote`` — to anything but the run's one inline question raises
    :class:`AnswerRefused`, and nothing is stored.
    """
    if run.status != "open" or (run.closes_at is not None and now >= run.closes_at):
        raise PollClosed(run.closed_at or run.closes_at)  # closed early: when it really closed
    assert run.id is not None
    run_id = run.id
    survey = frozen_survey(run, load=lambda: polls.run_frozen(session, run_id=run_id))
    who = respondent_of(run, user=user, secret=secret, at=now)
    checked: list[tuple[str, int | None, float | None, str | None]] = []
    for given in sorted(answers, key=_lock_order):
        question = survey.question(given.question_id)
        if question is None:
            raise AnswerRefused(given.block_id, f"this poll has no question {given.question_id!r}")
        if vote and (len(survey.questions) != 1 or question.type != "likert"):
            raise AnswerRefused(given.block_id, "this question is not answered with one click")
        if question.over_debt_items != (given.item_id is not None):
            what = "is about" if question.over_debt_items else "is not about"
            raise AnswerRefused(given.block_id, f"this question {what} a debt item")
        if given.value in (None, "") and not given.text:
            continue
        try:
            answer = check_answer(question, value=given.value, text=given.text)
        except AnswerError as exc:
            raise AnswerRefused(given.block_id, exc.message) from None
        checked.append((question.id, given.item_id, answer.value, answer.text))
    if checked:  # written only once every answer is checked: all or nothing
        store_answers(session, run=run, who=who, answers=checked)
        polls.record_participation(session, run=run, user_id=who.key, answered_on=who.day)
    return len(checked)
