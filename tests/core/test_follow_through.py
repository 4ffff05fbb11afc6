"""The follow-through rule on hand-computed series: a fix that held, one that faded, and the
weeks too few to tell."""

from __future__ import annotations

import statistics

import pytest

from bot.core.follow_through import Fade, fading

# Before the fix: mean 4.0, standard deviation 0.2 (values 3.8 and 4.2 alternating).
BEFORE = [3.8, 4.2, 3.8, 4.2, 3.8, 4.2]
FIX = len(BEFORE)  # the week of the fix has no value (it is half before, half after)


def test_the_pre_level_of_the_hand_computed_series() -> None:
    assert statistics.mean(BEFORE) == pytest.approx(4.0)
    assert statistics.stdev(BEFORE) == pytest.approx(0.2191, abs=1e-4)


def test_pain_back_at_its_level_before_the_fix_has_faded() -> None:
    series = [*BEFORE, None, 2.0, 2.2, 2.1, 3.9, 4.1, 4.0]
    fade = fading(series, FIX, "lower")
    assert fade == Fade(
        before=pytest.approx(4.0),
        after=pytest.approx(2.1),
        recent=pytest.approx(4.0),
        noise=pytest.approx(0.2191, abs=1e-4),
        recent_weeks=3,
    )


def test_a_fix_that_holds_has_not_faded() -> None:
    assert fading([*BEFORE, None, 2.0, 2.2, 2.1, 2.3, 2.0, 2.2], FIX, "lower") is None


def test_half_the_noise_is_the_margin() -> None:
    """Recent mean 3.9: 0.1 better than before, under half a standard deviation (0.11):
    faded. Recent mean 3.8: 0.2 better, more than half: it still counts as holding."""
    assert fading([*BEFORE, None, 2.0, 2.2, 3.9, 3.9, 3.9], FIX, "lower") is not None
    assert fading([*BEFORE, None, 2.0, 2.2, 3.8, 3.8, 3.8], FIX, "lower") is None


def test_a_fix_that_never_improved_cannot_fade() -> None:
    """The weeks between the fix and the recent ones must have been better by more than one
    standard deviation: 3.85 is only 0.15 better."""
    assert fading([*BEFORE, None, 3.9, 3.8, 4.0, 4.1, 4.0], FIX, "lower") is None


def test_worse_than_before_counts_as_faded() -> None:
    series = [*BEFORE, None, 2.0, 2.0, 5.0, 5.0, 5.0]
    fade = fading(series, FIX, "lower")
    assert fade is not None and fade.recent == pytest.approx(5.0)


def test_higher_is_better_turns_the_rule_around() -> None:
    success = [0.4, 0.5, 0.4, 0.5, 0.4, 0.5]  # mean 0.45
    faded = [*success, None, 0.8, 0.9, 0.45, 0.44, 0.46]
    holds = [*success, None, 0.8, 0.9, 0.85, 0.8, 0.9]
    assert fading(faded, 6, "higher") is not None
    assert fading(holds, 6, "higher") is None
    assert fading(faded, 6, "lower") is None  # for "lower is better" it got worse, then back


def test_too_few_weeks_say_nothing() -> None:
    assert fading([4.0, 4.2, 3.8, None, 2.0, 2.0, 4.0, 4.0, 4.0], 3, "lower") is None  # 3 before
    assert fading([*BEFORE, None, 2.0, 4.0, 4.0, 4.0], FIX, "lower") is None  # 1 between
    # the series stopped: one of the last three weeks has a value
    assert fading([*BEFORE, None, 2.0, 2.0, 4.0, None, None], FIX, "lower") is None


def test_gaps_are_weeks_without_a_value() -> None:
    series = [3.8, None, 4.2, 3.8, None, 4.2, 3.8, 4.2, None, 2.0, None, 2.2, 4.0, None, 4.0]
    fade = fading(series, 9, "lower")
    assert fade is not None and fade.recent_weeks == 2 and fade.after == pytest.approx(2.1)


def test_a_flat_series_before_the_fix_has_no_noise_to_allow() -> None:
    flat = [4.0] * 6
    assert fading([*flat, None, 3.0, 3.0, 4.0, 4.0, 4.0], 6, "lower") is not None
    assert fading([*flat, None, 3.0, 3.0, 3.9, 3.9, 3.9], 6, "lower") is None


@pytest.mark.parametrize(
    ("series", "week", "direction", "message"),
    [
        ([1.0, "x"], 1, "lower", r"series\[1\] must be a number or None"),
        ([1.0, 2.0], 3, "lower", "resolve_week must be between 0 and 2"),
        ([1.0, 2.0], 1, "down", "direction must be 'lower' or 'higher'"),
        ([1.0, float("nan")], 1, "lower", r"series\[1\] must be finite"),
    ],
)
def test_bad_arguments_are_named(series: list, week: int, direction: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fading(series, week, direction)  # type: ignore[arg-type]
