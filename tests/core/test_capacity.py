"""The capacity hint: an exact 0/1 knapsack over the sprint's debt budget."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.capacity import capacity_hint, debt_budget, effort_points, split_estimates


def test_debt_budget() -> None:
    assert debt_budget(40) == pytest.approx(6.0)
    assert debt_budget(40, share=0.25) == 10.0
    with pytest.raises(ValueError):
        debt_budget(40, share=1.5)
    with pytest.raises(ValueError):
        debt_budget(-1)


def test_known_optimum_beats_greedy() -> None:
    # Budget 10. Greedy by score or by score per point takes A (60 for 6 points) and then
    # nothing else fits; the optimum is B + C = 90 for 10 points.
    items = [("A", 60.0, 6), ("B", 45.0, 5), ("C", 45.0, 5)]
    hint = capacity_hint(items, 10)
    assert hint.chosen == ("B", "C")
    assert hint.total_score == 90.0 and hint.total_effort == 10.0


def test_labels_and_unestimated_items_listed_apart() -> None:
    items = [
        ("DEBT-1", 58.4, "M"),  # 3 points
        ("DEBT-2", 39.8, "s"),  # 1 point, any case
        ("DEBT-3", 12.5, None),
        ("DEBT-4", 70.0, "L"),  # 8 points: does not fit 6
        ("DEBT-5", 20.0, "M"),
        ("DEBT-6", 30.0, ""),
    ]
    hint = capacity_hint(items, debt_budget(40))  # 6 points
    # best within 6: DEBT-1 + DEBT-2 + DEBT-5 = 118.2 for 7? no: 3 + 1 + 3 = 7 > 6,
    # so DEBT-1 + DEBT-5 (78.4, 6 points) vs DEBT-1 + DEBT-2 (98.2, 4 points): the latter
    assert hint.chosen == ("DEBT-1", "DEBT-2")
    assert hint.total_score == pytest.approx(98.2)
    assert hint.total_effort == 4.0
    assert hint.unestimated == ("DEBT-3", "DEBT-6")
    assert hint.budget_points == pytest.approx(6.0)


def test_half_points() -> None:
    items = [("a", 10.0, 0.5), ("b", 15.0, 1.5), ("c", 12.0, 1), ("d", 30.0, 2.5)]
    hint = capacity_hint(items, 2.5)
    # options within 2.5: d = 30; a + b = 25; b + c = 27; a + c = 22; a + b ... → d
    assert hint.chosen == ("d",)
    hint = capacity_hint(items, 3.0)
    # a + d = 40 for 3.0
    assert hint.chosen == ("a", "d") and hint.total_effort == 3.0


def test_ties_prefer_less_effort_and_skip_zero_scores() -> None:
    hint = capacity_hint([("big", 10.0, 4), ("small", 10.0, 1), ("zero", 0.0, 0)], 4)
    assert hint.chosen == ("small",)
    assert capacity_hint([("free", 5.0, 0)], 0).chosen == ("free",)
    assert capacity_hint([("a", 5.0, 1)], 0).chosen == ()


def test_custom_scale() -> None:
    hint = capacity_hint([("a", 5.0, "XL")], 13, effort_scale={"XL": 13})
    assert hint.chosen == ("a",)


@pytest.mark.parametrize("effort", [1.25, -1, "huge"])
def test_bad_efforts(effort: object) -> None:
    with pytest.raises(ValueError):
        capacity_hint([("a", 5.0, effort)], 10)  # type: ignore[list-item]


def test_duplicate_key() -> None:
    with pytest.raises(ValueError, match="twice"):
        capacity_hint([("a", 5.0, 1), ("a", 6.0, 1)], 10)


def test_matches_brute_force() -> None:
    items = [
        (f"i{n}", float(s), e)
        for n, (s, e) in enumerate([(7, 3), (9, 4), (5, 2), (12, 6), (3, 1), (8, 3.5)])
    ]
    for budget in (0, 1, 3, 5.5, 8, 10, 20):
        best = max(
            (
                sum(s for _, s, _ in combo)
                for r in range(len(items) + 1)
                for combo in itertools.combinations(items, r)
                if sum(e for *_, e in combo) <= budget
            ),
            default=0.0,
        )
        assert capacity_hint(items, budget).total_score == pytest.approx(best)


def test_effort_points() -> None:
    assert effort_points("M", effort_scale={"S": 1, "M": 3}) == 3
    assert effort_points("2.5", effort_scale={}) == 2.5
    assert effort_points(None, effort_scale={}) is None


def test_estimates_the_hint_cannot_use_are_listed_apart() -> None:
    items = [("A", 30.0, "S"), ("B", 20.0, "HUGE"), ("C", 10.0, 1.3), ("D", 5.0, None)]
    usable, unusable = split_estimates(items, effort_scale={"S": 1.0})
    assert usable == [("A", 30.0, "S"), ("D", 5.0, None)]
    assert unusable == ["B", "C"]  # not a size of the scale; not whole or half points


SCALE = {"XS": 0.5, "S": 1.0, "M": 3.0, "L": 8.0}
efforts = st.one_of(
    st.none(),
    st.sampled_from(["XS", "S", "m", " L ", ""]),
    st.integers(0, 10).map(lambda half: half / 2),
    st.integers(0, 10).map(lambda half: f"{half / 2:g}"),
)
scores = st.one_of(st.just(0.0), st.integers(0, 1000).map(lambda tenths: tenths / 10))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(scores, efforts), max_size=8),
    st.integers(0, 30).map(lambda half: half / 2),
)
def test_the_chosen_set_is_the_best_that_fits(
    rows: list[tuple[float, object]], budget: float
) -> None:
    """Against every subset: the hint's score is the highest that fits, and no set with that
    score takes less effort; items without an estimate are listed, never chosen."""
    items = [(f"DEBT-{n}", score, effort) for n, (score, effort) in enumerate(rows)]
    hint = capacity_hint(items, budget, effort_scale=SCALE)
    points = {key: effort_points(effort, effort_scale=SCALE) for key, _, effort in items}
    known = [(key, score, points[key]) for key, score, _ in items if points[key] is not None]
    fitting = [
        (sum(s for _, s, _ in combo), sum(p for *_, p in combo))
        for r in range(len(known) + 1)
        for combo in itertools.combinations(known, r)
        if sum(p for *_, p in combo) <= budget
    ]
    best = max(total for total, _ in fitting)
    least = min(effort for total, effort in fitting if total == pytest.approx(best))

    chosen = {key: score for key, score, _ in items if key in hint.chosen}
    assert hint.total_score == pytest.approx(best)
    assert hint.total_score == pytest.approx(sum(chosen.values()))
    assert hint.total_effort == sum(points[key] or 0 for key in chosen) <= budget
    assert hint.total_effort == least
    assert all(score > 0 for score in chosen.values())
    assert hint.unestimated == tuple(key for key, _, _ in items if points[key] is None)
