"""Small statistics used by the priority score, in plain Python (no SciPy).

- ``wilson_lower_bound``: lower end of the Wilson score interval of a proportion.
- ``student_t_quantile``: the Student t quantile for any real df > 0, by a safeguarded Newton
  iteration on the t distribution's upper tail, which is computed from the regularized
  incomplete beta function (Lentz's continued fraction, as in Numerical Recipes 6.4); for
  df > 1000 the Cornish-Fisher expansion around the normal quantile.
- ``shrunk_mean``, ``ewma``, ``half_life_weight``, ``recency_weight``, ``mean_interval``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

_EPS = 1e-15
_TINY = 1e-300
_MAX_ITER = 500
_LARGE_DF = 1000.0  # beyond this, the Cornish-Fisher expansion is exact to ~1e-12


def half_life_weight(age: float, *, half_life: float) -> float:
    """``0.5 ** (age / half_life)``; a negative age (clock skew) counts as 0."""
    if half_life <= 0:
        raise ValueError("half_life must be > 0")
    return float(0.5 ** (max(age, 0.0) / half_life))


def recency_weight(age: float, *, window: float, half_life: float) -> float:
    """1 within ``window``; beyond it, halves every ``half_life`` counted from the window edge."""
    if age <= window:
        return 1.0
    return half_life_weight(age - window, half_life=half_life)


def shrunk_mean(*, mean: float, n: float, prior_mean: float, k: float) -> float:
    """``(n * mean + k * prior_mean) / (n + k)``: the mean pulled towards the prior."""
    if n < 0 or k < 0:
        raise ValueError("n and k must be >= 0")
    if n + k == 0:
        return prior_mean
    return (n * mean + k * prior_mean) / (n + k)


def ewma(values: Sequence[float], *, alpha: float) -> float:
    """Exponentially weighted moving average, oldest value first, seeded with the oldest."""
    if not values:
        raise ValueError("ewma of no values")
    if not 0 < alpha <= 1:
        raise ValueError("alpha must be in (0, 1]")
    level = values[0]
    for value in values[1:]:
        level = alpha * value + (1 - alpha) * level
    return level


def wilson_lower_bound(successes: float, n: float, *, z: float) -> float:
    """Lower bound of the Wilson score interval; 0 when ``n`` is 0. Counts may be weighted."""
    if n < 0 or successes < 0:
        raise ValueError("successes and n must be >= 0")
    if n == 0:
        return 0.0
    p = min(successes / n, 1.0)
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return min(max((centre - spread) / (1 + z2 / n), 0.0), 1.0)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_ITER + 1):
        m2 = 2 * m
        for aa in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + aa / c
            c = c if abs(c) > _TINY else _TINY
            h *= d * c
        if abs(d * c - 1.0) < _EPS:
            break
    return h


def regularized_beta(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function I_x(a, b) for a, b > 0."""
    if a <= 0 or b <= 0:
        raise ValueError("a and b must be > 0")
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def student_t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom."""
    if df <= 0:
        raise ValueError("df must be > 0")
    tail = 0.5 * regularized_beta(df / (df + t * t), df / 2, 0.5)
    return tail if t >= 0 else 1.0 - tail


def _student_t_pdf(t: float, df: float) -> float:
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_c - (df + 1) / 2 * math.log1p(t * t / df))


def _cornish_fisher(p: float, df: float) -> float:
    """Large-df expansion of the t quantile around the normal one (error < 1e-12 here)."""
    z = NormalDist().inv_cdf(p)
    z2 = z * z
    return (
        z
        + z * (z2 + 1) / (4 * df)
        + z * (5 * z2 * z2 + 16 * z2 + 3) / (96 * df**2)
        + z * (3 * z2**3 + 19 * z2 * z2 + 17 * z2 - 15) / (384 * df**3)
    )


def student_t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` (> 0, not necessarily whole) dof.

    ``student_t_quantile(0.95, 4)`` is 2.1318...: the t of a two-sided 90% interval.
    """
    if not 0 < p < 1:
        raise ValueError("p must be in (0, 1)")
    if df <= 0 or math.isnan(df):
        raise ValueError("df must be > 0")
    if p < 0.5:
        return -student_t_quantile(1 - p, df)
    if p == 0.5:
        return 0.0
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    if df > _LARGE_DF:
        return _cornish_fisher(p, df)
    target = 1 - p
    lo, hi = 0.0, 2.0
    while student_t_sf(hi, df) > target:
        lo, hi = hi, hi * 2
        if hi > 1e300:
            return math.inf
    t = (lo + hi) / 2
    for _ in range(200):
        excess = student_t_sf(t, df) - target  # > 0 means t is too small
        if excess > 0:
            lo = t
        else:
            hi = t
        step = excess / max(_student_t_pdf(t, df), _TINY)
        candidate = t + step
        t_next = candidate if lo < candidate < hi else (lo + hi) / 2
        if abs(t_next - t) <= 1e-13 * max(1.0, abs(t)):
            return t_next
        t = t_next
    return t


def mean_interval(
    *, sum_w: float, sum_wx: float, sum_wx2: float, confidence: float
) -> tuple[float, float] | None:
    """Two-sided t-interval for a weighted mean, with the effective n = ``sum_w``.

    ``x̄ ± t_{(1+c)/2, n-1} · s / √n``, where ``s² = (Σw·x² − (Σw·x)²/Σw) / (Σw − 1)``.
    ``None`` when n <= 1 (no spread to estimate).
    """
    n = sum_w
    if n <= 1:
        return None
    mean = sum_wx / n
    variance = max((sum_wx2 - sum_wx * sum_wx / n) / (n - 1), 0.0)
    half = student_t_quantile((1 + confidence) / 2, n - 1) * math.sqrt(variance / n)
    return (mean - half, mean + half)
