"""The assembled score: suppression, the trend clamp, the public view, ranking."""

from __future__ import annotations

import json
import math
from datetime import date

import pytest

from bot.core.inputs import ItemInputs, SignalInput, TeamContext, WeeklyMean, aggregate_pain
from bot.core.priority import ScoreBreakdown, natural_key, rank, score_item
from bot.core.score_settings import COMPONENTS, ScoreSettings, Weights
from tests.core.helpers import NOW, answers

TEAM = TeamContext(mean_pain=3.0)
FALLING = (WeeklyMean(date(2026, 11, 2), 5.0), WeeklyMean(date(2026, 11, 9), 1.0))


def test_components_add_up_to_the_score() -> None:
    item = ItemInputs(
        key="DEBT-1",
        impact=5,
        likelihood=2,
        detectability=1,
        pain=aggregate_pain(answers(5, 4, 4, 1, 2, 3), now=NOW),
        weekly_pain=FALLING,
        signals=(SignalInput("incident", 2, NOW),),
    )
    b = score_item(item, team=TEAM, now=NOW)
    assert tuple(b.components) == COMPONENTS
    assert math.fsum(b.components.values()) == pytest.approx(b.score, abs=1e-12)
    assert b.components["trend"] < 0
    assert b.as_of == NOW
    assert b.n_respondents == 6
    assert not b.suppressed


def test_suppressed_item_uses_priors_and_hides_figures() -> None:
    # 4 respondents < 5: Pain uses m = μ₀ = 3 (12.5), Breadth the prior 0, Trend 0
    item = ItemInputs(
        key="DEBT-9",
        pain=aggregate_pain(answers(5, 5, 5, 5), now=NOW),
        weekly_pain=FALLING,
    )
    b = score_item(item, team=TEAM, now=NOW)
    assert b.suppressed
    assert b.components["pain"] == 12.5
    assert b.components["breadth"] == 0.0
    assert b.components["trend"] == 0.0
    assert b.n_respondents is None and b.pain_mean is None and b.pain_interval is None
    public = b.to_public_dict()
    assert public["n_respondents"] is None
    assert public["respondents"] == "fewer than 5"
    assert public["pain_mean"] is None and public["pain_interval"] is None


def test_suppression_threshold_and_priors_are_settings() -> None:
    item = ItemInputs(key="X", pain=aggregate_pain(answers(5, 5, 5, 5), now=NOW))
    settings = ScoreSettings(min_group=4)
    assert not score_item(item, team=TEAM, now=NOW, settings=settings).suppressed
    b = score_item(item, team=TEAM, now=NOW, settings=ScoreSettings(min_group=7, breadth_prior=0.2))
    assert b.suppressed and b.respondents_label == "fewer than 7"
    assert b.components["breadth"] == pytest.approx(3.0)  # 15 · 0.2
    team = TeamContext(mean_pain=3.0, breadth_prior=0.4)
    assert score_item(item, team=team, now=NOW).components["breadth"] == pytest.approx(6.0)


def test_a_suppressed_breakdown_cannot_carry_figures() -> None:
    with pytest.raises(ValueError, match="suppressed"):
        ScoreBreakdown(
            key="X",
            score=0,
            components=dict.fromkeys(COMPONENTS, 0.0),
            as_of=NOW,
            settings_version="v",
            suppressed=True,
            n_respondents=3,
        )


def test_improving_trend_never_takes_the_score_below_zero() -> None:
    # All answers 1 and μ₀ = 1: pain 0, breadth 0, no risk, no signals: nothing to take from.
    # T = (EWMA(5, 1) − 5)/4 = (3 − 5)/4 = −0.5, i.e. −5 points, clamped to −0 = 0.
    item = ItemInputs(
        key="X", pain=aggregate_pain(answers(1, 1, 1, 1, 1), now=NOW), weekly_pain=FALLING
    )
    b = score_item(item, team=TeamContext(mean_pain=1.0), now=NOW)
    assert b.factors["trend"] == -0.5
    assert b.components["trend"] == 0.0
    assert b.score == 0.0
    # With a signal worth 15·1/(1+3) = 3.75 points, trend takes exactly those away.
    with_signal = ItemInputs(
        key="X", pain=item.pain, weekly_pain=FALLING, signals=(SignalInput("alert", 1, NOW),)
    )
    b = score_item(with_signal, team=TeamContext(mean_pain=1.0), now=NOW)
    assert b.components["signals"] == 3.75
    assert b.components["trend"] == -3.75
    assert b.score == 0.0
    # shown: 3.75 and −3.75 both have remainder .05; the one unit left goes to the earlier
    # component (trend), so the shown pair is −3.7 and 3.7, adding up to 0.0
    assert b.shown().components["trend"] == -3.7 and b.shown().total == 0.0
    assert b.shown().components["signals"] == 3.7


def test_score_reaches_exactly_100_at_most() -> None:
    weights = Weights(risk=0, pain=0, breadth=0, trend=100, signals=0)
    item = ItemInputs(
        key="X",
        pain=aggregate_pain(answers(3, 3, 3, 3, 3), now=NOW),
        weekly_pain=(WeeklyMean(date(2026, 11, 2), 1.0), WeeklyMean(date(2026, 11, 9), 5.0)),
    )
    settings = ScoreSettings(weights=weights, trend_alpha=1.0)
    assert score_item(item, team=TEAM, now=NOW, settings=settings).score == 100.0


def test_public_dict_is_json_and_adds_up() -> None:
    item = ItemInputs(
        key="DEBT-1",
        title="flaky ingestion",
        category="operational",
        impact=4,
        likelihood=5,
        detectability=3,
        pain=aggregate_pain(answers(5, 4, 4, 3, 5, 2), now=NOW),
    )
    public = score_item(item, team=TEAM, now=NOW).to_public_dict()
    json.dumps(public)
    assert set(public) >= {"key", "title", "category", "score", "components", "n_respondents"}
    assert round(sum(public["components"].values()), 1) == public["score"]
    assert public["n_respondents"] == 6 and public["respondents"] == "6"
    low, high = public["pain_interval"]
    assert 1 <= low < public["pain_mean"] < high <= 5


def test_rank_by_score_then_natural_key() -> None:
    def b(key: str, score: float) -> ScoreBreakdown:
        parts = dict.fromkeys(COMPONENTS, 0.0) | {"pain": score}
        return ScoreBreakdown(
            key=key, score=score, components=parts, as_of=NOW, settings_version="v"
        )

    ranked = rank([b("DEBT-10", 50), b("DEBT-2", 50), b("DEBT-3", 70), b("DEBT-1", 10)])
    assert [(r.rank, r.breakdown.key) for r in ranked] == [
        (1, "DEBT-3"),
        (2, "DEBT-2"),
        (3, "DEBT-10"),
        (4, "DEBT-1"),
    ]
    assert ranked[0].to_public_dict()["rank"] == 1
    assert natural_key("DEBT-2") < natural_key("DEBT-10") < natural_key("OPS-1")


def test_from_snapshot() -> None:
    parts = {
        "risk": 27.1,
        "severity_floor": 0,
        "pain": 11.1,
        "breadth": 5.6,
        "trend": 1.7,
        "signals": 6.7,
    }
    b = ScoreBreakdown.from_snapshot(
        key="DEBT-1", components=parts, taken_for=date(2026, 11, 9), settings_version="v"
    )
    assert b.score == pytest.approx(52.2)
    assert b.as_of.date() == date(2026, 11, 9)
    with pytest.raises(ValueError, match="components must be exactly"):
        ScoreBreakdown.from_snapshot(
            key="X", components={"risk": 1.0}, taken_for=date(2026, 11, 9), settings_version="v"
        )
