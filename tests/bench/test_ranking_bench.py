"""The ranking benchmark's own arithmetic: its figures are only as good as these."""

from __future__ import annotations

import math
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


def _released_in_groups(result: bench.Result, min_group: int) -> None:
    """What the benchmark read obeys the release rule, week by week."""
    before = [0] * bench.N_ITEMS
    for week in result.weeks:
        for item in range(bench.N_ITEMS):
            released, answers = week.released[item], week.answers[item]
            assert released <= answers
            # A release is a whole group: nobody's new answer, or min_group people's or more.
            new = released - before[item]
            assert new == 0 or new >= min_group
            if week.shown[item]:
                assert released >= min_group
            if released == answers > 0:
                # every answer released: the rule-obeying raw mean is the plain raw mean
                assert week.rule[item] == pytest.approx(week.naive[item])
        nothing = [week.rule[i] for i in range(bench.N_ITEMS) if week.released[i] == 0]
        assert len(set(nothing)) <= 1  # items with nothing released share the released mean
        before = list(week.released)


def test_a_sampled_team_of_five_is_released_once_everyone_has_seen_each_item(
    tmp_path: Path,
) -> None:
    template = tmp_path / "seed.db"
    bench.seed_database(template, seed=0)
    # Everyone answers every week, a rotating 5 of the 15 items: three weeks cover them all.
    result = bench.simulate(bench.Stream(5, 1.0, 0.7, seed=0, weeks=4), template, tmp_path)
    assert template.exists()
    assert len(result.weeks) == 4
    _released_in_groups(result, DEFAULT_SETTINGS.min_group)
    first = result.weeks[0]
    # Week 1: no item was seen by all five people, so nothing is released or shown.
    assert max(first.respondents) < DEFAULT_SETTINGS.min_group
    assert sum(first.released) == 0 and not any(first.shown)
    assert len(set(first.score)) == 1 and len(set(first.rule)) == 1  # all at the prior
    assert bench.kendall_tau_b(first.rule, result.truth) == 0.0
    assert len(set(first.naive)) > 1  # the raw mean of every answer ranks them anyway
    # By week 3 every person has answered every item once: each item's pooled answers are
    # released together (nothing stays held) and every item shows.
    third = result.weeks[2]
    assert third.respondents == (5,) * bench.N_ITEMS
    assert third.released == third.answers
    assert all(third.shown)
    assert result.first_all_shown() <= 3
    assert len(set(third.score)) > 1 and len(set(third.rule)) > 1


def test_every_item_asked_shows_a_full_team_in_week_one_and_a_small_one_never(
    tmp_path: Path,
) -> None:
    template = tmp_path / "seed.db"
    bench.seed_database(template, seed=1)
    full = bench.simulate(
        bench.Stream(5, 1.0, 0.7, seed=1, weeks=2, sample=bench.N_ITEMS), template, tmp_path
    )
    _released_in_groups(full, DEFAULT_SETTINGS.min_group)
    week = full.weeks[0]
    assert week.released == week.answers == (5,) * bench.N_ITEMS
    assert all(week.shown)
    assert week.rule == pytest.approx(week.naive)
    # Four people can never make a group of five: nothing is released, ever.
    four = bench.simulate(
        bench.Stream(4, 1.0, 0.7, seed=1, weeks=3, sample=bench.N_ITEMS), template, tmp_path
    )
    for week in four.weeks:
        assert sum(week.released) == 0 and not any(week.shown)
        assert len(set(week.score)) == 1 and len(set(week.rule)) == 1
    assert four.first_all_shown() == math.inf
    # ... unless the team lowers DEBTPULSE_MIN_GROUP to 3.
    lowered = bench.simulate(
        bench.Stream(4, 1.0, 0.7, seed=1, min_group=3, weeks=1, sample=bench.N_ITEMS),
        template,
        tmp_path,
    )
    _released_in_groups(lowered, 3)
    assert all(lowered.weeks[0].shown)


def test_the_quick_plan_prints_every_table(capsys: pytest.CaptureFixture[str]) -> None:
    bench.main(["--quick", "--jobs", "1"])
    out = capsys.readouterr().out
    assert "Score vs the raw mean under the same release rule, per team size" in out
    assert "Share of the 15 items shown (not suppressed) after 1, 4, 8 weeks" in out
    assert "The whole grid" in out
    assert "When pain moves" not in out  # the quick plan has no drift runs
    lines = out.splitlines()
    shown = lines.index(next(line for line in lines if line.startswith("team rate |   wk1")))
    rows = [line.split() for line in lines[shown + 2 : shown + 4]]
    assert [row[:2] for row in rows] == [["5", "0.6"], ["10", "0.6"]]
    # A team of 5 answering 5 of 15 items at rate 0.6 shows nothing in its first week.
    assert rows[0][3] == "0%"
    for row in rows:
        shares = [float(cell.rstrip("%")) for cell in row if cell.endswith("%")]
        assert len(shares) == 6 and all(0 <= share <= 100 for share in shares)
