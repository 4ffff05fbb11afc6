"""Poll runs as plain data: freezing a survey at open time, sampling, closing summaries.

Pure: no database, no Slack, no clock. A run's questions are rendered and frozen when it
opens (``freeze``), so later register edits do not change an open poll; the frozen dict is
what the Slack views read and what answers are checked against.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from surveys import Survey, render
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
from surveys.render import mrkdwn_escape

PAIN_QUESTION = "pain"
MAX_CHOICES = 100


@dataclass(frozen=True)
class FrozenItem:
    id: int
    key: str
    title: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "title": self.title}


def _scale(question: Question) -> dict[str, Any] | None:
    if isinstance(question, LikertQuestion):
        labels = {str(k): v for k, v in question.scale.labels.items()}
        return {"min": question.scale.min, "max": question.scale.max, "labels": labels}
    if isinstance(question, NpsQuestion):
        return {"min": NPS_MIN, "max": NPS_MAX, "labels": {}}
    return None


def freeze(
    survey: Survey,
    *,
    items_for: dict[str, Sequence[FrozenItem]],
    choices: Sequence[FrozenItem],
) -> dict[str, Any]:
    """The run's questions with prompts rendered; ``items_for[question id]`` for per-item
    questions, ``choices`` for ``debt_item_choice``.

    The poll asks what fits in one answer modal (``MODAL_INPUTS`` inputs): per-item questions
    without ``sample:`` ask about their first items (the ranking's order) up to what fits,
    and a ``sample:`` larger than that is lowered to it. What the modal shows is what a
    submission must answer, so a large register never makes a poll impossible to submit.
    """
    fits = items_that_fit(survey)
    sample = survey.sample if fits is None or survey.sample is None else min(survey.sample, fits)
    questions = []
    for question in survey.questions:
        entry: dict[str, Any] = {
            "id": question.id,
            "type": question.type,
            "optional": question.optional,
            "scale": _scale(question),
        }
        if isinstance(question, ChoiceQuestion):
            entry["options"] = [{"value": o.value, "label": o.label} for o in question.options]
        if isinstance(question, HoursQuestion):
            entry["options"] = [{"value": b.value, "label": b.label} for b in HOURS_BUCKETS]
        if isinstance(question, TextQuestion):
            entry["max_length"] = question.max_length
        if isinstance(question, DebtItemChoiceQuestion):
            entry["prompt"] = render(question.prompt)
            entry["choices"] = [item.as_dict() for item in choices[:MAX_CHOICES]]
        elif question.over_debt_items:
            asked = list(items_for.get(question.id, ()))
            if fits is not None and survey.sample is None:
                asked = asked[:fits]
            entry["items"] = [
                item.as_dict() | {"prompt": render(question.prompt, item=item)} for item in asked
            ]
        else:
            entry["prompt"] = render(question.prompt)
        questions.append(entry)
    return {
        "title": survey.title,
        "description": survey.description or "",
        "anonymous": survey.anonymous,
        "sample": sample,
        "questions": questions,
        "definition": survey.model_dump(mode="json"),
    }


#: Inputs one answer modal holds: Slack's 100 blocks, less one for the anonymity note.
MODAL_INPUTS = 99


def items_that_fit(survey: Survey) -> int | None:
    """How many items each per-item question can ask in one modal; None: no such question."""
    per_item = [
        q
        for q in survey.questions
        if q.over_debt_items and not isinstance(q, DebtItemChoiceQuestion)
    ]
    if not per_item:
        return None
    others = len(survey.questions) - len(per_item)
    return max(1, (MODAL_INPUTS - others) // len(per_item))


def sample_items(
    items: Sequence[dict[str, Any]],
    *,
    n: int | None,
    user: str,
    run_id: int,
    secret: str | None = None,
) -> list[dict[str, Any]]:
    """A subset of ``n`` items for ``user``, starting at a different place for each person.

    Named runs rotate: consecutive runs shift a person's window, so every item comes round.
    For an anonymous run pass the anonymity ``secret``: the start is then a keyed hash of the
    run and the person. The set of items an anonymous key answered would otherwise name the
    person (anyone can hash a user id) and link their answers from run to run (a window that
    moves by ``n`` each run); keyed and drawn afresh per run, it does neither.
    """
    if n is None or n >= len(items):
        return list(items)
    if secret is not None:
        mac = hmac.new(secret.encode(), f"sample:{run_id}:{user}".encode(), hashlib.sha256)
        start = int(mac.hexdigest()[:8], 16)
    else:
        start = int(hashlib.sha256(user.encode()).hexdigest()[:8], 16) + run_id * n
    return [items[(start + i) % len(items)] for i in range(n)]


#: Joins a per-item question's id and the item's id in an answer's block id.
BLOCK_SEPARATOR = "|"


def asked(
    frozen: dict[str, Any], *, run_id: int, user: str, secret: str | None
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """What ``user`` is asked in ``run_id``'s answer modal, in order: each question, once per
    sampled item for a per-item question (``secret`` keys the sample of an anonymous run)."""
    keyed = secret if frozen.get("anonymous") else None
    shown: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for question in frozen.get("questions", []):
        if question.get("items") is None:
            shown.append((question, None))
            continue
        items = sample_items(
            question["items"], n=frozen.get("sample"), user=user, run_id=run_id, secret=keyed
        )
        shown.extend((question, item) for item in items)
    return shown


def block_id(question: dict[str, Any], item: dict[str, Any] | None) -> str:
    """The block id of the input answering ``question`` (about ``item``)."""
    return question["id"] if item is None else f"{question['id']}{BLOCK_SEPARATOR}{item['id']}"


def single_inline_question(frozen: dict[str, Any]) -> dict[str, Any] | None:
    """The one likert question answered inline with one click, if the poll is just that."""
    questions = frozen.get("questions", [])
    if len(questions) != 1:
        return None
    question = questions[0]
    if question["type"] != "likert" or question.get("items"):
        return None
    return question


def question_by_id(frozen: dict[str, Any], question_id: str) -> dict[str, Any] | None:
    return next((q for q in frozen.get("questions", []) if q["id"] == question_id), None)


#: A run's results: (question id, debt item id or None) -> (distinct respondents, mean).
Results = Mapping[tuple[str, int | None], tuple[int, float]]
SUMMARY_PROMPT = 120  # characters of a question's prompt naming its line


@dataclass(frozen=True)
class SummaryLine:
    """One result of a run: a scale question about one item, or a question on its own."""

    key: str  # the item's key; "" for a question not about items
    title: str  # the item's title, or the question's prompt (already mrkdwn)
    respondents: int | None  # None: under the minimum group
    mean: float | None
    change: float | None
    measure: str = "mean pain"

    def text(self, min_group: int) -> str:
        if self.key:
            name = f"*{mrkdwn_escape(self.key)}* {mrkdwn_escape(self.title)}"
        else:
            name = f"*{self.title}*"  # a prompt: rendered and escaped when the run opened
        if self.respondents is None or self.mean is None:
            return f"{name}: fewer than {min_group} answers"
        change = "" if self.change is None else f" ({self.change:+.1f} since last run)"
        return f"{name}: {self.measure} {self.mean:.1f} from {self.respondents}{change}"


def shows_live_results(frozen: dict[str, Any]) -> bool:
    """Whether the run's survey shows its results while open (``results_hidden_until_close:
    false``, allowed for named surveys only)."""
    definition = frozen.get("definition") or {}
    return definition.get("results_hidden_until_close", True) is False and not frozen.get(
        "anonymous", True
    )


def run_summary(
    frozen: dict[str, Any], *, results: Results, previous: Results, min_group: int
) -> list[SummaryLine]:
    """The results of every scale question (likert, nps) and of an hours question of a run,
    in question order: per item (highest mean first) for a question about items, else one
    line. Each shows its respondents, mean and change since the previous run — or "fewer
    than N answers"."""

    def line(key: str, title: str, at: tuple[str, int | None], measure: str) -> SummaryLine:
        n, mean = results.get(at, (0, 0.0))
        if n < min_group:
            return SummaryLine(key, title, None, None, None, measure)
        before = previous.get(at)
        change = mean - before[1] if before and before[0] >= min_group else None
        return SummaryLine(key, title, n, mean, change, measure)

    lines: list[SummaryLine] = []
    for question in frozen.get("questions", []):
        hours = question["type"] == "hours"
        if not question.get("scale") and not hours:
            continue
        qid = question["id"]
        if question.get("items") is not None:
            measure = "mean pain" if qid == PAIN_QUESTION else f"mean {qid}"
            if hours:
                measure = "mean hours lost"
            group = [line(i["key"], i["title"], (qid, i["id"]), measure) for i in question["items"]]
            lines.extend(sorted(group, key=lambda one: -(one.mean or 0)))
        else:
            prompt = question.get("prompt") or qid
            if len(prompt) > SUMMARY_PROMPT:
                prompt = prompt[: SUMMARY_PROMPT - 1] + "…"
            lines.append(line("", prompt, (qid, None), "mean"))
    return lines


def recipient_due(
    slot: datetime, *, opening_zone: tzinfo, recipient_zone: str | None, fallback: tzinfo
) -> datetime:
    """When a recipient gets a ``per_recipient_timezone`` poll: the slot's wall-clock time
    (as read in ``opening_zone``) in the recipient's own zone, in UTC.

    An unknown or missing zone falls back to ``fallback`` (the schedule's zone). A local time
    that does not exist (a DST gap) is read with the offset before the change.
    """
    zone: tzinfo = fallback
    if recipient_zone:
        try:
            zone = ZoneInfo(recipient_zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = fallback
    wall = slot.astimezone(opening_zone).replace(tzinfo=None)
    return wall.replace(tzinfo=zone).astimezone(UTC)
