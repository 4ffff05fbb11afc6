"""The ranking benchmark's own arithmetic: its figures are only as good as these."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import ranking as bench
from bot.core.score_settings import DEFAULT_SETTINGS


def test_kendall_tau_b_by_hand() -> None:
    assert bench.kendall_tau_b([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert bench.kendall_tau_b([1, 2, 3, 4], [40, 30, 20, 10]) == -1.0
    # (1,2,3) vs (1,3,2): 2 concordant, 1 discordant pair of 3 → 1/3
    assert bench.kendall_tau_b([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)
    # ties: x = (1,1,2), y = (1,2,3): C = 2, D = 0, tied_x = 1 → 2 / sqrt(2 · 3)
    assert bench.kendall_tau_b([1, 1, 2], [1, 2, 3]) == pytest.approx(2 / 6**0.5)
    # all tied (every item suppressed): no ordering, tau 0
    assert bench.kendall_tau_b([3.0, 3.0, 3.0], [1, 2, 3]) == 0.0


def test_ranks_share_ties_and_churn_averages_rank_moves() -> None:
    assert bench.ranks([5.0, 9.0, 5.0, 1.0]) == [2.5, 1.0, 2.5, 4.0]
    # week 1 all tied (ranks 2, 2, 2), week 2 ordered (1, 2, 3): |1-2| + 0 + |3-2| over 3 items
    assert bench.churn([[0.0, 0.0, 0.0], [3.0, 2.0, 1.0]]) == pytest.approx(2 / 3)
    assert bench.churn([[1.0, 2.0]]) is None


def test_paired_difference_interval() -> None:
    d = bench.Difference.of([0.1, 0.2, 0.3])
    # mean 0.2, sd 0.1, se 0.1/√3, t(0.975, 2) = 4.3027
    assert d.mean == pytest.approx(0.2)
    assert d.half == pytest.approx(4.302653 * 0.1 / 3**0.5, rel=1e-5)
    assert not d.above_zero  # 0.2 ± 0.248: three seeds this spread do not tell it from 0
    assert bench.Difference.of([0.19, 0.2, 0.21]).above_zero
    assert bench.Difference.of([-0.19, -0.2, -0.21]).below_zero
    assert not bench.Difference.of([-0.1, 0.1]).above_zero
    single = bench.Difference.of([-0.5])
    assert not single.below_zero  # one seed tells nothing apart


def test_changed_items_swap_ends_from_the_change_week_on() -> None:
    stream = bench.Stream(10, 0.6, 0.7, seed=3, change_week=14, weeks=30)
    before, after = bench.truth_in_week(stream, 13), bench.truth_in_week(stream, 14)
    assert before == bench.truth_for(3)
    moved = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(moved) == bench.CHANGED
    for i in moved:
        assert after[i] == pytest.approx(1.5 + 4.5 - before[i])
    assert bench.truth_in_week(bench.Stream(10, 0.6, 0.7, seed=3), 30) == before


def test_a_small_team_is_simulated_through_the_real_import_and_scoring(tmp_path: Path) -> None:
    template = tmp_path / "seed.db"
    bench.seed_database(template, seed=0)
    stream = bench.Stream(5, 0.9, 0.7, seed=0, weeks=4)
    result = bench.simulate(stream, template, tmp_path)
    assert template.exists()
    assert len(result.weeks) == 4
    first, last = result.weeks[0], result.weeks[-1]
    # Week 1: no item has 5 answers yet (each person sees 5 of 15) → all below the group.
    assert max(first.respondents) < DEFAULT_SETTINGS.min_group
    assert first.suppressed == bench.N_ITEMS
    assert len(set(first.score)) == 1  # suppressed items all sit at the prior
    assert len(set(first.naive)) > 1  # the raw mean ranks them anyway
    # By week 4 the people who answered are counted across runs and items come out.
    assert sum(last.answers) > sum(first.answers)
    shown = [
        score
        for score, people in zip(last.score, last.respondents, strict=True)
        if people >= DEFAULT_SETTINGS.min_group
    ]
    assert last.suppressed == bench.N_ITEMS - len(shown)
    assert len(set(shown)) == len(shown) > 0
