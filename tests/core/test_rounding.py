"""Largest-remainder rounding: shown components add up exactly to the shown total."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.core.rounding import round_components


def dsum(values: object) -> Decimal:
    return sum((Decimal(repr(v)) for v in values), Decimal(0))  # type: ignore[attr-defined]


def test_naive_rounding_would_not_add_up() -> None:
    parts = {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}
    assert round(parts["a"], 1) * 3 != 1.0  # 0.3 + 0.3 + 0.3
    shown = round_components(parts)
    # 3.333.. units each: floors 3+3+3 = 9 of 10; the one unit goes to the first tie
    assert shown.components == {"a": 0.4, "b": 0.3, "c": 0.3}
    assert shown.total == 1.0


def test_largest_remainder_wins() -> None:
    # exact total 10.0; floors 1.2 + 3.4 + 5.3 = 9.9; remainders .04, .06, .0 → b gets the unit
    shown = round_components({"a": 1.24, "b": 3.46, "c": 5.30})
    assert shown.components == {"a": 1.2, "b": 3.5, "c": 5.3}
    assert shown.total == 10.0


def test_negative_components() -> None:
    # exact: 27.125 + 15.2174 − 1.25 + 8.68 = 49.7724 → 49.8
    # in tenths: 271.25, 152.174, −12.5, 86.8; floors 271 + 152 − 13 + 86 = 496 of 498;
    # the two units go to the largest remainders: signals (.8) and trend (−12.5 − (−13) = .5);
    # risk (.25) and pain (.174) stay rounded down
    shown = round_components({"risk": 27.125, "pain": 15.2174, "trend": -1.25, "signals": 8.68})
    assert shown.components == {"risk": 27.1, "pain": 15.2, "trend": -1.2, "signals": 8.7}
    assert shown.total == 49.8
    assert dsum(shown.components.values()) == Decimal("49.8")


def test_an_all_negative_sum_and_no_minus_zero() -> None:
    # −0.02 + −0.02 = −0.04 → 0.0; floors −0.1 and −0.1 both go back up to 0.0
    shown = round_components({"a": -0.02, "b": -0.02})
    assert shown.components == {"a": 0.0, "b": 0.0}
    assert shown.total == 0.0
    assert dsum(shown.components.values()) == 0
    assert all(str(v) != "-0.0" for v in shown.components.values())
    assert str(shown.total) == "0.0"
    shown = round_components({"a": -1.26, "b": -2.47})
    assert shown.total == -3.7  # half-up, away from zero at .5
    assert dsum(shown.components.values()) == Decimal("-3.7")


def test_decimals_and_float_reprs() -> None:
    # 2.675 is stored as 2.67499999…, but its repr is 2.675: read as typed
    assert round_components({"a": 2.675}, 2).total == 2.68
    shown = round_components({"a": 1.004, "b": 2.004}, 0)
    assert shown.components == {"a": 1.0, "b": 2.0} and shown.total == 3.0
    assert round_components({}) == ({}, 0.0)


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        round_components({"a": float("nan")})
    with pytest.raises(ValueError):
        round_components({"a": 1.0}, -1)


def test_spread_total_keeps_unmoved_parts_at_zero_and_adds_up() -> None:
    from bot.core.rounding import spread_total

    # exact changes 0.26 + 0.26 = 0.52 shown as a 0.6 change: floors 0.2 + 0.2, two units
    # missing, one each (ties go to the earlier part)
    assert spread_total({"a": 0.26, "b": 0.26, "c": 0.0}, 0.6) == {"a": 0.3, "b": 0.3, "c": 0.0}
    # shown change 0.4 for exact 0.52: floors 0.2 + 0.2 already add up
    assert spread_total({"a": 0.26, "b": 0.26, "c": 0.0}, 0.4) == {"a": 0.2, "b": 0.2, "c": 0.0}
    # a shown change below the floors: the smallest remainder gives a unit back
    assert spread_total({"a": 0.29, "b": 0.21}, 0.3) == {"a": 0.2, "b": 0.1}
    # negative changes round down too: −0.26 → −0.3 floor, a unit back to the largest remainder
    assert spread_total({"a": -0.26, "b": 0.0}, -0.2) == {"a": -0.2, "b": 0.0}
    assert spread_total({"a": 0.0}, 0.0) == {"a": 0.0}
