"""Checking one answer against its question — the same rules for Slack, imports and tests."""

from __future__ import annotations

import math
from dataclasses import dataclass

from surveys.questions import (
    HOURS_BUCKETS,
    NPS_MAX,
    NPS_MIN,
    ChoiceQuestion,
    DebtItemChoiceQuestion,
    HoursQuestion,
    LikertQuestion,
    NpsQuestion,
    Question,
    TextQuestion,
)


class AnswerError(ValueError):
    """An answer does not fit its question; ``field`` is "value", "text" or "debt_key"."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Answer:
    value: float | None
    text: str | None


def _number(raw: str | float | None) -> float:
    if raw is None or raw == "":
        raise AnswerError("value", "a number is required")
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise AnswerError("value", f"not a number: {raw!r}") from None
    if not math.isfinite(number):
        raise AnswerError("value", f"not a number: {raw!r}")
    return number


#: The hours an ``hours`` question accepts, as offered: an answer is one of its buckets.
HOURS_OFFERED = ", ".join(bucket.value for bucket in HOURS_BUCKETS)


def _hours(raw: str | float | None) -> float:
    """One of the offered numbers of hours; any other number is refused, not rounded to a
    bucket (a number between two buckets could belong to either)."""
    number = _number(raw)
    if number not in {bucket.hours for bucket in HOURS_BUCKETS}:
        raise AnswerError("value", f"{number:g} is not one of the hours offered ({HOURS_OFFERED})")
    return number


def check_answer(question: Question, *, value: str | float | None, text: str | None) -> Answer:
    """Return the answer as stored (numeric value and/or text), or raise AnswerError."""
    text = text.strip() if isinstance(text, str) else text
    if isinstance(question, LikertQuestion):
        number = _number(value)
        low, high = question.scale.min, question.scale.max
        if not low <= number <= high:
            raise AnswerError("value", f"{number:g} is outside the scale {low}–{high}")
        return Answer(number, None)
    if isinstance(question, NpsQuestion):
        number = _number(value)
        if number != int(number) or not NPS_MIN <= number <= NPS_MAX:
            raise AnswerError("value", f"expected a whole number {NPS_MIN}–{NPS_MAX}")
        return Answer(number, None)
    if isinstance(question, HoursQuestion):
        return Answer(_hours(value), None)
    if isinstance(question, ChoiceQuestion):
        chosen = str(value) if value not in (None, "") else (text or "")
        allowed = [option.value for option in question.options]
        if chosen not in allowed:
            raise AnswerError("value", f"{chosen!r} is not one of: {', '.join(allowed)}")
        return Answer(None, chosen)
    if isinstance(question, TextQuestion):
        if not text:
            if question.optional:
                return Answer(None, None)
            raise AnswerError("text", "an answer is required")
        if len(text) > question.max_length:
            raise AnswerError("text", f"{len(text)} characters; at most {question.max_length}")
        return Answer(None, text)
    if isinstance(question, DebtItemChoiceQuestion):
        # The chosen item's key is the answer; the caller checks it exists.
        if not text:
            raise AnswerError("debt_key", "choose a debt item")
        return Answer(None, text)
    raise AnswerError("value", f"unsupported question type {question.type}")
