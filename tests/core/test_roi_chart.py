"""The ROI chart: actual weekly series, the counterfactual the effect was measured against,
and the week of the fix — a PNG, the same bytes for the same report, None without
matplotlib or without anything measured."""

from __future__ import annotations

import builtins
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import pytest

from bot.core import chart
from bot.core.roi import Direction, MetricEffect, analyse
from bot.core.roi_chart import MAX_PANELS, panels, render_roi_chart
from bot.core.roi_chart_data import counterfactual, line

FIRST = date(2026, 3, 2)  # a Monday
FIX = 12  # weeks 0-11 before the fix, 12 the week of the fix, 13-19 after
WEEKS = tuple(FIRST + timedelta(weeks=n) for n in range(20))
#: A trend before the fix (3.0 rising 0.05 a week, ±0.1), a drop of 1.0 after it.
PAIN: tuple[float | None, ...] = (
    *(3.0 + 0.05 * t + (0.1 if t % 2 else -0.1) for t in range(FIX)),
    None,
    *(3.0 + 0.05 * t - 1.0 + (0.1 if t % 2 else -0.1) for t in range(FIX + 1, 20)),
)


@dataclass(frozen=True)
class Metric:
    name: str
    scope: str
    unit: str
    direction: Direction
    result: MetricEffect
    weeks: Sequence[date]
    series: Sequence[float | None]
    resolve_week: int


@dataclass(frozen=True)
class Cost:
    effort_days: float | None = 3.0
    hours: float | None = 24.0
    money: float | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Report:
    key: str = "DEBT-12"
    title: str = "Flaky data ingestion"
    resolved_on: date = WEEKS[FIX] + timedelta(days=2)
    cost: Cost = field(default_factory=Cost)
    metrics: Sequence[Metric] = ()
    hours_saved_per_week: tuple[float, float, float] | None = None
    money_saved_per_week: float | None = None
    payback_weeks: float | None = None
    caveats: Sequence[str] = ()


def metric(
    series: Sequence[float | None] = PAIN,
    *,
    name: str = "pain",
    scope: str = "DEBT-12",
    controls: Sequence[Sequence[float | None]] = (),
) -> Metric:
    result = analyse(series, FIX, "lower", controls=controls)
    return Metric(name, scope, "1-5", "lower", result, WEEKS[: len(series)], series, FIX)


def _pixels(png: bytes) -> Any:
    from matplotlib import image

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return image.imread(io.BytesIO(png), format="png")


# -- the counterfactual, as the analysis fits it ------------------------------------------------


def test_the_least_squares_line_on_hand_computed_points() -> None:
    # points (0, 1), (1, 3), (2, 5): centre 1, mean 3, slope 2
    assert line([(0, 1.0), (1, 3.0), (2, 5.0)], slope=True) == (3.0, 2.0, 1.0)
    assert line([(0, 1.0), (1, 3.0), (2, 5.0)], slope=False) == (3.0, 0.0, 1.0)


def test_the_trend_before_the_fix_is_the_counterfactual_of_the_effect() -> None:
    m = metric()
    assert m.result.effect is not None and m.result.effect.method == "its"
    cf = counterfactual(m.series, FIX, m.result)
    assert cf is not None
    # fitted on weeks 0-9: the two weeks just before the fix are left out of the fit
    assert [t for t, v in enumerate(cf.fitted) if v is not None] == list(range(10))
    assert cf.projected[:9] == (None,) * 9 and cf.projected[9] is not None
    # the slope and level of the fitted line are those of the data (0.05 a week)
    assert cf.projected[19] - cf.projected[18] == pytest.approx(0.05, abs=0.01)  # type: ignore[operator]
    # the effect is the post weeks' mean minus the counterfactual's mean over the same weeks
    post = [t for t in range(FIX, 20) if m.series[t] is not None]
    mean_cf = math.fsum(cf.projected[t] for t in post) / len(post)  # type: ignore[misc]
    assert m.result.post.mean is not None
    assert m.result.post.mean - mean_cf == pytest.approx(m.result.effect.estimate)
    assert m.result.effect.estimate == pytest.approx(-1.0, abs=0.1)


def test_against_controls_the_counterfactual_is_the_level_compared_with() -> None:
    control = [2.0 + 0.05 * t for t in range(20)]
    m = metric(controls=[control])
    assert m.result.effect is not None and m.result.effect.method == "did"
    cf = counterfactual(m.series, FIX, m.result)
    assert cf is not None and set(cf.fitted) == {None}
    level = m.result.post.mean - m.result.effect.estimate  # type: ignore[operator]
    assert cf.projected == (None,) * FIX + (pytest.approx(level),) * (20 - FIX)


def test_no_effect_no_counterfactual() -> None:
    short = metric((*PAIN[: FIX + 1], 2.0))  # one week after the fix: insufficient data
    assert short.result.effect is None
    assert counterfactual(short.series, FIX, short.result) is None


# -- the chart ------------------------------------------------------------------------------------

needs_matplotlib = pytest.mark.skipif(not chart.charts_available(), reason="no matplotlib")


@needs_matplotlib
def test_a_fix_with_two_measures_draws_a_png_with_a_panel_each() -> None:
    hours = metric(tuple(None if v is None else v * 2 for v in PAIN), name="hours_lost_per_person")
    report = Report(metrics=[metric(), hours])
    png = render_roi_chart(report)
    assert png is not None
    height, width = _pixels(png).shape[:2]
    assert width == 1200 and height > 700  # two panels of the same width as the digest chart
    one = render_roi_chart(replace(report, metrics=[metric()]))
    assert one is not None and _pixels(one).shape[0] < height


@needs_matplotlib
def test_the_same_report_gives_the_same_bytes() -> None:
    report = Report(metrics=[metric()])
    assert render_roi_chart(report) == render_roi_chart(report)


def test_measured_metrics_are_drawn_first_and_at_most_four() -> None:
    unmeasured = metric((*PAIN[: FIX + 1], 2.0), name="mttr_hours")
    team = metric(name="feature_cycle_time_hours", scope="team")
    many = [unmeasured, team, *(metric(name=f"m{n}") for n in range(5))]
    chosen = panels(Report(metrics=many))
    assert len(chosen) == MAX_PANELS
    assert chosen[0].name == "m0" and unmeasured not in chosen  # the item's own, measured
    # with nothing measured, what has values is drawn
    assert panels(Report(metrics=[unmeasured])) == [unmeasured]


def test_nothing_measured_is_no_chart() -> None:
    assert render_roi_chart(Report()) is None
    empty = metric((None,) * 20)
    assert render_roi_chart(Report(metrics=[empty])) is None


def test_weeks_and_values_must_line_up() -> None:
    bad = replace(metric(), weeks=WEEKS[:5])
    with pytest.raises(ValueError, match="pain: 20 values for 5 weeks"):
        render_roi_chart(Report(metrics=[bad]))


@pytest.fixture
def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_import = builtins.__import__

    def refuse(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    chart.charts_available.cache_clear()
    monkeypatch.setattr(builtins, "__import__", refuse)
    yield
    monkeypatch.undo()
    chart.charts_available.cache_clear()


def test_without_matplotlib_there_is_no_chart(no_matplotlib: None) -> None:
    assert render_roi_chart(Report(metrics=[metric()])) is None
