"""Why did the score move: component deltas, largest first, and one sentence."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.explain import ComponentDelta, explain_change
from bot.core.priority import ScoreBreakdown
from tests.core.helpers import NOW

TODAY = NOW.date()


def breakdown(
    version: str = "default-1", taken_for: date = TODAY, **parts: float
) -> ScoreBreakdown:
    components = {
        "risk": 0.0,
        "severity_floor": 0.0,
        "pain": 0.0,
        "breadth": 0.0,
        "trend": 0.0,
        "signals": 0.0,
        **parts,
    }
    return ScoreBreakdown.from_snapshot(
        key="DEBT-1", components=components, taken_for=taken_for, settings_version=version
    )


LAST_WEEK = date(2026, 11, 9)


def test_rise() -> None:
    before = breakdown(
        taken_for=LAST_WEEK, risk=27.1, pain=11.1, breadth=5.6, trend=1.7, signals=6.7
    )
    now = breakdown(risk=27.125, pain=15.2174, breadth=5.5895, trend=1.7708, signals=8.6809)
    change = explain_change(now, before)
    # shown now: 27.1, 0.0, 15.2, 5.6, 1.8, 8.7 = 58.4; before: 52.2
    assert change.sentence == "Up 6.2 since 2026-11-09: pain +4.1, signals +2.0, trend +0.1."
    assert change.total_delta == 6.2
    assert change.score == 58.4 and change.previous_score == 52.2
    assert change.deltas[:3] == (
        ComponentDelta("pain", 4.1),
        ComponentDelta("signals", 2.0),
        ComponentDelta("trend", 0.1),
    )
    assert {d.name for d in change.deltas} == {
        "risk",
        "severity_floor",
        "pain",
        "breadth",
        "trend",
        "signals",
    }
    assert round(sum(d.delta for d in change.deltas), 1) == change.total_delta
    assert change.since == LAST_WEEK and not change.is_new and not change.settings_changed


def test_fall_sorted_by_absolute_size() -> None:
    before = breakdown(taken_for=LAST_WEEK, pain=10.0, trend=2.0, signals=5.0)
    now = breakdown(pain=11.0, trend=-1.5, signals=2.0)
    change = explain_change(now, before)
    assert change.sentence == "Down 5.5 since 2026-11-09: trend -3.5, signals -3.0, pain +1.0."
    assert [d.name for d in change.deltas[:3]] == ["trend", "signals", "pain"]


def test_unchanged_and_offsetting() -> None:
    same = breakdown(taken_for=LAST_WEEK, pain=10.0)
    assert explain_change(breakdown(pain=10.0), same).sentence == "Unchanged since 2026-11-09."
    moved = explain_change(breakdown(pain=10.5, trend=-0.5), same)
    assert moved.sentence == "Unchanged since 2026-11-09: pain +0.5, trend -0.5."


def test_new_item() -> None:
    change = explain_change(breakdown(pain=10.0), None)
    assert change.sentence == "New this week."
    assert change.is_new and change.deltas == () and change.total_delta is None


def test_settings_change_is_said() -> None:
    before = breakdown(version="default-1", taken_for=LAST_WEEK, pain=10.0)
    change = explain_change(breakdown(version="custom-2", pain=12.0), before)
    assert change.settings_changed
    assert change.sentence.endswith("The scoring settings changed since then.")


def test_other_item_is_refused() -> None:
    other = ScoreBreakdown.from_snapshot(
        key="DEBT-2",
        components=dict(breakdown().components),
        taken_for=LAST_WEEK,
        settings_version="v",
    )
    with pytest.raises(ValueError):
        explain_change(breakdown(), other)


def test_a_component_that_did_not_move_shows_no_rounding_unit() -> None:
    """risk 0.44 and trend 5.02 show as 0.5 + 5.0 = 5.5 (largest remainder: risk's .04 beats
    trend's .02); with trend at 2.96 they show as 0.4 + 3.0 = 3.4. Between shown numbers risk
    fell 0.1 and trend 2.0; the exact change is trend's alone, so trend −2.1 and risk 0."""
    before = breakdown(taken_for=LAST_WEEK, risk=0.44, trend=5.02)
    now = breakdown(risk=0.44, trend=2.96)
    assert before.shown().components["risk"] == 0.5 and now.shown().components["risk"] == 0.4
    change = explain_change(now, before)
    assert change.total_delta == -2.1
    assert change.deltas[0] == ComponentDelta("trend", -2.1)
    assert {d.name: d.delta for d in change.deltas[1:]} == dict.fromkeys(
        ("risk", "severity_floor", "pain", "breadth", "signals"), 0.0
    )
    assert change.sentence == "Down 2.1 since 2026-11-09: trend -2.1."
