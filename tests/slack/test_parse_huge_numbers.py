"""``/debt`` arguments of thousands of digits: a usage line naming the argument, never an
exception int() raises on numbers that long (Python reads at most 4,300 digits)."""

from __future__ import annotations

import pytest

from bot.slack.parse import MAX_TOP, Command, UsageError, parse

THOUSANDS = "9" * 5000


@pytest.mark.parametrize(
    "text",
    [
        f"top {THOUSANDS}",
        f"top +{THOUSANDS}",
        f"top -{THOUSANDS}",
        f"top {THOUSANDS} operational",
        "top 10000000000",
        f"top 1{'0' * 4400}",
    ],
    ids=["digits", "plus", "minus", "with-category", "eleven-digits", "past-int-limit"],
)
def test_top_with_a_huge_number_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError) as error:
        parse(text)
    assert error.value.message == f"N must be between 1 and {MAX_TOP}"
    assert error.value.usage.startswith("/debt top [N]")


def test_leading_zeros_still_read_as_the_number() -> None:
    assert parse(f"top {'0' * 5000}7") == Command("top", {"limit": 7})
    assert parse("top +05 operational") == Command("top", {"limit": 5, "category": "operational"})


@pytest.mark.parametrize("text", [f"poll close {THOUSANDS}", f"why DEBT-{THOUSANDS}x"])
def test_other_numbers_of_thousands_of_digits_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse(text)


@pytest.mark.parametrize(
    "text",
    [f"poll close {THOUSANDS}", f"why DEBT-{THOUSANDS}x", f"status DEBT-1 {THOUSANDS}", THOUSANDS],
)
def test_a_usage_message_does_not_quote_thousands_of_digits(text: str) -> None:
    with pytest.raises(UsageError) as error:
        parse(text)
    assert len(error.value.message) < 100
    assert "9999…`" in error.value.message
