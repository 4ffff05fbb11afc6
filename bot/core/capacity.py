"""Capacity hint: which debt items fit this sprint's debt budget for the most score.

An exact 0/1 knapsack: efforts are story points in whole or half points (an S/M/L estimate
maps through ``effort_scale``, default S=1, M=3, L=8); the dynamic programme runs over
half-points. Among sets with the same total score the one with less effort wins, then the
one found first (items are considered in the order given). Items without an estimate are
never chosen; they are listed apart so the digest can ask for one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DEFAULT_EFFORT_SCALE: Mapping[str, float] = {"S": 1.0, "M": 3.0, "L": 8.0}
_UNITS_PER_POINT = 2  # half points
_SLACK = 1e-9

Effort = str | float | None


@dataclass(frozen=True, slots=True)
class CapacityHint:
    chosen: tuple[str, ...]
    total_score: float
    total_effort: float
    budget_points: float
    unestimated: tuple[str, ...]


def debt_budget(sprint_capacity_points: float, share: float = 0.15) -> float:
    """The sprint's debt budget: ``share`` (default 15%) of its capacity, in points."""
    if not (math.isfinite(sprint_capacity_points) and sprint_capacity_points >= 0):
        raise ValueError("sprint capacity must be a number of points >= 0")
    if not 0 <= share <= 1:
        raise ValueError("share must be between 0 and 1")
    return sprint_capacity_points * share


def effort_points(effort: Effort, *, effort_scale: Mapping[str, float]) -> float | None:
    """Points of an estimate: a label of ``effort_scale`` (any case), a number, or None/''."""
    if effort is None or (isinstance(effort, str) and not effort.strip()):
        return None
    if isinstance(effort, str):
        label = effort.strip().upper()
        scale = {name.upper(): points for name, points in effort_scale.items()}
        if label in scale:
            return scale[label]
        try:
            return float(label)
        except ValueError:
            raise ValueError(
                f"effort {effort!r} is not one of {', '.join(effort_scale)} nor a number"
            ) from None
    return float(effort)


def _units(points: float, what: str) -> int:
    scaled = points * _UNITS_PER_POINT
    units = round(scaled)
    if not math.isfinite(points) or points < 0 or abs(scaled - units) > _SLACK:
        raise ValueError(f"{what}: effort must be whole or half points >= 0, not {points!r}")
    return int(units)


def split_estimates(
    items: Iterable[tuple[str, float, Effort]], *, effort_scale: Mapping[str, float]
) -> tuple[list[tuple[str, float, Effort]], list[str]]:
    """The items whose estimate the hint can use, and the keys of those it cannot.

    An estimate that is neither a size of ``effort_scale`` nor whole or half points (a size
    removed from ``weights.yaml``, say) is listed apart, like a missing one, rather than
    failing the whole hint: the CLI and the digest both say "No usable estimate yet".
    """
    usable: list[tuple[str, float, Effort]] = []
    unusable: list[str] = []
    for key, score, effort in items:
        try:
            points = effort_points(effort, effort_scale=effort_scale)
            if points is not None:
                _units(points, key)
        except ValueError:
            unusable.append(key)
        else:
            usable.append((key, score, effort))
    return usable, unusable


def capacity_hint(
    items: Iterable[tuple[str, float, Effort]],
    budget_points: float,
    *,
    effort_scale: Mapping[str, float] | None = None,
) -> CapacityHint:
    """The set of items with the highest total score whose efforts fit ``budget_points``.

    ``items`` are ``(key, score, effort)``; effort is ``"S"``/``"M"``/``"L"``, points, or None.
    """
    if not (math.isfinite(budget_points) and budget_points >= 0):
        raise ValueError("budget must be a number of points >= 0")
    scale = DEFAULT_EFFORT_SCALE if effort_scale is None else effort_scale
    candidates: list[tuple[str, float, int]] = []
    unestimated: list[str] = []
    seen: set[str] = set()
    for key, score, effort in items:
        if key in seen:
            raise ValueError(f"{key} is listed twice")
        seen.add(key)
        points = effort_points(effort, effort_scale=scale)
        if points is None:
            unestimated.append(key)
        elif score > 0:  # a zero score adds nothing worth the effort
            candidates.append((key, score, _units(points, key)))
    total_units = sum(units for _, _, units in candidates)
    capacity = min(math.floor(budget_points * _UNITS_PER_POINT + _SLACK), total_units)

    # best[c] = (score, -effort) of the best set within c units among the items seen so far
    best: list[tuple[float, int]] = [(0.0, 0)] * (capacity + 1)
    took: list[bytearray] = []
    for _, score, units in candidates:
        row = bytearray(capacity + 1)
        for c in range(capacity, units - 1, -1):
            prev_score, prev_neg_effort = best[c - units]
            option = (prev_score + score, prev_neg_effort - units)
            if option > best[c]:
                best[c] = option
                row[c] = 1
        took.append(row)

    chosen: list[str] = []
    c = capacity
    for i in range(len(candidates) - 1, -1, -1):
        if took[i][c]:
            chosen.append(candidates[i][0])
            c -= candidates[i][2]
    chosen.reverse()
    picked = set(chosen)
    return CapacityHint(
        chosen=tuple(chosen),
        total_score=math.fsum(s for k, s, _ in candidates if k in picked),
        total_effort=sum(u for k, _, u in candidates if k in picked) / _UNITS_PER_POINT,
        budget_points=budget_points,
        unestimated=tuple(unestimated),
    )
