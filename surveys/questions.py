"""Question models of a survey template, one model per question ``type``.

``likert``, ``nps`` and ``choice`` questions may be asked once per debt item
(``for_each: {debt_items: {...}}``); their prompt can then use ``{{ item.… }}``.
``debt_item_choice`` offers the debt items themselves as the options, and ``text`` is a free
answer. Each type accepts only its own fields, so ``options`` on a likert question is an
error naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, Self, get_args

from jinja2 import TemplateSyntaxError
from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from surveys.fields import Label, Slug, TemplateModel, fail, problem
from surveys.render import RenderError, render, template_variables

__all__ = [
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
    "LikertQuestion",
    "NpsQuestion",
    "Question",
    "QuestionType",
    "Scale",
    "TextQuestion",
]

QuestionType = Literal["likert", "choice", "debt_item_choice", "nps", "text"]
QUESTION_TYPES: tuple[str, ...] = get_args(QuestionType)
Category = Literal["experimentation", "operational"]
DebtStatus = Literal["open", "in_progress", "resolved", "wont_fix"]

NPS_MIN = 0
NPS_MAX = 10
MAX_SCALE_POINTS = 11


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
            return f"not allowed on a {question_type} question (only on: {', '.join(owners)})"
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
}

Question = Annotated[
    LikertQuestion | ChoiceQuestion | DebtItemChoiceQuestion | NpsQuestion | TextQuestion,
    Field(discriminator="type"),
]
"""Any question; ``type`` decides the model."""
