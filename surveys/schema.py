"""The survey and digest template models (the field names are part of debtpulse's contract).

A template file holds one mapping. ``kind`` (default ``survey``) decides the model:
:class:`Survey` for a recurring poll, :class:`Digest` for the recurring priority digest.
:func:`validate_template` picks the model and validates; every model forbids unknown fields.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import timedelta, tzinfo
from functools import cache
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails

from surveys.cron import normalize_cron
from surveys.durations import Duration, format_duration
from surveys.fields import (
    ChannelId,
    Slug,
    TemplateModel,
    Title,
    UsergroupId,
    as_init_details,
    fail,
    problem,
    reraise,
)
from surveys.questions import (
    QUESTION_TYPES,
    Category,
    HoursQuestion,
    LikertQuestion,
    Question,
)

__all__ = [
    "TEMPLATE_KINDS",
    "Audience",
    "Digest",
    "DigestSections",
    "DmAudience",
    "Schedule",
    "Survey",
    "Template",
    "validate_template",
]

TEMPLATE_KINDS = ("survey", "digest")
PAIN_QUESTION_ID = "pain"
#: Hours lost are read by this question id (``storage/hours.py``), as pain is by ``pain``.
HOURS_QUESTION_ID = "hours"
_UNUSABLE_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones() - _UNUSABLE_ZONES)


def _zone_hint(name: str) -> str:
    zones = _known_zones()
    same_case = [zone for zone in zones if zone.lower() == name.lower()]
    close = same_case or difflib.get_close_matches(name, sorted(zones), n=1, cutoff=0.7)
    return f"; did you mean '{close[0]}'?" if close else ""


class Schedule(TemplateModel):
    """When a template runs: a five-field cron expression in an IANA time zone.

    ``cron`` is stored normalized (see :mod:`surveys.cron`); day-of-week numbers follow
    crontab (0 and 7 are Sunday).
    """

    cron: str
    timezone: str

    @field_validator("cron")
    @classmethod
    def _check_cron(cls, value: str) -> str:
        try:
            return normalize_cron(value)
        except ValueError as exc:
            raise problem(str(exc)) from None

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        if value in _UNUSABLE_ZONES:
            raise problem(f"'{value}' is not a usable time zone; name one such as Europe/Berlin")
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise problem(f"unknown time zone '{value}'{_zone_hint(value)}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's time zone."""
        return ZoneInfo(self.timezone)

    def trigger(self, timezone: tzinfo | str | None = None) -> CronTrigger:
        """An APScheduler trigger, in the schedule's zone unless ``timezone`` is given."""
        return CronTrigger.from_crontab(self.cron, timezone=timezone or self.zone)


class DmAudience(TemplateModel):
    """Send the poll by DM to a user group's members and/or a channel's members."""

    usergroup: UsergroupId | None = None
    channel_members: ChannelId | None = None

    @model_validator(mode="after")
    def _needs_recipients(self) -> Self:
        if self.usergroup is None and self.channel_members is None:
            raise problem("name a usergroup, channel_members, or both")
        return self


class Audience(TemplateModel):
    """Who gets the poll: one ``channel`` post, or ``dm`` to each recipient."""

    channel: ChannelId | None = None
    dm: DmAudience | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.channel is None) == (self.dm is None):
            raise problem("give exactly one of channel or dm")
        return self


def _question_error(error: ErrorDetails) -> InitErrorDetails:
    """Report a question's errors without pydantic's union tag in the path."""
    loc = tuple(error["loc"])
    expected = ", ".join(QUESTION_TYPES)
    if error["type"] == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag")
        message = f"unknown question type '{tag}'; expected one of: {expected}"
        return InitErrorDetails(type=problem(message), loc=(*loc, "type"), input=tag)
    if error["type"] == "union_tag_not_found":
        message = f"missing required field; expected one of: {expected}"
        return InitErrorDetails(type=problem(message), loc=(*loc, "type"), input=error["input"])
    if len(loc) >= 2 and loc[1] in QUESTION_TYPES:
        loc = (loc[0], *loc[2:])
    return as_init_details(error, loc)


def _duplicate_question_ids(raw: list[Any]) -> list[InitErrorDetails]:
    first_index: dict[str, int] = {}
    details = []
    for index, question in enumerate(raw):
        question_id = question.get("id") if isinstance(question, Mapping) else None
        if not isinstance(question_id, str):
            continue
        if question_id in first_index:
            message = (
                f"duplicate question id '{question_id}'"
                f" (already used by questions.{first_index[question_id]})"
            )
            details.append(
                InitErrorDetails(type=problem(message), loc=(index, "id"), input=question_id)
            )
        else:
            first_index[question_id] = index
    return details


_QUESTION = TypeAdapter[Question](Question)


def _valid_questions(raw: list[Any]) -> list[tuple[int, Question]]:
    """The questions of ``raw`` that are valid on their own, with their index.

    When another question has an error, the rules across questions still run on these, so
    one ``surveys check`` lists every problem instead of revealing them a round at a time.
    """
    valid = []
    for index, question in enumerate(raw):
        try:
            valid.append((index, _QUESTION.validate_python(question)))
        except ValidationError:
            continue
    return valid


def _reserved_ids(questions: list[tuple[int, Question]]) -> list[InitErrorDetails]:
    """The ``pain`` question feeds the priority score, so its shape is fixed; hours lost are
    read by the id ``hours``, so that id and the ``hours`` type go together."""
    details: list[InitErrorDetails] = []
    for index, question in questions:
        details.extend(_hours_rules(index, question))
        if question.id != PAIN_QUESTION_ID:
            continue
        reason = "the 'pain' question feeds the priority score and"
        rules: list[tuple[tuple[str | int, ...], str]] = []
        if not isinstance(question, LikertQuestion):
            rules.append(((index, "type"), f"{reason} must be a likert question"))
        elif (question.scale.min, question.scale.max) != (1, 5):
            rules.append(((index, "scale"), f"{reason} must use the scale 1..5"))
        if not question.over_debt_items:
            rules.append(((index, "id"), f"{reason} must be asked for_each debt item"))
        details.extend(
            InitErrorDetails(type=problem(message), loc=loc, input=question.id)
            for loc, message in rules
        )
    return details


def _hours_rules(index: int, question: Question) -> list[InitErrorDetails]:
    """An ``hours`` question has the id ``hours``, and the id ``hours`` is an hours question:
    answers under another id would never be counted as hours lost."""
    is_hours = isinstance(question, HoursQuestion)
    if is_hours == (question.id == HOURS_QUESTION_ID):
        return []
    if is_hours:
        loc: tuple[str | int, ...] = (index, "id")
        message = (
            f"an hours question must have the id '{HOURS_QUESTION_ID}' "
            "(hours lost are read from it)"
        )
    else:
        loc = (index, "type")
        message = (
            f"the '{HOURS_QUESTION_ID}' question holds hours lost and must be an hours question"
        )
    return [InitErrorDetails(type=problem(message), loc=loc, input=question.id)]


def _asks_about_items(raw: object) -> bool:
    """Whether the raw ``questions`` could hold a per-item question (unsure counts as yes)."""
    if not isinstance(raw, list):
        return True
    return any(not isinstance(q, Mapping) or q.get("for_each") is not None for q in raw)


SAMPLE_NEEDS_ITEMS = "sample needs a question with for_each (it limits the debt items asked about)"


EARLIEST_ZONE = "Etc/GMT-14"  # UTC+14 (the POSIX sign is inverted): the first local morning


class Survey(TemplateModel):
    """A recurring poll: schedule, audience, timing and questions."""

    id: Slug
    kind: Literal["survey"] = "survey"
    title: Title
    description: str | None = None
    schedule: Schedule
    audience: Audience | None = None
    """None: the default poll channel (DEBTPULSE_POLL_CHANNEL) at run time."""
    per_recipient_timezone: bool = False
    """DM each recipient at the schedule's local time in their own Slack time zone."""
    anonymous: bool = True
    open_for: Duration
    reminders: list[Duration] = Field(default_factory=list)
    """Offsets after opening at which non-respondents are reminded (sorted, each < open_for)."""
    max_reminders: int = Field(default=0, ge=0)
    """Reminders per run at most; defaults to ``len(reminders)``."""
    sample: int | None = Field(default=None, ge=1)
    """Ask each person about at most this many debt items of a per-item question."""
    results_hidden_until_close: bool = True
    questions: list[Question]

    @model_validator(mode="before")
    @classmethod
    def _default_max_reminders(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "max_reminders" not in data:
            reminders = data.get("reminders")
            if isinstance(reminders, list):
                return {**data, "max_reminders": len(reminders)}
        return data

    @field_validator("per_recipient_timezone")
    @classmethod
    def _needs_dm(cls, value: bool, info: ValidationInfo) -> bool:
        if value and "audience" in info.data:
            audience = info.data["audience"]
            if audience is None or audience.dm is None:
                raise problem("only a dm audience can be sent in each recipient's time zone")
        return value

    @field_validator("results_hidden_until_close")
    @classmethod
    def _anonymous_results_stay_hidden(cls, value: bool, info: ValidationInfo) -> bool:
        if not value and info.data.get("anonymous", True):
            raise problem(
                "an anonymous survey keeps its results hidden until it closes (live results "
                "would show how each new answer moved them); set anonymous: false to show "
                "results while the poll is open"
            )
        return value

    @property
    def opening_zone(self) -> tzinfo:
        """Where the run opens: the schedule's zone, or with ``per_recipient_timezone`` the
        earliest zone on Earth (UTC+14), so that nobody's local time has passed yet."""
        return ZoneInfo(EARLIEST_ZONE) if self.per_recipient_timezone else self.schedule.zone

    def trigger(self) -> CronTrigger:
        """When the run opens (see :attr:`opening_zone`)."""
        return self.schedule.trigger(self.opening_zone)

    @field_validator("reminders")
    @classmethod
    def _check_reminders(cls, value: list[timedelta], info: ValidationInfo) -> list[timedelta]:
        open_for: timedelta | None = info.data.get("open_for")
        problems: list[tuple[tuple[str | int, ...], str, object]] = []
        seen: set[timedelta] = set()
        for index, reminder in enumerate(value):
            text = format_duration(reminder)
            if open_for is not None and reminder >= open_for:
                closes = format_duration(open_for)
                message = f"reminder after {text} must come before the poll closes ({closes})"
                problems.append(((index,), message, text))
            if reminder in seen:
                problems.append(((index,), f"duplicate reminder {text}", text))
            seen.add(reminder)
        if problems:
            fail("Survey", problems)
        return sorted(value)

    @field_validator("questions", mode="wrap")
    @classmethod
    def _check_questions(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        details: list[InitErrorDetails] = []
        questions = None
        try:
            questions = handler(value)
        except ValidationError as exc:
            details.extend(_question_error(error) for error in exc.errors())
        if isinstance(value, list):
            if not value:
                details.append(
                    InitErrorDetails(
                        type=problem("needs at least one question"), loc=(), input=value
                    )
                )
            details.extend(_duplicate_question_ids(value))
        if questions is not None:
            details.extend(_reserved_ids(list(enumerate(questions))))
        elif isinstance(value, list):
            details.extend(_reserved_ids(_valid_questions(value)))
        if details:
            reraise("Survey", details)
        return questions

    @model_validator(mode="wrap")
    @classmethod
    def _sample_needs_items(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """``sample`` without a per-item question; reported with the other errors, if any."""
        try:
            survey = handler(data)
        except ValidationError as exc:
            sample = data.get("sample") if isinstance(data, Mapping) else None
            errors = exc.errors()
            if (
                sample is None
                or any(tuple(error["loc"])[:1] == ("sample",) for error in errors)
                or _asks_about_items(data.get("questions"))
            ):
                raise
            missing = InitErrorDetails(
                type=problem(SAMPLE_NEEDS_ITEMS), loc=("sample",), input=sample
            )
            reraise("Survey", [*(as_init_details(error) for error in errors), missing])
        if survey.sample is not None and not any(q.over_debt_items for q in survey.questions):
            fail("Survey", [(("sample",), SAMPLE_NEEDS_ITEMS, survey.sample)])
        return survey

    def question(self, question_id: str) -> Question | None:
        """The question with ``question_id``, if any."""
        return next((q for q in self.questions if q.id == question_id), None)


class DigestSections(TemplateModel):
    """Which parts the digest shows; all are on unless switched off."""

    top: bool = True
    movers: bool = True
    participation: bool = True
    resolved: bool = True
    roi: bool = True
    capacity: bool = True
    unowned: bool = True
    split: bool = True

    @model_validator(mode="after")
    def _at_least_one(self) -> Self:
        if not any(self.model_dump().values()):
            raise problem("switch on at least one section")
        return self


class Digest(TemplateModel):
    """The recurring digest of the ranked debt backlog, posted to channels."""

    id: Slug
    kind: Literal["digest"] = "digest"
    title: Title
    channels: list[ChannelId] = Field(default_factory=list)
    """Empty: the channels in DEBTPULSE_DIGEST_CHANNELS at run time."""
    schedule: Schedule
    top: int = Field(default=10, ge=1, le=50)
    sections: DigestSections = Field(default_factory=DigestSections)
    category: Category | None = None

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, value: list[str]) -> list[str]:
        repeated = [
            ((index,), f"channel {channel} is listed twice", channel)
            for index, channel in enumerate(value)
            if channel in value[:index]
        ]
        if repeated:
            fail("Digest", repeated)
        return value


Template = Survey | Digest


def validate_template(data: object) -> Template:
    """Validate one template mapping; ``kind`` (default ``survey``) picks the model.

    Raises ``pydantic.ValidationError`` with one error per problem.
    """
    if not isinstance(data, Mapping):
        fail("Template", [((), "a template must be a mapping of fields", data)])
    kind = data.get("kind", "survey")
    if kind == "digest":
        return Digest.model_validate(data)
    if kind == "survey":
        return Survey.model_validate(data)
    fail("Template", [(("kind",), f"must be 'survey' or 'digest', not {kind!r}", kind)])
