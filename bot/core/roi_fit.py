"""The arithmetic behind ``bot.core.roi``: a trend fitted before a fix, its extrapolation after
it, and the standard error of the difference under AR(1) noise (standard library only).

A segment is a run of weeks (sorted, gaps allowed) fitted by least squares with an intercept
and, optionally, a slope on centred time. Every estimate here is linear in the observations
(``estimate = Σ wᵢ·yᵢ``), so its variance under AR(1) noise with marginal variance σ² and
correlation ρ is exact: ``σ²·w'R(ρ)w`` with ``R[i][j] = ρ^|tᵢ−tⱼ|`` (``R·v`` costs O(n): one
forward and one backward pass, whatever the gaps).

ρ is estimated by moment matching, which removes the small-sample bias of a raw lag-1
autocorrelation of residuals (strongly negative after fitting a trend to a few weeks): the
observed ratio ``Σ eₜeₜ₊₁ / Σ eₜ²`` (over pairs of adjacent weeks) is matched to its
expectation ``tr(M·A·M·R(ρ)) / tr(M·R(ρ))`` under the fitted design (M the residual maker, A
the adjacent-week pairs), solved by bisection on [0, ``RHO_MAX``]. A negative ρ would narrow
the interval, so it is floored at 0, and the ρ used is one standard error above the estimate
(``_cautious``). σ² is then ``Σ e² / tr(M·R(ρ))``, unbiased for that ρ.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

#: Highest AR(1) correlation estimated: beyond it a few weeks cannot tell noise from a trend.
RHO_MAX = 0.9
#: Standard errors of ρ added to its estimate (see ``_cautious``).
RHO_MARGIN = 1.0
_BISECTIONS = 14

Point = tuple[int, float]


@dataclass(frozen=True)
class Fit:
    """A difference estimate: its value, standard error, degrees of freedom and the ρ used."""

    estimate: float
    se: float
    df: float
    rho: float


class _Segment:
    """Weeks fitted together: ``times`` ascending, ``slope`` whether a trend is fitted.

    The design is on centred time, so X'X is diagonal and (X'X)⁻¹ (``gram``) is too; what
    does not depend on ρ is computed once.
    """

    def __init__(self, points: Sequence[Point], *, slope: bool) -> None:
        self.times = [t for t, _ in points]
        self.values = [y for _, y in points]
        n = len(self.times)
        self.columns = [[1.0] * n]
        if slope:
            centre = sum(self.times) / n
            self.columns.append([t - centre for t in self.times])
        self.gram = [1.0 / _dot(c, c) for c in self.columns]
        self.adjacent = [_adjacent_times(self.times, c) for c in self.columns]
        k = len(self.columns)
        self.xax = [[_dot(self.columns[i], self.adjacent[j]) for j in range(k)] for i in range(k)]
        self.pairs = sum(1 for a, b in itertools.pairwise(self.times) if b - a == 1)

    @property
    def df(self) -> int:
        return len(self.times) - len(self.columns)

    def residuals(self) -> list[float]:
        fitted = [0.0] * len(self.values)
        for column, g in zip(self.columns, self.gram, strict=True):
            coefficient = g * _dot(column, self.values)
            fitted = [f + coefficient * x for f, x in zip(fitted, column, strict=True)]
        return [y - f for y, f in zip(self.values, fitted, strict=True)]

    def moments(self, rho: float) -> tuple[float, float]:
        """``(tr(M·A·M·R), tr(M·R))`` at ``rho``, in O(n).

        With H = X·G·X' (G = (X'X)⁻¹) and A, R symmetric: tr(M·R) = n − tr(G·X'RX) and
        tr(M·A·M·R) = tr(A·R) − 2·tr(G·X'ARX) + tr(G·X'AX·G·X'RX), where tr(A·R) is ρ per
        pair of adjacent weeks and X'ARX = (AX)'(RX).
        """
        g, k = self.gram, len(self.columns)
        r_cols = [ar1_times(self.times, c, rho) for c in self.columns]
        xrx = [[_dot(self.columns[i], r_cols[j]) for j in range(k)] for i in range(k)]
        xarx_diag = [_dot(self.adjacent[i], r_cols[i]) for i in range(k)]
        tr_h_ar = sum(g[i] * xarx_diag[i] for i in range(k))
        tr_hahr = sum(g[i] * self.xax[i][j] * g[j] * xrx[j][i] for i in range(k) for j in range(k))
        tr_mr = len(self.times) - sum(g[i] * xrx[i][i] for i in range(k))
        return self.pairs * rho - 2 * tr_h_ar + tr_hahr, tr_mr


def ar1_times(times: Sequence[int], v: Sequence[float], rho: float) -> list[float]:
    """``R(ρ)·v`` for ``R[i][j] = ρ^|tᵢ−tⱼ|``, ``times`` ascending: O(n) by two passes."""
    n = len(v)
    forward, backward = list(v), list(v)
    for i in range(1, n):
        forward[i] += forward[i - 1] * rho ** (times[i] - times[i - 1])
    for i in range(n - 2, -1, -1):
        backward[i] += backward[i + 1] * rho ** (times[i + 1] - times[i])
    return [f + b - x for f, b, x in zip(forward, backward, v, strict=True)]


def _adjacent_times(times: Sequence[int], v: Sequence[float]) -> list[float]:
    """``A·v``: half the sum of the values of the adjacent weeks (a gap breaks adjacency)."""
    out = [0.0] * len(v)
    for i in range(len(v) - 1):
        if times[i + 1] - times[i] == 1:
            out[i] += v[i + 1] / 2
            out[i + 1] += v[i] / 2
    return out


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(map(operator.mul, a, b))


def _cautious(rho: float, pairs: int) -> float:
    """ρ one standard error (``√((1−ρ²)/pairs)``) above its estimate, at most ``RHO_MAX``.

    The variance of a trend's extrapolation grows steeply with ρ, and a few weeks often
    under-estimate it; the margin brings the interval's coverage back to its nominal level.
    """
    return min(RHO_MAX, rho + RHO_MARGIN * math.sqrt((1 - rho * rho) / max(pairs, 1)))


def _rho(segments: Sequence[_Segment], residuals: Sequence[Sequence[float]]) -> float:
    """The AR(1) correlation whose expected residual autocorrelation matches the observed."""
    lagged = sum(
        _dot(e, _adjacent_times(s.times, e)) for s, e in zip(segments, residuals, strict=True)
    )
    squares = sum(_dot(e, e) for e in residuals)
    if squares <= 0:
        return 0.0
    observed = lagged / squares

    def expected(rho: float) -> float:
        parts = [s.moments(rho) for s in segments]
        return sum(p[0] for p in parts) / sum(p[1] for p in parts)

    if observed <= expected(0.0):
        return 0.0
    if observed >= expected(RHO_MAX):
        return RHO_MAX
    lo, hi = 0.0, RHO_MAX
    for _ in range(_BISECTIONS):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if expected(mid) < observed else (lo, mid)
    return (lo + hi) / 2


def trend_break(pre: Sequence[Point], post: Sequence[Point], *, slope: bool = True) -> Fit:
    """The mean over ``post`` of (value − the ``pre`` trend extrapolated).

    ``pre`` is the fit window (a line, or a level when ``slope`` is False); ``post`` is
    modelled by its own line (three weeks or more) or level — the segmented regression's
    level and slope change — which only shapes the residuals, since the post line's mean over
    its weeks is the post mean.
    """
    fit_pre, fit_post = _Segment(pre, slope=slope), _Segment(post, slope=len(post) >= 3)
    n, m = len(pre), len(post)
    t_pre, t_post = sum(fit_pre.times) / n, sum(fit_post.times) / m
    pre_weights = [-1.0 / n] * n
    if slope:  # minus the line's mean over the post weeks: â + b̂·(t̄_post − t̄_pre)
        reach = (t_post - t_pre) * fit_pre.gram[1]
        pre_weights = [w - reach * x for w, x in zip(pre_weights, fit_pre.columns[1], strict=True)]
    times = fit_pre.times + fit_post.times
    weights = pre_weights + [1.0 / m] * m
    estimate = math.fsum(map(operator.mul, weights, fit_pre.values + fit_post.values))
    segments = (fit_pre, fit_post)
    residuals = [s.residuals() for s in segments]
    rho = _cautious(_rho(segments, residuals), sum(s.pairs for s in segments))
    trace = sum(s.moments(rho)[1] for s in segments)
    sigma2 = sum(_dot(e, e) for e in residuals) / trace if trace > 0 else 0.0
    variance = sigma2 * _dot(weights, ar1_times(times, weights, rho))
    return Fit(estimate, math.sqrt(max(variance, 0.0)), sum(s.df for s in segments), rho)


def mean_difference(pre: Sequence[float], post: Sequence[float]) -> Fit:
    """Post mean − pre mean, with Welch's standard error and degrees of freedom (iid noise)."""
    n, m = len(pre), len(post)
    mean_pre, mean_post = math.fsum(pre) / n, math.fsum(post) / m
    var_pre = math.fsum((y - mean_pre) ** 2 for y in pre) / (n - 1) if n > 1 else None
    var_post = math.fsum((y - mean_post) ** 2 for y in post) / (m - 1) if m > 1 else None
    if var_pre is None or var_post is None:  # one side of one week: the other's spread for both
        pooled = var_pre if var_pre is not None else var_post or 0.0
        df = max(n, m) - 1
        return Fit(mean_post - mean_pre, math.sqrt(pooled * (1 / n + 1 / m)), df, 0.0)
    a, b = var_pre / n, var_post / m
    se = math.sqrt(a + b)
    welch = (a + b) ** 2 / (a * a / (n - 1) + b * b / (m - 1)) if a + b > 0 else n + m - 2.0
    return Fit(mean_post - mean_pre, se, max(1.0, welch), 0.0)
