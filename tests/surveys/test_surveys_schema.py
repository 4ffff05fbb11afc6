"""The template models used directly from Python: defaults, cron rules, kinds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from surveys.cron import cron_trigger, normalize_cron
from surveys.questions import ChoiceQuestion, LikertQuestion, Scale, TextQuestion
from surveys.schema import Digest, Schedule, Survey, validate_template


def _survey(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "team-pulse",
        "title": "Team pulse",
        "schedule": {"cron": "0 10 * * MON", "timezone": "Europe/Berlin"},
        "open_for": "48h",
        "questions": [{"id": "note", "type": "text", "prompt": "Anything?"}],
    }
    data.update(overrides)
    return data


def test_survey_defaults() -> None:
    survey = validate_template(_survey(reminders=["36h", "24h"]))
    assert isinstance(survey, Survey)
    assert survey.kind == "survey"
    assert survey.anonymous is True
    assert survey.results_hidden_until_close is True
    assert survey.per_recipient_timezone is False
    assert survey.audience is None
    assert survey.sample is None
    assert survey.reminders == [timedelta(hours=24), timedelta(hours=36)]  # sorted
    assert survey.max_reminders == 2  # defaults to the number of reminders
    [note] = survey.questions
    assert isinstance(note, TextQuestion)
    assert (note.max_length, note.optional) == (500, False)


def test_explicit_max_reminders_and_dm_audience() -> None:
    survey = Survey.model_validate(
        _survey(
            reminders=["24h"],
            max_reminders=0,
            audience={"dm": {"usergroup": "S0123", "channel_members": "C0456"}},
            per_recipient_timezone=True,
        )
    )
    assert survey.max_reminders == 0
    assert survey.audience is not None and survey.audience.dm is not None
    assert survey.audience.dm.usergroup == "S0123"


def test_likert_default_scale_and_choice_values() -> None:
    likert = LikertQuestion(id="rate", prompt="Rate it")
    assert likert.scale == Scale(min=1, max=5, labels={})
    assert list(likert.scale.points) == [1, 2, 3, 4, 5]
    choice = ChoiceQuestion.model_validate(
        {
            "id": "pick",
            "type": "choice",
            "prompt": "Pick",
            "options": [{"value": 1, "label": "One"}, {"value": "two", "label": "Two"}],
        }
    )
    assert [option.value for option in choice.options] == ["1", "two"]


def test_digest_kind_and_defaults() -> None:
    digest = validate_template(
        {
            "id": "digest",
            "kind": "digest",
            "title": "Digest",
            "schedule": {"cron": "0 9 * * 1", "timezone": "UTC"},
        }
    )
    assert isinstance(digest, Digest)
    assert (digest.top, digest.channels, digest.category) == (10, [], None)
    assert digest.sections.movers is True


def test_templates_are_immutable() -> None:
    survey = validate_template(_survey())
    with pytest.raises(ValidationError):
        survey.title = "Changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("cron", "normalized"),
    [
        ("0 10 * * MON", "0 10 * * mon"),
        ("0 10 * * 1", "0 10 * * mon"),  # crontab numbering: 1 is Monday
        ("0 10 * * 0", "0 10 * * sun"),
        ("0 10 * * 7", "0 10 * * sun"),
        ("0 10 * * 1-5", "0 10 * * mon,tue,wed,thu,fri"),
        ("0 10 * * mon-fri/2", "0 10 * * mon,wed,fri"),
        ("0 10 * * fri-sun", "0 10 * * fri,sat,sun"),
        ("*/15 9-17 1-7 jan,jul *", "*/15 9-17 1-7 jan,jul *"),
    ],
)
def test_cron_normalization(cron: str, normalized: str) -> None:
    assert normalize_cron(cron) == normalized


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("0 10 * *", "expected 5 fields"),
        ("61 10 * * *", "minute field '61'"),
        ("0 10 * * 8", "day-of-week 8 is out of range"),
        ("0 10 * * funday", "day-of-week 'funday'"),
        ("0 10 30 2 *", "never fires"),
    ],
)
def test_cron_errors(cron: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_cron(cron)


def test_numeric_weekdays_fire_on_the_crontab_day() -> None:
    thursday = datetime(2026, 1, 1, tzinfo=UTC)
    fire = cron_trigger("0 10 * * 1", "UTC").get_next_fire_time(None, thursday)
    assert fire == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert fire.strftime("%a") == "Mon"


def test_schedule_is_dst_safe_in_its_zone() -> None:
    schedule = Schedule(cron="0 10 * * MON", timezone="Europe/Berlin")
    winter = schedule.trigger().get_next_fire_time(None, datetime(2026, 1, 1, tzinfo=UTC))
    summer = schedule.trigger().get_next_fire_time(None, datetime(2026, 7, 1, tzinfo=UTC))
    assert winter is not None and summer is not None
    assert (winter.hour, summer.hour) == (10, 10)
    assert winter.astimezone(UTC).hour == 9
    assert summer.astimezone(UTC).hour == 8
    other = schedule.trigger("America/New_York").get_next_fire_time(None, winter)
    assert other is not None and other.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        ("utc", "unknown time zone 'utc'; did you mean 'UTC'?"),
        ("localtime", "not a usable time zone"),
        ("../etc/passwd", "unknown time zone"),
    ],
)
def test_timezone_errors(zone: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Schedule(cron="0 10 * * MON", timezone=zone)
