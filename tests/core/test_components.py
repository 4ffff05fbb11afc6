"""Each component's formula, pinned with hand-computed numbers."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.inputs import ItemInputs, PainAnswer, SignalInput, TeamContext, WeeklyMean
from bot.core.inputs import aggregate_pain as agg
from bot.core.priority import score_item
from bot.core.score_settings import DEFAULT_SETTINGS, ScoreSettings
from tests.core.helpers import NOW, answers, days_ago

TEAM = TeamContext(mean_pain=3.0)


def components(item: ItemInputs, settings: ScoreSettings = DEFAULT_SETTINGS) -> dict[str, float]:
    return dict(score_item(item, team=TEAM, now=NOW, settings=settings).components)


def assessed(i: int, lk: int, d: int) -> ItemInputs:
    return ItemInputs(key="DEBT-1", impact=i, likelihood=lk, detectability=d)


# --- Risk and the severity floor ---------------------------------------------------------


@pytest.mark.parametrize(
    ("ratings", "risk", "floor"),
    [
        # R = (0.5·(I−1) + 0.3·(L−1) + 0.2·(D−1)) / 4
        ((1, 1, 1), 0.0, 0.0),
        ((3, 3, 3), 17.5, 0.0),  # R = 0.5 → 35·0.5
        ((4, 5, 3), 27.125, 0.0),  # (1.5 + 1.2 + 0.4)/4 = 0.775 → 27.125
        ((4, 1, 1), 13.125, 0.0),  # 0.375; impact 4: no floor
        # impact 5 lifts R to 0.70: risk = 35·R, floor = 35·(0.70 − R)
        ((5, 1, 1), 17.5, 7.0),  # R = 0.5 → floor 35·0.2 = 7.0; together 24.5 = 35·0.70
        ((5, 1, 2), 19.25, 5.25),  # R = 2.2/4 = 0.55 → floor 35·0.15
        ((5, 2, 4), 25.375, 0.0),  # R = (2 + 0.3 + 0.6)/4 = 0.725 > 0.70: no lift
        ((5, 5, 5), 35.0, 0.0),
    ],
)
def test_risk_and_severity_floor(ratings: tuple[int, int, int], risk: float, floor: float) -> None:
    got = components(assessed(*ratings))
    assert got["risk"] == pytest.approx(risk)
    assert got["severity_floor"] == pytest.approx(floor)


def test_floor_follows_its_settings() -> None:
    settings = ScoreSettings(severity_floor_impact=4, severity_floor=0.5)
    got = components(assessed(4, 1, 1), settings)  # R = 0.375
    assert got["severity_floor"] == pytest.approx(35 * 0.125)


def test_unassessed_item_has_the_risk_prior() -> None:
    assert components(ItemInputs(key="X"))["risk"] == 0.0
    assert components(ItemInputs(key="X"), ScoreSettings(risk_prior=0.2))["risk"] == pytest.approx(
        7.0
    )


# --- Pain --------------------------------------------------------------------------------


def test_pain_is_the_shrunk_mean() -> None:
    # 5 answers 4, 4, 5, 5, 2: x̄ = 20/5 = 4, n = 5; μ₀ = 3, k = 5
    # m = (5·4 + 5·3)/(5 + 5) = 3.5 → P = (3.5 − 1)/4 = 0.625 → 25·0.625 = 15.625
    item = ItemInputs(key="X", pain=agg(answers(4, 4, 5, 5, 2), now=NOW))
    assert components(item)["pain"] == pytest.approx(15.625)


def test_old_answers_count_less() -> None:
    # u1..u5 answered 1 last week; u6 answered 5 twelve weeks ago (w = 0.5)
    # Σw = 5.5, Σwx = 5 + 2.5 = 7.5 → m = (7.5 + 15)/(5.5 + 5) = 22.5/10.5 = 2.142857
    # P = 1.142857/4 = 0.285714 → 7.142857
    rows = [*answers(1, 1, 1, 1, 1), PainAnswer("u6", 5, days_ago(84))]
    assert components(ItemInputs(key="X", pain=agg(rows, now=NOW)))["pain"] == pytest.approx(
        7.142857, abs=1e-6
    )


def test_team_mean_unknown_uses_the_default() -> None:
    b = score_item(ItemInputs(key="X"), team=TeamContext(), now=NOW)
    assert b.components["pain"] == 0.0  # default μ₀ = 1 → P = 0


# --- Breadth -----------------------------------------------------------------------------


def test_breadth_is_the_wilson_bound_of_high_answers() -> None:
    # 1 of 5 answers ≥ 4 → Wilson lower bound 0.061977 (see test_stats) → 15·0.061977
    item = ItemInputs(key="X", pain=agg(answers(2, 3, 2, 4, 3), now=NOW))
    assert components(item)["breadth"] == pytest.approx(0.929665, abs=1e-6)


# --- Trend -------------------------------------------------------------------------------

FIVE = agg(answers(3, 3, 3, 3, 3), now=NOW)


def trend(*weeks: tuple[date, float], settings: ScoreSettings = DEFAULT_SETTINGS) -> float:
    item = ItemInputs(key="X", pain=FIVE, weekly_pain=[WeeklyMean(*w) for w in weeks])
    return components(item, settings)["trend"]


def test_trend_sign() -> None:
    # rising: baseline = mean(3, 3) = 3; EWMA: 3, 3, 0.5·4 + 0.5·3 = 3.5 → (3.5 − 3)/4 = 0.125
    assert trend((date(2026, 10, 26), 3), (date(2026, 11, 2), 3), (date(2026, 11, 9), 4)) == (
        pytest.approx(1.25)
    )
    # falling: EWMA 3, 3, 2.5 → −0.125 → −1.25
    assert trend((date(2026, 10, 26), 3), (date(2026, 11, 2), 3), (date(2026, 11, 9), 2)) == (
        pytest.approx(-1.25)
    )
    assert trend((date(2026, 11, 2), 3), (date(2026, 11, 9), 3)) == 0.0
    assert trend((date(2026, 11, 9), 5)) == 0.0  # no baseline week
    assert trend() == 0.0


def test_trend_reaches_its_full_weight() -> None:
    # alpha = 1: EWMA = the latest week; (5 − 1)/4 = 1 → 10 points
    settings = ScoreSettings(trend_alpha=1.0)
    assert trend((date(2026, 11, 2), 1), (date(2026, 11, 9), 5), settings=settings) == 10.0


def test_trend_baseline_is_the_8_weeks_before_the_latest() -> None:
    # 2026-09-07 is 9 weeks before 2026-11-09: outside the baseline, ignored
    # baseline = mean(3, 3) = 3; EWMA 3, 3, 4 → 3.5 → 1.25
    weeks = ((date(2026, 9, 7), 1), (date(2026, 9, 14), 3), (date(2026, 11, 2), 3))
    assert trend(*weeks, (date(2026, 11, 9), 4)) == pytest.approx(1.25)


def test_trend_rejects_two_means_for_one_week() -> None:
    with pytest.raises(ValueError, match="two weekly means"):
        trend((date(2026, 11, 9), 3), (date(2026, 11, 9), 4))


# --- Signals -----------------------------------------------------------------------------


def signals(*rows: SignalInput, settings: ScoreSettings = DEFAULT_SETTINGS) -> float:
    return components(ItemInputs(key="X", signals=rows), settings)["signals"]


def test_signals_by_hand() -> None:
    # incident today: a = 3 → A = 3/6 = 0.5 → 7.5
    assert signals(SignalInput("incident", 1, NOW)) == 7.5
    # an incident 14 days old counts half: a = 1.5 → A = 1.5/4.5 → 5.0
    assert signals(SignalInput("incident", 1, days_ago(14))) == pytest.approx(5.0)
    # drift value 2, 28 days old: 2·2·0.25 = 1 → A = 0.25 → 3.75
    assert signals(SignalInput("drift", 2, days_ago(28))) == pytest.approx(3.75)


def test_signal_half_life_per_kind() -> None:
    settings = ScoreSettings(
        signal_half_life_days={
            "incident": 7,
            "alert": 14,
            "drift": 14,
            "flaky_test": 14,
            "custom": 14,
        }
    )
    # incident 14 days old with a 7-day half-life: 3·0.25 = 0.75 → A = 0.2 → 3.0
    assert signals(SignalInput("incident", 1, days_ago(14)), settings=settings) == pytest.approx(
        3.0
    )


def test_alert_storm_saturates() -> None:
    storm = [SignalInput("alert", 1, NOW) for _ in range(1000)]
    got = signals(*storm)
    # a = 1000 → A = 1000/1003 → 14.955
    assert got == pytest.approx(15 * 1000 / 1003)
    assert got < 15


def test_signal_validation() -> None:
    with pytest.raises(ValueError, match="unknown signal kind"):
        signals(SignalInput("page", 1, NOW))
    with pytest.raises(ValueError, match="signal value"):
        signals(SignalInput("alert", -1, NOW))
