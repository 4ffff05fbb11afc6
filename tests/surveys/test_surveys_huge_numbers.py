"""``debtpulse surveys check`` on durations and integers far too large: one
``file:line: field: message`` line each and a non-zero exit, never a traceback."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

THOUSANDS = "9" * 5000

SURVEY = """\
id: pulse
title: Pulse
schedule: {{cron: "0 10 * * MON", timezone: UTC}}
open_for: {open_for}
reminders: [{reminders}]
max_reminders: {max_reminders}
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down?"
    scale: {{min: {scale_min}, max: 5, labels: {{1: Not at all}}}}
  - id: focus
    type: choice
    prompt: "Which next?"
    options:
      - {{value: {option}, label: First}}
      - {{value: b, label: Second}}
  - id: note
    type: text
    prompt: "Anything else?"
    max_length: {max_length}
"""
GOOD = {
    "open_for": "48h",
    "reminders": "24h",
    "max_reminders": "1",
    "scale_min": "1",
    "option": "a",
    "max_length": "500",
}
LINES = {
    "open_for": 4,
    "reminders": 5,
    "max_reminders": 6,
    "scale_min": 11,
    "option": 16,
    "max_length": 21,
}
FIELDS = {
    "open_for": "open_for",
    "reminders": "reminders.0",
    "max_reminders": "max_reminders",
    "scale_min": "questions.0.scale.min",
    "option": "questions.1.options.0.value",
    "max_length": "questions.2.max_length",
}

TOO_LONG = "is too long; a duration is at most 365d"
TOO_LARGE = "too large: an integer has at most 18 digits (quote it for text)"
CASES = [
    ("open_for", "99999999999d", TOO_LONG),
    ("open_for", f"{THOUSANDS}m", TOO_LONG),
    ("open_for", "999999999d", TOO_LONG),  # fits a timedelta, not a date it is added to
    ("open_for", "366d", TOO_LONG),
    ("reminders", "99999999999w", TOO_LONG),
    ("max_reminders", THOUSANDS, TOO_LARGE),
    ("max_reminders", "-" + THOUSANDS, TOO_LARGE),
    ("max_reminders", "1" + "0" * 18, TOO_LARGE),
    ("max_reminders", "0x" + "f" * 5000, TOO_LARGE),
    ("scale_min", THOUSANDS, TOO_LARGE),
    ("option", THOUSANDS, TOO_LARGE),
    ("max_length", THOUSANDS, TOO_LARGE),
]


def _survey(**changes: str) -> str:
    return SURVEY.format(**{**GOOD, **changes})


def _check(cli, tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "pulse.yaml"
    path.write_text(text, encoding="utf-8")
    return path, cli("surveys", "check", str(path))


def test_the_survey_is_valid_as_written(cli, tmp_path: Path) -> None:
    _, result = _check(cli, tmp_path, _survey())
    assert result.code == 0, result


@pytest.mark.parametrize(
    ("field", "value", "message"),
    CASES,
    ids=[f"{field}-{value[:12]}" for field, value, _ in CASES],
)
def test_surveys_check_reports_one_line(
    cli, tmp_path: Path, field: str, value: str, message: str
) -> None:
    path, result = _check(cli, tmp_path, _survey(**{field: value}))
    assert result.code != 0, result
    output = result.out + result.err
    assert "Traceback" not in output
    problems = [line for line in output.splitlines() if line.startswith(str(path))]
    assert len(problems) == 1, output
    assert problems[0].startswith(f"{path}:{LINES[field]}: {FIELDS[field]}: ")
    assert message in problems[0]
    assert len(problems[0]) < len(str(path)) + 200  # the number is not echoed in full


def test_a_huge_label_key_is_reported_at_the_labels(cli, tmp_path: Path) -> None:
    text = _survey().replace("labels: {1: Not at all}", f"labels: {{? {THOUSANDS} : Huge}}")
    path, result = _check(cli, tmp_path, text)
    assert result.code != 0, result
    assert f"{path}:11: questions.0.scale.labels: {TOO_LARGE}" in result.out + result.err


def test_a_quoted_long_number_is_still_an_option_value(cli, tmp_path: Path) -> None:
    _, result = _check(cli, tmp_path, _survey(option='"' + "9" * 40 + '"'))
    assert result.code == 0, result


def test_a_year_is_the_longest_duration() -> None:
    from surveys.durations import MAX_DURATION, parse_duration

    assert parse_duration("365d") == MAX_DURATION == parse_duration("525600m")
    assert parse_duration("52w") == timedelta(weeks=52)
    for text in ("53w", "366d", "1w 359d", "0" * 5000 + "366d"):
        with pytest.raises(ValueError, match="is too long; a duration is at most 365d"):
            parse_duration(text)
    assert parse_duration("0" * 5000 + "2d") == timedelta(days=2)  # zeros are not digits


def test_a_huge_number_in_weights_yaml_is_one_line(cli, tmp_path: Path) -> None:
    (tmp_path / "pulse.yaml").write_text(_survey(), encoding="utf-8")
    weights = tmp_path / "weights.yaml"
    weights.write_text(f"trend_baseline_weeks: {THOUSANDS}\n", encoding="utf-8")
    result = cli("surveys", "check", str(tmp_path))
    assert result.code != 0, result
    output = result.out + result.err
    assert f"{weights}:1: trend_baseline_weeks: {TOO_LARGE}" in output
    assert "Traceback" not in output
