"""A worked example: three debt items scored by hand, every component pinned.

now = Monday 2026-11-16 09:00 UTC; the team's mean pain this period μ₀ = 3.0; default settings
(weights 35/25/15/10/15, k = 5, z = 1.28, window 8 weeks, half-life 4 weeks, EWMA α = 0.5,
signal half-life 14 days, min_group 5).
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.capacity import capacity_hint, debt_budget
from bot.core.explain import explain_change
from bot.core.inputs import (
    ItemInputs,
    PainAnswer,
    SignalInput,
    TeamContext,
    WeeklyMean,
    aggregate_pain,
)
from bot.core.priority import ScoreBreakdown, rank, score_item
from tests.core.helpers import NOW, days_ago, weeks_ago

TEAM = TeamContext(mean_pain=3.0)

# DEBT-1 "flaky ingestion" ----------------------------------------------------------------
DEBT_1 = ItemInputs(
    key="DEBT-1",
    title="flaky ingestion",
    category="operational",
    impact=4,
    likelihood=5,
    detectability=3,
    pain=aggregate_pain(
        [
            PainAnswer("u1", 5, weeks_ago(1)),
            PainAnswer("u2", 4, weeks_ago(1)),
            PainAnswer("u3", 4, weeks_ago(2)),
            PainAnswer("u4", 3, weeks_ago(3)),
            PainAnswer("u5", 5, weeks_ago(1)),
            PainAnswer("u6", 2, weeks_ago(4)),
            PainAnswer("u1", 3, weeks_ago(12)),  # u1 again, 12 weeks ago
        ],
        now=NOW,
    ),
    weekly_pain=(
        WeeklyMean(date(2026, 10, 19), 3.0),
        WeeklyMean(date(2026, 10, 26), 3.0),
        WeeklyMean(date(2026, 11, 2), 3.5),
        WeeklyMean(date(2026, 11, 9), 4.5),
    ),
    signals=(
        SignalInput("incident", 1, days_ago(7)),
        SignalInput("flaky_test", 4, days_ago(14)),
    ),
)

# DEBT-2 "no schema validation" -----------------------------------------------------------
DEBT_2 = ItemInputs(
    key="DEBT-2",
    title="no schema validation",
    category="experimentation",
    impact=5,
    likelihood=1,
    detectability=2,
    pain=aggregate_pain(
        [
            PainAnswer("u1", 2, weeks_ago(1)),
            PainAnswer("u2", 3, weeks_ago(1)),
            PainAnswer("u3", 2, weeks_ago(2)),
            PainAnswer("u4", 4, weeks_ago(2)),
            PainAnswer("u5", 3, weeks_ago(3)),
        ],
        now=NOW,
    ),
    weekly_pain=(
        WeeklyMean(date(2026, 10, 26), 3.0),
        WeeklyMean(date(2026, 11, 2), 3.0),
        WeeklyMean(date(2026, 11, 9), 2.0),
    ),
    signals=(SignalInput("drift", 1, days_ago(14)),),
)

# DEBT-3 "copy-paste training notebook": only 3 respondents ---------------------------------
DEBT_3 = ItemInputs(
    key="DEBT-3",
    title="copy-paste training notebook",
    category="experimentation",
    pain=aggregate_pain(
        [
            PainAnswer("u1", 5, weeks_ago(1)),
            PainAnswer("u2", 5, weeks_ago(1)),
            PainAnswer("u3", 4, weeks_ago(2)),
        ],
        now=NOW,
    ),
    weekly_pain=(WeeklyMean(date(2026, 11, 2), 4.0), WeeklyMean(date(2026, 11, 9), 5.0)),
)


def score(item: ItemInputs) -> ScoreBreakdown:
    return score_item(item, team=TEAM, now=NOW)


def test_debt_1_flaky_ingestion() -> None:
    b = score(DEBT_1)
    c = b.components
    # Risk: I = 4, L = 5, D = 3 → (0.5·3 + 0.3·4 + 0.2·2)/4 = (1.5 + 1.2 + 0.4)/4 = 0.775
    #   risk = 35 · 0.775 = 27.125; impact < 5 → no severity floor
    assert c["risk"] == pytest.approx(27.125, abs=1e-4)
    assert c["severity_floor"] == 0.0
    # Pain: six answers within the window (w = 1) and u1's old 3, 12 weeks ago:
    #   w = 0.5^((12 − 8)/4) = 0.5
    #   Σw = 6.5; Σw·x = 5 + 4 + 4 + 3 + 5 + 2 + 0.5·3 = 24.5; Σw·x² = 95 + 0.5·9 = 99.5
    #   x̄ = 24.5/6.5 = 3.7692; n_respondents = 6 (u1 counted once)
    #   m = (6.5·3.7692 + 5·3)/(6.5 + 5) = (24.5 + 15)/11.5 = 3.4348
    #   P = (3.4348 − 1)/4 = 0.6087 → pain = 25 · 0.6087 = 15.2174
    assert b.n_respondents == 6
    assert b.pain_mean == pytest.approx(3.7692, abs=1e-4)
    assert b.pain_shrunk_mean == pytest.approx(3.4348, abs=1e-4)
    assert c["pain"] == pytest.approx(15.2174, abs=1e-4)
    # Breadth: answers ≥ 4 weigh 4 (5, 4, 4, 5) of n = 6.5 → p̂ = 0.6154; z² = 1.6384
    #   centre = 0.6154 + 1.6384/13 = 0.6154 + 0.1260 = 0.7414
    #   spread = 1.28 · √(0.6154·0.3846/6.5 + 1.6384/169) = 1.28 · √(0.03641 + 0.00969)
    #          = 1.28 · 0.21473 = 0.27485
    #   B = (0.7414 − 0.2749)/(1 + 1.6384/6.5) = 0.46656/1.25206 = 0.37264
    #   breadth = 15 · 0.37264 = 5.5895
    assert b.factors["breadth"] == pytest.approx(0.37264, abs=1e-5)
    assert c["breadth"] == pytest.approx(5.5895, abs=1e-4)
    # Trend: latest week 11-09 (4.5); baseline = mean(3.0, 3.0, 3.5) = 3.1667
    #   EWMA(α = 0.5): 3.0 → 3.0 → 3.25 → 0.5·4.5 + 0.5·3.25 = 3.875
    #   T = (3.875 − 3.1667)/4 = 0.17708 → trend = 10 · 0.17708 = 1.7708
    assert c["trend"] == pytest.approx(1.7708, abs=1e-4)
    # Signals: incident (weight 3) 7 days old: 3 · 1 · 0.5^(7/14) = 2.12132
    #          flaky_test (weight 1) value 4, 14 days old: 1 · 4 · 0.5 = 2.0
    #   a = 4.12132; A = 4.12132/(4.12132 + 3) = 0.57873 → signals = 15 · 0.57873 = 8.6809
    assert c["signals"] == pytest.approx(8.6809, abs=1e-4)
    # Total: 27.125 + 0 + 15.2174 + 5.5895 + 1.7708 + 8.6809 = 58.3837
    assert b.score == pytest.approx(58.3837, abs=1e-4)
    # Shown (tenths): 271.25, 0, 152.17, 55.90, 17.71, 86.81 → floors sum to 581 of 584;
    #   the 3 units go to the largest remainders: breadth (.90), signals (.81), trend (.71)
    shown = b.shown()
    assert shown.total == 58.4
    assert shown.components == {
        "risk": 27.1,
        "severity_floor": 0.0,
        "pain": 15.2,
        "breadth": 5.6,
        "trend": 1.8,
        "signals": 8.7,
    }
    # 90% interval (reported only): s² = (99.5 − 24.5²/6.5)/(6.5 − 1) = 7.1538/5.5 = 1.3007
    #   s/√n = √(1.3007/6.5) = 0.44733; t(0.95, df = 5.5) = 1.9753 → ± 0.8836
    low, high = b.pain_interval or (0.0, 0.0)
    assert low == pytest.approx(2.8856, abs=1e-4)
    assert high == pytest.approx(4.6528, abs=1e-4)


def test_debt_2_no_schema_validation() -> None:
    b = score(DEBT_2)
    c = b.components
    # Risk: I = 5, L = 1, D = 2 → (0.5·4 + 0 + 0.2·1)/4 = 0.55 → risk = 35 · 0.55 = 19.25
    #   impact 5 → floor 0.70: severity_floor = 35 · (0.70 − 0.55) = 5.25 (risk + floor = 24.5)
    assert c["risk"] == pytest.approx(19.25, abs=1e-4)
    assert c["severity_floor"] == pytest.approx(5.25, abs=1e-4)
    # Pain: 2, 3, 2, 4, 3 (all w = 1): n = 5 = min_group → not suppressed
    #   x̄ = 14/5 = 2.8; m = (14 + 15)/(5 + 5) = 2.9; P = 1.9/4 = 0.475 → 25 · 0.475 = 11.875
    assert not b.suppressed and b.n_respondents == 5
    assert c["pain"] == pytest.approx(11.875, abs=1e-4)
    # Breadth: 1 of 5 ≥ 4 → Wilson lower bound 0.061977 → 15 · 0.061977 = 0.9297
    assert c["breadth"] == pytest.approx(0.9297, abs=1e-4)
    # Trend (improving): baseline = mean(3.0, 3.0) = 3.0; EWMA 3.0 → 3.0 → 2.5
    #   T = (2.5 − 3.0)/4 = −0.125 → trend = −1.25
    assert c["trend"] == pytest.approx(-1.25, abs=1e-4)
    # Signals: drift (weight 2) 14 days old: 2 · 1 · 0.5 = 1 → A = 1/4 → 15 · 0.25 = 3.75
    assert c["signals"] == pytest.approx(3.75, abs=1e-4)
    # Total: 19.25 + 5.25 + 11.875 + 0.9297 − 1.25 + 3.75 = 39.8047
    assert b.score == pytest.approx(39.8047, abs=1e-4)
    # Shown (tenths): 192.5, 52.5, 118.75, 9.30, −12.5, 37.5 → floors 192 + 52 + 118 + 9
    #   − 13 + 37 = 395 of 398: pain (.75) then the first two of the .5 ties (risk,
    #   severity_floor) get a unit; trend stays at −1.3 and signals at 3.7
    shown = b.shown()
    assert shown.total == 39.8
    assert shown.components == {
        "risk": 19.3,
        "severity_floor": 5.3,
        "pain": 11.9,
        "breadth": 0.9,
        "trend": -1.3,
        "signals": 3.7,
    }
    # Interval: s² = (42 − 14²/5)/4 = 0.7; s/√n = 0.37417; t(0.95, 4) = 2.1318 → ± 0.7977
    low, high = b.pain_interval or (0.0, 0.0)
    assert (low, high) == (pytest.approx(2.0023, abs=1e-4), pytest.approx(3.5977, abs=1e-4))


def test_debt_3_copy_paste_notebook_is_suppressed() -> None:
    b = score(DEBT_3)
    c = b.components
    # Unassessed → risk prior 0. Only 3 respondents (< 5): suppressed.
    #   Pain: m = μ₀ = 3.0 → P = 0.5 → 12.5 (the answers 5, 5, 4 are not used)
    #   Breadth: prior 0. Trend: 0 (the rising weeks are not used). No signals.
    assert b.suppressed
    assert c == {
        "risk": 0.0,
        "severity_floor": 0.0,
        "pain": 12.5,
        "breadth": 0.0,
        "trend": 0.0,
        "signals": 0.0,
    }
    assert b.score == 12.5
    public = b.to_public_dict()
    assert public["n_respondents"] is None
    assert public["respondents"] == "fewer than 5"
    assert public["pain_mean"] is None and public["pain_interval"] is None


def test_ranking_why_and_capacity() -> None:
    ranked = rank([score(DEBT_3), score(DEBT_1), score(DEBT_2)])
    assert [(r.rank, r.breakdown.key, r.breakdown.shown().total) for r in ranked] == [
        (1, "DEBT-1", 58.4),
        (2, "DEBT-2", 39.8),
        (3, "DEBT-3", 12.5),
    ]
    # Last week's snapshot of DEBT-1 (shown values as stored): 52.2
    previous = ScoreBreakdown.from_snapshot(
        key="DEBT-1",
        components={
            "risk": 27.1,
            "severity_floor": 0.0,
            "pain": 11.1,
            "breadth": 5.6,
            "trend": 1.7,
            "signals": 6.7,
        },
        taken_for=date(2026, 11, 9),
        settings_version=ranked[0].breakdown.settings_version,
    )
    change = explain_change(ranked[0].breakdown, previous)
    assert change.sentence == "Up 6.2 since 2026-11-09: pain +4.1, signals +2.0, trend +0.1."
    assert explain_change(ranked[2].breakdown, None).sentence == "New this week."
    # Capacity: a 20-point sprint → 15% = 3 points. DEBT-1 is M (3), DEBT-2 S (1), DEBT-3 has
    #   no estimate. Both do not fit (4 > 3): DEBT-1 alone (58.4) beats DEBT-2 alone (39.8).
    hint = capacity_hint(
        [
            (r.breakdown.key, r.breakdown.shown().total, e)
            for r, e in zip(ranked, ["M", "S", None], strict=True)
        ],
        debt_budget(20),
    )
    assert hint.chosen == ("DEBT-1",)
    assert hint.total_score == 58.4 and hint.total_effort == 3.0
    assert hint.unestimated == ("DEBT-3",)
