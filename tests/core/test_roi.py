"""The ROI statistics on series whose answer is known by hand."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from bot.core import roi_fit
from bot.core.roi import (
    Effect,
    MetricEffect,
    Period,
    analyse,
    payback_weeks,
    t_quantile,
    weekly_saving,
)


def _line(weeks: range, a: float, b: float, shift: float = 0.0) -> list[float | None]:
    return [a + b * t + shift for t in weeks]


def _effect(result: MetricEffect) -> Effect:
    assert result.effect is not None, result
    return result.effect


def test_a_level_drop_on_a_straight_line_is_found_exactly() -> None:
    # 12 weeks on 10 + 0.5·t, then the same line 3 lower for 6 weeks.
    series = _line(range(12), 10, 0.5) + _line(range(12, 18), 10, 0.5, shift=-3)
    result = analyse(series, 12, "lower")
    effect = _effect(result)
    assert effect.method == "its"
    assert effect.estimate == pytest.approx(-3, abs=1e-9)
    assert effect.high - effect.low < 1e-6  # no noise, no width
    assert effect.low == pytest.approx(-3, abs=1e-6)
    assert result.verdict == "improved"
    # pre: the mean of 10 + 0.5·t over t = 0..11 is 10 + 0.5·5.5; post: t = 12..17, less 3
    assert (result.pre.weeks, result.pre.mean) == (12, pytest.approx(12.75))
    assert (result.post.weeks, result.post.mean) == (6, pytest.approx(14.25))
    assert result.caveats == ()


def test_a_slope_change_counts_as_its_mean_over_the_post_weeks() -> None:
    # After week 10 the level jumps by 1 and the slope by 0.5: over weeks 10..15 the gap to
    # the old line is 1 + 0.5·(0..5), whose mean is 1 + 0.5·2.5 = 2.25.
    pre = _line(range(10), 5, 0.2)
    post: list[float | None] = [5 + 0.2 * t + 1 + 0.5 * (t - 10) for t in range(10, 16)]
    result = analyse(pre + post, 10, "lower")
    assert _effect(result).estimate == pytest.approx(2.25, abs=1e-9)
    assert result.verdict == "worse"  # up, for a metric where lower is better
    assert analyse(pre + post, 10, "higher").verdict == "improved"


def test_too_few_weeks_with_a_value_is_insufficient_data() -> None:
    short = analyse([4.0, 5.0, 6.0, 2.0, 2.0, 2.0], 3, "lower")
    assert short.effect is None and short.verdict == "insufficient_data"
    assert short.caveats == (
        "insufficient data: 3 weeks with a value before the fix (4 needed)",
        "short window: 3 weeks after the fix",
    )
    assert short.pre == Period(3, 5.0) and short.post == Period(3, 2.0)
    # Weeks without a value do not count: 6 weeks before, 3 of them empty.
    gappy = analyse([4.0, None, 5.0, None, None, 6.0, 2.0, 2.0], 6, "lower")
    assert gappy.verdict == "insufficient_data" and gappy.pre.weeks == 3
    after = analyse([4.0, 5.0, 6.0, 5.0, 2.0, None], 4, "lower")
    assert after.verdict == "insufficient_data"
    assert after.caveats == (
        "insufficient data: 1 week with a value after the fix (2 needed)",
        "short window: 4 weeks before the fix",
        "missing weeks: no value in 1 of 6 weeks",
    )
    # The thresholds are the caller's.
    assert analyse([4.0, 5.0, 6.0, 2.0, 2.0, 2.0], 3, "lower", min_pre=3).effect is not None


def test_missing_weeks_are_skipped_not_zero() -> None:
    series = _line(range(14), 20, -0.25) + _line(range(14, 20), 20, -0.25, shift=1.5)
    for week in (2, 7, 15):
        series[week] = None
    result = analyse(series, 14, "lower")
    assert _effect(result).estimate == pytest.approx(1.5, abs=1e-9)
    assert result.verdict == "worse"
    assert (result.pre.weeks, result.post.weeks) == (12, 5)
    assert "missing weeks: no value in 3 of 20 weeks" in result.caveats


def test_direction_decides_which_way_is_improved() -> None:
    series = _line(range(10), 0.6, 0.0) + _line(range(10, 14), 0.6, 0.0, shift=0.2)
    up = analyse(series, 10, "higher")  # e.g. experiment success rate: up is better
    assert _effect(up).estimate == pytest.approx(0.2, abs=1e-9)
    assert up.verdict == "improved"
    assert analyse(series, 10, "lower").verdict == "worse"
    flat = analyse(_line(range(14), 3, 0.0), 10, "higher")
    assert flat.verdict == "no_change"
    assert _effect(flat).estimate == pytest.approx(0, abs=1e-9)


def test_a_spike_just_before_the_fix_is_not_the_level_to_beat() -> None:
    # Fixed when it hurt most: the two weeks before the fix spiked, then the metric went back
    # to where it always was. Nothing was gained; the naive before/after sees a drop.
    series: Sequence[float | None] = [10.0] * 8 + [14.0, 14.0] + [10.0] * 5
    result = analyse(series, 10, "lower")
    assert _effect(result).estimate == pytest.approx(0, abs=1e-9)
    assert result.verdict == "no_change"
    naive = analyse(series, 10, "lower", method="before_after")
    assert _effect(naive).method == "before_after"
    assert _effect(naive).estimate == pytest.approx(10 - 10.8)  # pre mean (8·10 + 2·14) / 10
    assert any(c.startswith("before/after means only") for c in naive.caveats)


def test_a_short_pre_period_carries_its_level_forward() -> None:
    # 6 weeks before the fix: the last 2 are left out and 4 are too few for a trend, so the
    # counterfactual is their mean, 10; after the fix the metric sits at 7.
    series: list[float | None] = [10.0, 11.0, 9.0, 10.0, 13.0, 12.0, 7.0, 7.0, 7.0]
    result = analyse(series, 6, "lower")
    assert _effect(result).estimate == pytest.approx(-3, abs=1e-9)
    assert "short window: 6 weeks before the fix" in result.caveats
    assert "short window: 3 weeks after the fix" in result.caveats
    assert (
        "too few weeks before the fix for a trend: the level before it is carried forward"
        in result.caveats
    )


def test_difference_in_differences_cancels_a_shock_the_controls_share() -> None:
    wiggle = [0.0, 0.4, -0.3, 0.2, -0.1, 0.5, -0.4, 0.1, 0.3, -0.2, 0.0, 0.2]
    shock = [0.0] * 8 + [3.0] * 4  # from the fix week on, everything rose by 3
    treated = [10 + w + s for w, s in zip(wiggle, shock, strict=True)]
    control = [4 + w + s for w, s in zip(wiggle, shock, strict=True)]
    alone = analyse(treated, 8, "lower", method="its")
    assert _effect(alone).estimate > 2 and alone.verdict == "worse"  # the shock, taken for it
    both = analyse(treated, 8, "lower", controls=[control])
    assert _effect(both).method == "did"
    assert _effect(both).estimate == pytest.approx(0, abs=1e-9)
    assert both.verdict == "no_change"
    # A real drop of 2 under the same shock is measured as 2, whatever the shock.
    fixed = [y - (2 if t >= 8 else 0) for t, y in enumerate(treated)]
    result = analyse(fixed, 8, "lower", controls=[control, [c + 1 for c in control]])
    assert _effect(result).estimate == pytest.approx(-2, abs=1e-9)
    assert result.verdict == "improved"
    # pre is the item's own weeks, not the difference: 10 + the mean wiggle of weeks 0..7
    assert (result.pre.weeks, result.pre.mean) == (8, pytest.approx(10 + 0.4 / 8))


def test_controls_without_enough_common_weeks_fall_back_to_the_trend() -> None:
    series = _line(range(10), 5, 0.1) + _line(range(10, 13), 5, 0.1, shift=-1)
    sparse: list[float | None] = [None] * 8 + [1.0] * 5
    result = analyse(series, 10, "lower", controls=[sparse])
    assert _effect(result).method == "its"
    assert _effect(result).estimate == pytest.approx(-1, abs=1e-9)
    assert "controls left out: they share too few weeks with the series" in result.caveats
    forced = analyse(series, 10, "lower", controls=[sparse], method="did")
    assert forced.verdict == "insufficient_data"


def test_slow_wiggles_widen_the_interval_more_than_fast_ones() -> None:
    # The same residuals, in runs (autocorrelated) or alternating week by week.
    slow = [1.0, 1.0, -1.0, -1.0] * 4
    fast = [1.0, -1.0] * 8
    widths = []
    for noise in (slow, fast):
        series: Sequence[float | None] = [10 + e for e in noise[:12]] + [8 + e for e in noise[12:]]
        effect = _effect(analyse(series, 12, "lower"))
        widths.append(effect.high - effect.low)
    assert widths[0] > 1.5 * widths[1]


def test_the_ar1_product_matches_the_matrix() -> None:
    times, v, rho = [0, 1, 3, 4, 7], [1.0, -2.0, 0.5, 3.0, 1.5], 0.6
    by_hand = [
        sum(rho ** abs(ti - tj) * vj for tj, vj in zip(times, v, strict=True)) for ti in times
    ]
    assert roi_fit.ar1_times(times, v, rho) == pytest.approx(by_hand)


def test_before_after_is_a_welch_interval() -> None:
    result = analyse([1.0, 2.0, 3.0, 4.0, 5.0, 7.0], 4, "higher", method="before_after")
    effect = _effect(result)
    assert effect.estimate == pytest.approx(3.5)  # 6 − 2.5
    a, b = (5 / 3) / 4, 2.0 / 2  # s²/n before and after
    df = (a + b) ** 2 / (a * a / 3 + b * b / 1)
    half = t_quantile(0.95, df) * math.sqrt(a + b)
    assert (effect.low, effect.high) == (pytest.approx(3.5 - half), pytest.approx(3.5 + half))


def test_t_quantile_matches_the_tables() -> None:
    assert t_quantile(0.95, 10) == pytest.approx(1.8125, abs=1e-4)
    assert t_quantile(0.975, 5) == pytest.approx(2.5706, abs=1e-4)
    assert t_quantile(0.95, 1) == pytest.approx(6.3138, abs=1e-4)
    assert t_quantile(0.95, 30) == pytest.approx(1.6973, abs=1e-4)
    assert t_quantile(0.05, 10) == pytest.approx(-1.8125, abs=1e-4)


def test_weekly_saving_and_payback() -> None:
    hours_lost = Effect(estimate=-4.0, low=-6.0, high=-1.0, method="its")
    assert weekly_saving(hours_lost, "lower") == (4.0, 1.0, 6.0)
    assert weekly_saving(hours_lost, "higher") == (-4.0, -6.0, -1.0)
    assert payback_weeks(24.0, 4.0) == 6.0  # 3 days of 8 h, 4 h saved a week
    assert payback_weeks(0.0, 4.0) == 0.0
    assert payback_weeks(None, 4.0) is None
    assert payback_weeks(24.0, 0.0) is None
    assert payback_weeks(24.0, -2.0) is None
    with pytest.raises(ValueError, match="cost_hours"):
        payback_weeks(-1.0, 4.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"series": [1.0, "x", 2.0, 3.0]}, r"series\[1\] must be a number or None"),
        ({"series": [1.0, math.nan, 2.0, 3.0]}, r"series\[1\] must be finite"),
        ({"resolve_week": 9}, "resolve_week must be between 0 and 4"),
        ({"direction": "down"}, "direction must be 'lower' or 'higher'"),
        ({"controls": [[1.0, 2.0]]}, r"controls\[0\] has 2 weeks; the series has 4"),
        ({"method": "did"}, "method 'did' needs controls"),
        ({"method": "magic"}, "method must be one of"),
        ({"confidence": 90}, "confidence must be between 0 and 1"),
        ({"min_pre": 2}, "min_pre must be at least 3"),
    ],
)
def test_bad_input_names_the_argument(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "series": [1.0, 2.0, 3.0, 4.0],
        "resolve_week": 2,
        "direction": "lower",
        **kwargs,
    }
    series, week, direction = (arguments.pop(k) for k in ("series", "resolve_week", "direction"))
    with pytest.raises(ValueError, match=message):
        analyse(series, week, direction, **arguments)  # type: ignore[arg-type]
