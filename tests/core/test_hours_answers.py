"""An ``hours`` answer: only the offered numbers of hours are taken, whichever way they come;
a run freezes the offered ranges, and its summary shows the mean hours lost per item."""

from __future__ import annotations

import pytest

from bot.core.answers import AnswerError, check_answer
from bot.core.polls import FrozenItem, SummaryLine, freeze, run_summary
from surveys.questions import HoursQuestion
from surveys.schema import Survey

QUESTION = HoursQuestion.model_validate(
    {
        "id": "hours",
        "type": "hours",
        "prompt": "How many hours did *{{ item.title }}* cost you?",
        "for_each": {"debt_items": {"status": "open"}},
    }
)
SURVEY = Survey.model_validate(
    {
        "id": "team-hours",
        "title": "Team hours",
        "schedule": {"cron": "0 14 * * THU", "timezone": "UTC"},
        "open_for": "48h",
        "questions": [QUESTION.model_dump(), {"id": "note", "type": "text", "prompt": "More?"}],
    }
)
ITEMS = [FrozenItem(3, "DEBT-3", "Flaky <ingestion>"), FrozenItem(7, "DEBT-7", "No schema")]


@pytest.mark.parametrize(
    ("value", "hours"),
    [("0", 0.0), ("0.5", 0.5), ("1.5", 1.5), ("3", 3.0), ("6.0", 6.0), ("12", 12.0), (20, 20.0)],
)
def test_the_offered_hours_are_stored_as_numbers(value: str | int, hours: float) -> None:
    answer = check_answer(QUESTION, value=value, text=None)
    assert (answer.value, answer.text) == (hours, None)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2", "value: 2 is not one of the hours offered (0, 0.5, 1.5, 3, 6, 12, 20)"),
        ("40", "value: 40 is not one of the hours offered (0, 0.5, 1.5, 3, 6, 12, 20)"),
        ("-1", "value: -1 is not one of the hours offered (0, 0.5, 1.5, 3, 6, 12, 20)"),
        ("lots", "value: not a number: 'lots'"),
        ("nan", "value: not a number: 'nan'"),
        ("", "value: a number is required"),
    ],
)
def test_other_numbers_are_refused_not_rounded(value: str, message: str) -> None:
    with pytest.raises(AnswerError) as refused:
        check_answer(QUESTION, value=value, text=None)
    assert str(refused.value) == message


def test_a_run_freezes_the_ranges_per_item() -> None:
    frozen = freeze(SURVEY, items_for={"hours": ITEMS}, choices=[])
    entry = frozen["questions"][0]
    assert entry["type"] == "hours" and entry["scale"] is None
    assert entry["options"] == [
        {"value": "0", "label": "None"},
        {"value": "0.5", "label": "Under 1 hour"},
        {"value": "1.5", "label": "1–2 hours"},
        {"value": "3", "label": "2–4 hours"},
        {"value": "6", "label": "4–8 hours"},
        {"value": "12", "label": "1–2 days"},
        {"value": "20", "label": "More than 2 days"},
    ]
    assert [item["prompt"] for item in entry["items"]] == [
        "How many hours did *Flaky &lt;ingestion&gt;* cost you?",
        "How many hours did *No schema* cost you?",
    ]


def test_the_summary_shows_mean_hours_lost_per_item_above_the_minimum_group() -> None:
    frozen = freeze(SURVEY, items_for={"hours": ITEMS}, choices=[])
    lines = run_summary(
        frozen,
        results={("hours", 3): (5, 4.5), ("hours", 7): (2, 20.0)},
        previous={("hours", 3): (6, 6.0)},
        min_group=5,
    )
    assert lines == [
        SummaryLine("DEBT-3", "Flaky <ingestion>", 5, 4.5, -1.5, "mean hours lost"),
        SummaryLine("DEBT-7", "No schema", None, None, None, "mean hours lost"),
    ]
    assert [line.text(5) for line in lines] == [
        "*DEBT-3* Flaky &lt;ingestion&gt;: mean hours lost 4.5 from 5 (-1.5 since last run)",
        "*DEBT-7* No schema: fewer than 5 answers",
    ]
