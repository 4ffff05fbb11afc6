"""Durations in templates: ``90m``, ``48h``, ``2d``, ``1d12h``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from surveys.durations import Duration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("48h", timedelta(hours=48)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1d 12h 30m", timedelta(days=1, hours=12, minutes=30)),
        (" 36H ", timedelta(hours=36)),
        ("0m", timedelta()),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "48", "h", "2 days", "12h1d", "1.5h", "-2h", "10s"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(minutes=90), "1h30m"),
        (timedelta(hours=48), "2d"),
        (timedelta(days=1, hours=12), "1d12h"),
        (timedelta(), "0m"),
    ],
)
def test_format_duration_round_trips(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value


def test_format_duration_needs_whole_minutes() -> None:
    with pytest.raises(ValueError, match="whole"):
        format_duration(timedelta(seconds=90))


def test_duration_field() -> None:
    adapter: TypeAdapter[timedelta] = TypeAdapter(Duration)
    assert adapter.validate_python("1d12h") == timedelta(hours=36)
    assert adapter.validate_python(timedelta(hours=2)) == timedelta(hours=2)
    assert adapter.dump_python(timedelta(hours=36), mode="json") == "1d12h"
    for bad, message in [("0h", "longer than zero"), (48, "is not a duration"), ("2x", "is not")]:
        with pytest.raises(ValidationError, match=message):
            adapter.validate_python(bad)
