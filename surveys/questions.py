"""Question models of a survey template, one model per question ``type``.

``likert``, ``nps`` and ``choice`` questions may be asked once per debt item
(``for_each: {debt_items: {...}}``); their prompt can then use ``{{ item.… }}``.
``debt_item_choice`` offers the debt items themselves as the options, and ``text`` is a free
answer. ``hours`` is always asked per debt item: roughly how many hours it cost the person
this week, chosen from fixed buckets (:data:`HOURS_BUCKETS`), each stored as one number of
hours. Each type accepts only its own fields, so ``options`` on a likert question is an
error naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, Self, get_args

from jinja2 import TemplateSyntaxError
from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from surveys.durations import Duration
from surveys.fields import Label, Slug, TemplateModel, fail, problem
from surveys.render import RenderError, render, template_variables

__all__ = [
    "HOURS_BUCKETS",
    "NPS_MAX",
    "NPS_MIN",
    "QUESTION_TYPES",
    "Category",
    "ChoiceOption",
    "ChoiceQuestion",
    "DebtItemChoiceQuestion",
    "DebtItemFilter",
    "DebtStatus",
    "ForEach",
    "HoursBucket",
    "HoursQuestion",
    "LikertQuestion",
    "NpsQuestion",
    "Question",
    "QuestionType",
    "Scale",
    "TextQuestion",
]

QuestionType = Literal["likert", "choice", "debt_item_choice", "nps", "text", "hours"]
QUESTION_TYPES: tuple[str, ...] = get_args(QuestionType)
Category = Literal["experimentation", "operational"]
DebtStatus = Literal["open", "in_progress", "resolved", "wont_fix", "accepted"]

NPS_MIN = 0
NPS_MAX = 10
MAX_SCALE_POINTS = 11


@dataclass(frozen=True)
class HoursBucket:
    """One answer of an ``hours`` question: the rough range shown (``label``) and the number
    of hours stored for it (``hours``, a representative point of the range; a working day
    counts 8 hours)."""

    hours: float
    label: str

    @property
    def value(self) -> str:
        """The option value offered in Slack and accepted in an import: ``0``, ``0.5`` …"""
        return f"{self.hours:g}"


#: What an ``hours`` question offers, in order. Only these numbers are stored, so every
#: answer means the same range whichever way it came (poll, modal or CSV import).
HOURS_BUCKETS: tuple[HoursBucket, ...] = (
    HoursBucket(0.0, "None"),
    HoursBucket(0.5, "Under 1 hour"),
    HoursBucket(1.5, "1–2 hours"),
    HoursBucket(3.0, "2–4 hours"),
    HoursBucket(6.0, "4–8 hours"),
    HoursBucket(12.0, "1–2 days"),
    HoursBucket(20.0, "More than 2 days"),
)


@dataclass(frozen=True)
class _SampleItem:
    """What a prompt's ``item`` holds when the poll opens (id, key, title), for the check."""

    id: int = 12
    key: str = "DEBT-12"
    title: str = "Flaky data ingestion"


def _check_prompt(source: str) -> str:
    """The prompt compiles, reads no name but ``item``, and renders with a sample item: a
    template that passes the check does not fail later, when its poll opens."""
    if not source.strip():
        raise problem("must not be empty")
    try:
        names = template_variables(source)
    except TemplateSyntaxError as exc:
        where = f" (line {exc.lineno} of the prompt)" if exc.lineno and exc.lineno > 1 else ""
        raise problem(f"{exc.message or 'syntax error'}{where}") from None
    unknown = sorted(names - {"item"})
    if unknown:
        raise problem(
            f"uses {unknown[0]!r}, which a prompt does not have: it may use only item "
            "(item.key, item.title, item.id) in a for_each question"
        )
    try:
        render(source, item=_SampleItem())
    except RenderError as exc:
        raise problem(f"cannot be shown: {exc.message}") from None
    return source


Prompt = Annotated[str, Field(max_length=2000), AfterValidator(_check_prompt)]
"""A Jinja2 template for the question text (Slack mrkdwn), checked to compile."""


def _option_value(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


OptionValue = Annotated[str, BeforeValidator(_option_value), Field(min_length=1, max_length=150)]


class DebtItemFilter(TemplateModel):
    """Which debt items a per-item question is asked about."""

    category: Category | None = None
    status: DebtStatus = "open"
    component: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    top: Annotated[int, Field(ge=1, le=50)] | None = None
    """Only the N highest-ranked matching items."""
    also_resolved_within: Duration | None = None
    """Also ask about items resolved this recently (e.g. ``8w``), after the others, so the
    return on a fix is measured with answers from after it (``debtpulse roi``)."""


class ForEach(TemplateModel):
    """``for_each: {debt_items: {...}}`` — ask the question once per matching debt item."""

    debt_items: DebtItemFilter


class Scale(TemplateModel):
    """A numeric answer scale from ``min`` to ``max``, with optional labels for some points."""

    min: int = 1
    max: int = 5
    labels: dict[int, Label] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_range(self) -> Self:
        problems: list[tuple[tuple[str | int, ...], str, object]] = []
        if self.max <= self.min:
            problems.append((("max",), f"must be greater than min ({self.min})", self.max))
        elif self.max - self.min + 1 > MAX_SCALE_POINTS:
            problems.append((("max",), f"a scale has at most {MAX_SCALE_POINTS} points", self.max))
        problems.extend(
            (("labels", key), f"label for {key} is outside the scale {self.min}..{self.max}", key)
            for key in self.labels
            if not self.min <= key <= self.max
        )
        if problems:
            fail("Scale", problems)
        return self

    @property
    def points(self) -> range:
        """Every value on the scale, lowest first."""
        return range(self.min, self.max + 1)


class ChoiceOption(TemplateModel):
    """One option of a ``choice`` question: the stored ``value`` and the shown ``label``."""

    value: OptionValue
    label: Label


class QuestionBase(TemplateModel):
    """Fields every question has."""

    id: Slug
    type: QuestionType
    prompt: Prompt
    optional: bool = False

    @property
    def over_debt_items(self) -> bool:
        """True when the question is asked once per debt item (it has ``for_each``)."""
        return getattr(self, "for_each", None) is not None

    @model_validator(mode="after")
    def _check_prompt_context(self) -> Self:
        if "item" in template_variables(self.prompt) and not self.over_debt_items:
            fail(
                type(self).__name__,
                [(("prompt",), "uses 'item' but the question has no for_each", self.prompt)],
            )
        return self

    @classmethod
    def _unknown_field_message(cls, name: str) -> str:
        owners = [
            question_type
            for question_type, model in _MODELS_BY_TYPE.items()
            if name in model.model_fields
        ]
        if owners:
            question_type = cls.model_fields["type"].default
            article = "an" if question_type == "hours" else "a"
            return (
                f"not allowed on {article} {question_type} question (only on: {', '.join(owners)})"
            )
        return super()._unknown_field_message(name)


class LikertQuestion(QuestionBase):
    """A rating on a scale (default 1..5), optionally once per debt item."""

    type: Literal["likert"] = "likert"
    for_each: ForEach | None = None
    scale: Scale = Field(default_factory=Scale)


class NpsQuestion(QuestionBase):
    """A 0..10 rating (net promoter style), optionally once per debt item."""

    type: Literal["nps"] = "nps"
    for_each: ForEach | None = None


class ChoiceQuestion(QuestionBase):
    """One option out of a fixed list, optionally once per debt item."""

    type: Literal["choice"] = "choice"
    for_each: ForEach | None = None
    options: list[ChoiceOption] = Field(min_length=2, max_length=100)

    @field_validator("options")
    @classmethod
    def _unique_values(cls, options: list[ChoiceOption]) -> list[ChoiceOption]:
        first_index: dict[str, int] = {}
        duplicates = []
        for index, option in enumerate(options):
            if option.value in first_index:
                message = (
                    f"duplicate option value '{option.value}'"
                    f" (already used by option {first_index[option.value]})"
                )
                duplicates.append(((index, "value"), message, option.value))
            else:
                first_index[option.value] = index
        if duplicates:
            fail("ChoiceQuestion", duplicates)
        return options


class HoursQuestion(QuestionBase):
    """Roughly how many hours one debt item cost the person this week, asked once per item
    and answered with one of :data:`HOURS_BUCKETS`. Not pain: it never enters the score."""

    type: Literal["hours"] = "hours"
    for_each: ForEach | None = None

    @model_validator(mode="after")
    def _check_prompt_context(self) -> Self:
        """Replaces the check of the base: with ``for_each`` required, a prompt may use
        ``item``, and the missing ``for_each`` is what to report."""
        if self.for_each is None:
            message = "an hours question is asked once per debt item: add for_each"
            fail("HoursQuestion", [(("for_each",), message, None)])
        return self


class DebtItemChoiceQuestion(QuestionBase):
    """Pick one debt item; the options are the register's open items at run time."""

    type: Literal["debt_item_choice"] = "debt_item_choice"


class TextQuestion(QuestionBase):
    """A free-text answer of at most ``max_length`` characters."""

    type: Literal["text"] = "text"
    max_length: int = Field(default=500, ge=1, le=3000)


_MODELS_BY_TYPE: dict[str, type[QuestionBase]] = {
    "likert": LikertQuestion,
    "choice": ChoiceQuestion,
    "debt_item_choice": DebtItemChoiceQuestion,
    "nps": NpsQuestion,
    "text": TextQuestion,
    "hours": HoursQuestion,
}

Question = Annotated[
    LikertQuestion
    | ChoiceQuestion
    | DebtItemChoiceQuestion
    | NpsQuestion
    | TextQuestion
    | HoursQuestion,
    Field(discriminator="type"),
]
"""Any question; ``type`` decides the model."""
