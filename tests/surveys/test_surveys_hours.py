"""The ``hours`` question type (hours lost to each debt item) and the built-in template
that asks it: its shape, its reserved id, and the errors a template gets, by line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from surveys.loader import builtin_dir, load_directory
from surveys.questions import HOURS_BUCKETS, HoursQuestion
from surveys.schema import Survey, validate_template
from tests.surveys.conftest import Problems, WriteTemplate

HEAD = """
id: team-hours                                  # 1
title: Team hours                               # 2
schedule: {cron: "0 14 * * THU", timezone: UTC} # 3
open_for: 48h                                   # 4
questions:                                      # 5
"""


def test_an_hours_question_is_asked_per_item_and_offers_fixed_buckets() -> None:
    survey = validate_template(
        {
            "id": "team-hours",
            "title": "Team hours",
            "schedule": {"cron": "0 14 * * THU", "timezone": "UTC"},
            "open_for": "48h",
            "questions": [
                {
                    "id": "hours",
                    "type": "hours",
                    "prompt": "How many hours did *{{ item.title }}* cost you?",
                    "for_each": {"debt_items": {"top": 3}},
                }
            ],
        }
    )
    assert isinstance(survey, Survey)
    (question,) = survey.questions
    assert isinstance(question, HoursQuestion)
    assert question.over_debt_items and question.optional is False
    assert [(b.label, b.value, b.hours) for b in HOURS_BUCKETS] == [
        ("None", "0", 0.0),
        ("Under 1 hour", "0.5", 0.5),
        ("1–2 hours", "1.5", 1.5),
        ("2–4 hours", "3", 3.0),
        ("4–8 hours", "6", 6.0),
        ("1–2 days", "12", 12.0),
        ("More than 2 days", "20", 20.0),
    ]
    # the stored definition (JSON) validates back to the same survey
    assert validate_template(survey.model_dump(mode="json")) == survey


def test_an_hours_question_without_for_each_is_an_error(
    write: WriteTemplate, problems: Problems
) -> None:
    path = write(
        "hours.yaml",
        HEAD
        + """\
  - id: hours                                   # 6
    type: hours                                 # 7
    prompt: "How many hours did *{{ item.title }}* cost you?"  # 8
""",
    )
    assert problems(path) == [
        (6, "questions.0.for_each", "an hours question is asked once per debt item: add for_each")
    ]


def test_the_hours_id_and_the_hours_type_go_together(
    write: WriteTemplate, problems: Problems
) -> None:
    path = write(
        "hours.yaml",
        HEAD
        + """\
  - id: lost                                    # 6
    type: hours                                 # 7
    prompt: "How many hours did *{{ item.title }}* cost you?"  # 8
    for_each: {debt_items: {status: open}}      # 9
  - id: hours                                   # 10
    type: likert                                # 11
    prompt: "How bad?"                          # 12
    options: [a, b]                             # 13
""",
    )
    assert problems(path) == [
        (
            6,
            "questions.0.id",
            "an hours question must have the id 'hours' (hours lost are read from it)",
        ),
        (13, "questions.1.options", "not allowed on a likert question (only on: choice)"),
    ]
    path = write(
        "hours2.yaml",
        HEAD
        + """\
  - id: hours                                   # 6
    type: likert                                # 7
    prompt: "How bad?"                          # 8
""",
    )
    assert problems(path) == [
        (
            7,
            "questions.0.type",
            "the 'hours' question holds hours lost and must be an hours question",
        )
    ]


def test_pain_cannot_be_an_hours_question(write: WriteTemplate, problems: Problems) -> None:
    """Pain feeds the score and hours must never: a template cannot mix them up."""
    path = write(
        "hours.yaml",
        HEAD
        + """\
  - id: pain                                    # 6
    type: hours                                 # 7
    prompt: "How many hours did *{{ item.title }}* cost you?"  # 8
    for_each: {debt_items: {status: open}}      # 9
""",
    )
    assert problems(path) == [
        (
            6,
            "questions.0.id",
            "an hours question must have the id 'hours' (hours lost are read from it)",
        ),
        (
            7,
            "questions.0.type",
            "the 'pain' question feeds the priority score and must be a likert question",
        ),
    ]


def test_hours_takes_no_scale_or_options(write: WriteTemplate, problems: Problems) -> None:
    path = write(
        "hours.yaml",
        HEAD
        + """\
  - id: hours                                   # 6
    type: hours                                 # 7
    prompt: "How many hours did *{{ item.title }}* cost you?"  # 8
    for_each: {debt_items: {status: open}}      # 9
    scale: {min: 0, max: 40}                    # 10
""",
    )
    assert problems(path) == [
        (10, "questions.0.scale", "not allowed on an hours question (only on: likert)")
    ]


def test_the_builtin_weekly_hours_lost() -> None:
    survey = load_directory(builtin_dir()).templates["weekly-hours-lost"].survey
    assert survey is not None
    assert survey.title == "Hours lost to debt"
    assert survey.anonymous is True  # released in groups, like the pulse
    assert survey.audience is None  # the default poll channel at run time
    assert survey.open_for == timedelta(hours=48)
    assert survey.reminders == [timedelta(hours=24)]
    assert survey.sample == 5
    (question,) = survey.questions
    assert isinstance(question, HoursQuestion)
    assert question.id == "hours"
    assert question.for_each is not None
    assert (question.for_each.debt_items.status, question.for_each.debt_items.top) == ("open", 8)
    thursday = datetime(2026, 1, 8, 14, 0, tzinfo=UTC)
    fire = survey.schedule.trigger().get_next_fire_time(None, thursday - timedelta(days=2))
    assert fire == thursday
    # it asks nothing the score reads
    assert survey.question("pain") is None
