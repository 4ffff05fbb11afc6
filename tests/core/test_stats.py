"""Statistics helpers, pinned against known values."""

from __future__ import annotations

import math

import pytest

from bot.core.stats import (
    ewma,
    half_life_weight,
    mean_interval,
    recency_weight,
    regularized_beta,
    shrunk_mean,
    student_t_quantile,
    student_t_sf,
    wilson_lower_bound,
)


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [
        # Table values of Student's t (two-sided 90% interval uses p = 0.95).
        (0.95, 1, 6.314),
        (0.95, 2, 2.920),
        (0.95, 3, 2.353),
        (0.95, 4, 2.132),
        (0.95, 10, 1.812),
        (0.95, 30, 1.697),
        (0.975, 2, 4.303),
        (0.975, 10, 2.228),
        (0.99, 3, 4.541),
        (0.995, 20, 2.845),
        (0.90, 5, 1.476),
        (0.95, 120, 1.658),
    ],
)
def test_t_quantile_matches_tables(p: float, df: float, expected: float) -> None:
    assert student_t_quantile(p, df) == pytest.approx(expected, abs=5e-4)


def test_t_quantile_more_digits() -> None:
    assert student_t_quantile(0.95, 4) == pytest.approx(2.131846786, abs=1e-8)
    assert student_t_quantile(0.95, 1) == pytest.approx(6.313751515, abs=1e-8)


def test_t_quantile_is_symmetric_and_tends_to_normal() -> None:
    assert student_t_quantile(0.05, 7) == pytest.approx(-student_t_quantile(0.95, 7))
    assert student_t_quantile(0.5, 3) == 0.0
    assert student_t_quantile(0.95, 1e7) == pytest.approx(1.644854, abs=1e-5)
    assert student_t_quantile(0.95, math.inf) == pytest.approx(1.644854, abs=1e-5)


def test_t_quantile_non_integer_df_lies_between_neighbours() -> None:
    q = student_t_quantile(0.95, 5.5)
    assert student_t_quantile(0.95, 6) < q < student_t_quantile(0.95, 5)
    # and inverts the survival function
    assert student_t_sf(q, 5.5) == pytest.approx(0.05, abs=1e-12)
    # tiny df (an effective n of 1.3): huge, finite
    assert 100 < student_t_quantile(0.95, 0.3) < 10_000


@pytest.mark.parametrize(("p", "df"), [(0.0, 3), (1.0, 3), (0.95, 0), (0.95, -1)])
def test_t_quantile_rejects_bad_input(p: float, df: float) -> None:
    with pytest.raises(ValueError):
        student_t_quantile(p, df)


def test_regularized_beta_known_values() -> None:
    assert regularized_beta(0.5, 2, 2) == pytest.approx(0.5)
    # I_x(1, 1) = x ; I_x(a, 1) = x^a
    assert regularized_beta(0.3, 1, 1) == pytest.approx(0.3)
    assert regularized_beta(0.3, 2.5, 1) == pytest.approx(0.3**2.5)
    assert regularized_beta(0.0, 2, 3) == 0.0
    assert regularized_beta(1.0, 2, 3) == 1.0


def test_wilson_lower_bound_by_hand() -> None:
    # 1 of 5, z = 1.28: z² = 1.6384
    # centre = 0.2 + 1.6384/10 = 0.36384
    # spread = 1.28·√(0.2·0.8/5 + 1.6384/100) = 1.28·√0.048384 = 1.28·0.219964 = 0.281554
    # (0.36384 − 0.281554) / (1 + 1.6384/5) = 0.082286 / 1.32768 = 0.061977
    assert wilson_lower_bound(1, 5, z=1.28) == pytest.approx(0.061977, abs=1e-6)
    # 10 of 10: (1 + 0.08192 − 1.28·0.064) / 1.16384 = 1 / 1.16384 = 0.859225
    assert wilson_lower_bound(10, 10, z=1.28) == pytest.approx(0.859225, abs=1e-6)
    assert wilson_lower_bound(0, 10, z=1.28) == 0.0
    assert wilson_lower_bound(0, 0, z=1.28) == 0.0


def test_shrunk_mean() -> None:
    # (5·4 + 5·3) / (5 + 5) = 35 / 10 = 3.5
    assert shrunk_mean(mean=4, n=5, prior_mean=3, k=5) == 3.5
    assert shrunk_mean(mean=4, n=0, prior_mean=3, k=5) == 3
    assert shrunk_mean(mean=4, n=0, prior_mean=3, k=0) == 3
    assert shrunk_mean(mean=4, n=2, prior_mean=3, k=0) == 4


def test_ewma() -> None:
    # 3 → 3 → 0.5·3.5 + 0.5·3 = 3.25 → 0.5·4.5 + 0.5·3.25 = 3.875
    assert ewma([3.0, 3.0, 3.5, 4.5], alpha=0.5) == 3.875
    assert ewma([2.0], alpha=0.5) == 2.0
    assert ewma([1.0, 5.0], alpha=1.0) == 5.0
    with pytest.raises(ValueError):
        ewma([], alpha=0.5)


def test_decay_weights() -> None:
    assert half_life_weight(14, half_life=14) == 0.5
    assert half_life_weight(28, half_life=14) == 0.25
    assert half_life_weight(-3, half_life=14) == 1.0  # clock skew
    assert recency_weight(8, window=8, half_life=4) == 1.0
    assert recency_weight(12, window=8, half_life=4) == 0.5
    assert recency_weight(10, window=8, half_life=4) == pytest.approx(math.sqrt(0.5))


def test_mean_interval() -> None:
    # answers 2, 3, 2, 4, 3: x̄ = 2.8, s² = (42 − 14²/5)/4 = 0.7, s/√n = √0.14 = 0.374166
    # t(0.95, 4) = 2.131847 → half width 0.797667
    low, high = mean_interval(sum_w=5, sum_wx=14, sum_wx2=42, confidence=0.90) or (0, 0)
    assert low == pytest.approx(2.8 - 0.797667, abs=1e-5)
    assert high == pytest.approx(2.8 + 0.797667, abs=1e-5)
    assert mean_interval(sum_w=1, sum_wx=3, sum_wx2=9, confidence=0.9) is None
