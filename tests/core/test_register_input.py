"""The effort of a fix as people write it (3d, 4h, 2w, 1.5d), stored as days, and the days of
the register (YYYY-MM-DD): what is read, what is refused and how it reads back."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.register_input import effort_cell, effort_text, parse_day, parse_effort


@pytest.mark.parametrize(
    ("written", "days"),
    [
        ("3d", 3.0),
        ("1.5d", 1.5),
        ("4h", 0.5),  # 8 hours a day
        ("1h", 0.125),
        ("1.5h", 0.188),  # to a thousandth of a day
        ("2w", 10.0),  # 5 days a week
        ("0.5w", 2.5),
        ("3D", 3.0),
        (" 2 d ", 2.0),
        ("0d", 0.0),
    ],
)
def test_an_effort_is_read_as_days(written: str, days: float) -> None:
    assert parse_effort(written) == days


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("3", '"3" is not an effort: expected a number with d (days), h (hours, 8 a day)'),
        ("3x", '"3x" is not an effort'),
        ("-1d", '"-1d" is not an effort'),
        ("1e3d", '"1e3d" is not an effort'),
        ("²d", '"²d" is not an effort'),  # digits are ASCII digits
        ("1.2345d", '"1.2345d" is not an effort'),
        ("d", '"d" is not an effort'),
        ("", '"" is not an effort'),
        ("2001w", '"2001w" is more than 10,000 days'),
        ("9" * 40 + "d", '"9999999999999999999…" is not an effort'),  # quoted short
    ],
)
def test_a_bad_effort_is_refused_saying_what_is_expected(written: str, problem: str) -> None:
    with pytest.raises(ValueError, match="^" + problem.replace("(", r"\(").replace(")", r"\)")):
        parse_effort(written)


def test_a_plain_number_of_days_is_taken_only_where_allowed() -> None:
    assert parse_effort("2.5", plain_days=True) == 2.5
    assert parse_effort("4h", plain_days=True) == 0.5
    with pytest.raises(ValueError, match="or a number of days"):
        parse_effort("two", plain_days=True)


def test_an_effort_reads_as_days_and_its_cell_reads_back_exactly() -> None:
    assert [effort_text(d) for d in (3.0, 1.0, 0.5, 0.125, 10.0)] == [
        "3 days",
        "1 day",
        "0.5 days",
        "0.125 days",
        "10 days",
    ]
    for days in (3.0, 0.5, 0.375, 0.188, 2.2, 9999.999):
        assert parse_effort(effort_cell(days), plain_days=True) == days
    assert effort_cell(3.0) == "3" and effort_cell(None) == ""


def test_a_day_is_written_yyyy_mm_dd() -> None:
    assert parse_day("2027-03-01") == date(2027, 3, 1)
    for bad in ("2027-02-30", "1.3.2027", "2027-3-1", "20270301", "2027-03-01T10:00"):
        with pytest.raises(ValueError, match=f'^"{bad}" is not a date: expected YYYY-MM-DD'):
            parse_day(bad)
