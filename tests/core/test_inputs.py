"""Pain aggregates (raw answers and per-day sums), validation of inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.inputs import (
    ItemInputs,
    PainAggregate,
    PainAnswer,
    PainDay,
    TeamContext,
    aggregate_pain,
    aggregate_pain_days,
    pain_weight,
    team_context,
)
from bot.core.score_settings import ScoreSettings
from tests.core.helpers import NOW, answers, weeks_ago


def test_recency_weight_of_answers() -> None:
    assert pain_weight(weeks_ago(0), now=NOW) == 1.0
    assert pain_weight(weeks_ago(8), now=NOW) == 1.0  # the window's edge
    assert pain_weight(weeks_ago(12), now=NOW) == 0.5  # one half-life past it
    assert pain_weight(weeks_ago(16), now=NOW) == 0.25
    assert pain_weight(weeks_ago(10), now=NOW) == pytest.approx(0.707107, abs=1e-6)
    assert pain_weight(weeks_ago(52), now=NOW) == pytest.approx(0.5**11)
    assert pain_weight(weeks_ago(53), now=NOW) == 0.0  # past the horizon
    assert pain_weight(NOW + timedelta(days=1), now=NOW) == 1.0  # clock skew


def test_a_bare_day_counts_as_midnight_utc() -> None:
    now = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
    assert pain_weight(date(2026, 8, 24), now=now) == 0.5  # exactly 12 weeks


def test_aggregate_by_hand() -> None:
    rows = [
        *answers(5, 4, 2),  # weight 1 each
        PainAnswer("u1", 3, weeks_ago(12)),  # u1 again, weight 0.5
        PainAnswer("u9", 5, weeks_ago(60)),  # past the horizon: ignored, not a respondent
    ]
    agg = aggregate_pain(rows, now=NOW)
    # Σw = 3.5; Σwx = 5 + 4 + 2 + 1.5 = 12.5; Σwx² = 25 + 16 + 4 + 4.5 = 49.5; Σw[x≥4] = 2
    assert agg == PainAggregate(
        sum_w=3.5, sum_wx=12.5, sum_wx2=49.5, sum_w_high=2.0, n_respondents=3
    )
    assert agg.mean == pytest.approx(12.5 / 3.5)


def test_per_day_sums_give_the_same_aggregate() -> None:
    rows = [
        PainAnswer("a", 5, datetime(2026, 11, 10, tzinfo=UTC)),
        PainAnswer("b", 3, datetime(2026, 11, 10, tzinfo=UTC)),
        PainAnswer("a", 4, datetime(2026, 8, 10, tzinfo=UTC)),
        PainAnswer("c", 1, datetime(2026, 7, 1, tzinfo=UTC)),
    ]
    days = [
        PainDay(date(2026, 11, 10), 2, 8.0, 34.0, 1),
        PainDay(date(2026, 8, 10), 1, 4.0, 16.0, 1),
        PainDay(date(2026, 7, 1), 1, 1.0, 1.0, 0),
    ]
    now = datetime(2026, 11, 16, tzinfo=UTC)
    direct = aggregate_pain(rows, now=now)
    summed = aggregate_pain_days(days, n_respondents=3, now=now)
    for name in ("sum_w", "sum_wx", "sum_wx2", "sum_w_high"):
        assert getattr(summed, name) == pytest.approx(getattr(direct, name))
    assert summed.n_respondents == direct.n_respondents == 3


def test_breadth_threshold_follows_the_settings() -> None:
    agg = aggregate_pain(answers(3, 4, 5), now=NOW, settings=ScoreSettings(breadth_threshold=5))
    assert agg.sum_w_high == 1.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sum_w": -1},
        {"sum_w": 1, "sum_wx": 3, "sum_w_high": 2, "n_respondents": 1},
        {"sum_w": 2, "sum_wx": 12, "n_respondents": 1},  # a mean of 6
        {"sum_w": 2, "sum_wx": 6},  # weight without a respondent
        {"n_respondents": -1},
        {"sum_w": float("nan")},
    ],
)
def test_aggregate_validation(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        PainAggregate(**kwargs)  # type: ignore[arg-type]


def test_answer_validation() -> None:
    with pytest.raises(ValueError, match="scale"):
        aggregate_pain([PainAnswer("a", 6, NOW)], now=NOW)
    with pytest.raises(ValueError, match="naive"):
        aggregate_pain([PainAnswer("a", 3, datetime(2026, 11, 1))], now=NOW)


def test_item_validation_and_plain_tuples() -> None:
    with pytest.raises(ValueError, match="go together"):
        ItemInputs(key="DEBT-1", impact=3)
    with pytest.raises(ValueError, match="impact must be 1-5"):
        ItemInputs(key="DEBT-1", impact=6, likelihood=1, detectability=1)
    item = ItemInputs(
        key="DEBT-1",
        weekly_pain=[(date(2026, 11, 9), 3.0)],  # type: ignore[list-item]
        signals=[("alert", 1, NOW)],  # type: ignore[list-item]
    )
    assert item.weekly_pain[0].mean == 3.0
    assert item.signals[0].kind == "alert"
    assert not item.assessed


def test_team_context() -> None:
    a = aggregate_pain(answers(5, 5, 1, 1, 3), now=NOW)
    b = aggregate_pain(answers(1, 3, 1, 1, 1), now=NOW)
    # μ₀ = (15 + 7) / 10 = 2.2
    both = team_context([a, b])
    assert both.mean_pain == pytest.approx(2.2) and both.breadth_prior is None
    # the team-wide Wilson bound of 2 out of 10 as the breadth prior:
    # (0.2 + 0.08192 − 1.28·√(0.016 + 0.004096)) / 1.16384 = (0.28192 − 0.181453) / 1.16384
    team = team_context([a, b], settings=ScoreSettings(breadth_prior_source="team"))
    assert team.breadth_prior == pytest.approx(0.086323, abs=1e-6)
    assert team_context([]) == TeamContext()


def test_items_under_the_threshold_never_enter_the_team_mean() -> None:
    """One person's answer about a suppressed item must not be readable as "the team's mean"."""
    shown = aggregate_pain(answers(2, 2, 2, 2, 2), now=NOW)  # 5 people: over the threshold
    lone = aggregate_pain(answers(5), now=NOW)  # 1 person: suppressed
    assert team_context([shown, lone]) == TeamContext(mean_pain=2.0)
    assert team_context([lone]) == TeamContext()  # nothing to pool: the default μ₀
    settings = ScoreSettings(breadth_prior_source="team")
    assert team_context([lone], settings=settings).breadth_prior is None
    # with a lower threshold the same answers count
    assert team_context([shown, lone], settings=ScoreSettings(min_group=3)).mean_pain == 2.0
    four = aggregate_pain(answers(5, 5, 5, 5), now=NOW)
    assert team_context([shown, four], settings=ScoreSettings(min_group=3)).mean_pain == (
        pytest.approx(30 / 9)  # (5·2 + 4·5) / 9
    )
    with pytest.raises(ValueError):
        TeamContext(mean_pain=0.5)
