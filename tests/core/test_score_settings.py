"""The settings object: frozen, strict, versioned."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from bot.core.score_settings import DEFAULT_SETTINGS, ScoreSettings, Weights


def test_defaults() -> None:
    s = ScoreSettings()
    assert (s.weights.risk, s.weights.pain, s.weights.breadth) == (35, 25, 15)
    assert (s.weights.trend, s.weights.signals) == (10, 15)
    assert s.severity_floor == 0.70
    assert s.risk_prior == 0.0
    assert (s.pain_window_weeks, s.pain_half_life_weeks, s.shrinkage_k) == (8, 4, 5)
    assert (s.wilson_z, s.breadth_threshold, s.trend_alpha) == (1.28, 4, 0.5)
    assert s.trend_baseline_weeks == 8
    assert s.signal_kind_weights.of("incident") == 3
    assert s.signal_kind_weights.of("drift") == 2
    assert s.signal_half_life_days.of("alert") == 14
    assert s.min_group == 5


def test_version_is_a_hash_of_the_values() -> None:
    assert re.fullmatch(r"default-[0-9a-f]{8}", DEFAULT_SETTINGS.version)
    assert ScoreSettings().version == DEFAULT_SETTINGS.version
    custom = ScoreSettings(min_group=7)
    assert re.fullmatch(r"custom-[0-9a-f]{8}", custom.version)
    assert custom.version == ScoreSettings(min_group=7).version
    assert custom.version != ScoreSettings(min_group=6).version
    # the same values spelled differently are the same settings
    assert ScoreSettings(shrinkage_k=5).version == DEFAULT_SETTINGS.version
    # asking for the version changes nothing: equal settings stay equal
    assert ScoreSettings() == DEFAULT_SETTINGS
    assert hash(DEFAULT_SETTINGS) == hash(ScoreSettings())
    assert ScoreSettings.model_validate(DEFAULT_SETTINGS.model_dump()).version == (
        DEFAULT_SETTINGS.version
    )


def test_record_holds_the_version_and_every_value() -> None:
    record = DEFAULT_SETTINGS.as_record()
    assert record["version"] == DEFAULT_SETTINGS.version
    assert record["weights"] == {"risk": 35, "pain": 25, "breadth": 15, "trend": 10, "signals": 15}


def test_frozen() -> None:
    with pytest.raises(ValidationError):
        DEFAULT_SETTINGS.min_group = 9  # type: ignore[misc]
    with pytest.raises(ValidationError):
        DEFAULT_SETTINGS.weights.risk = 50  # type: ignore[misc]


@pytest.mark.parametrize(
    "values",
    [
        {"unknown": 1},
        {"min_group": 2},
        {"severity_floor": 1.5},
        {"trend_alpha": 0},
        {"weights": {"risk": 40}},  # sums to 105
        {"weights": {"risk": 35, "extra": 1}},
        {"signal_kind_weights": {"incident": 3}},  # every kind needed
        {
            "signal_half_life_days": {
                k: 0 for k in ("incident", "alert", "drift", "flaky_test", "custom")
            }
        },
        {"pain_horizon_weeks": 4},  # shorter than the 8-week window
    ],
)
def test_rejects_bad_values(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ScoreSettings.model_validate(values)


def test_custom_weights_must_add_up_to_100() -> None:
    w = Weights(risk=40, pain=20, breadth=15, trend=10, signals=15)
    assert ScoreSettings(weights=w).version.startswith("custom-")


def test_unknown_signal_kind() -> None:
    with pytest.raises(ValueError, match="unknown signal kind"):
        DEFAULT_SETTINGS.signal_kind_weights.of("page")
