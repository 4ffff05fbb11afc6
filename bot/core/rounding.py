"""Rounding that adds up: shown components always sum exactly to the shown total.

Largest-remainder method, in exact decimal arithmetic:

1. the shown total is the exact sum rounded half-up to ``total_decimals``;
2. every component is first rounded *down* (towards −∞, so negative components work the
   same way) to a multiple of the unit 10^-decimals;
3. the units still missing to reach the shown total go, one each, to the components with
   the largest remainders (ties: the earlier component in the mapping's order).

Each shown component is therefore its exact value rounded down or up, never further.
Floats are read through their shortest ``repr`` (2.35 is 2.35, not 2.34999...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import NamedTuple


class Rounded(NamedTuple):
    """Shown components (same keys and order as given) and the shown total."""

    components: dict[str, float]
    total: float


NOISE = Decimal("1e-9")


def _decimal(value: float) -> Decimal:
    """The value as a decimal, with binary float noise (5.624999999999999) settled first."""
    if not math.isfinite(value):
        raise ValueError(f"cannot round {value!r}")
    return Decimal(repr(float(value))).quantize(NOISE, rounding=ROUND_HALF_UP)


def _as_float(units: int, decimals: int) -> float:
    value = float(Decimal(units).scaleb(-decimals))
    return value + 0.0  # no -0.0


def round_components(components: Mapping[str, float], total_decimals: int = 1) -> Rounded:
    """Round ``components`` so that the rounded values sum exactly to the rounded total."""
    if total_decimals < 0:
        raise ValueError("total_decimals must be >= 0")
    # The same breakdown is shown many times over (a digest shows each item's score in
    # several sections): its rounding is computed once, and each caller gets its own dict.
    shown, total = _rounded(tuple(components.items()), total_decimals)
    return Rounded(components=dict(shown), total=total)


@lru_cache(maxsize=4096)
def _rounded(
    items: tuple[tuple[str, float], ...], total_decimals: int
) -> tuple[tuple[tuple[str, float], ...], float]:
    components = dict(items)
    scaled = {name: _decimal(value).scaleb(total_decimals) for name, value in components.items()}
    total_units = int(sum(scaled.values(), Decimal(0)).to_integral_value(rounding=ROUND_HALF_UP))
    floors = {name: int(x.to_integral_value(rounding=ROUND_FLOOR)) for name, x in scaled.items()}
    missing = total_units - sum(floors.values())  # 0 <= missing <= number of components
    names = list(scaled)
    remainders = [scaled[name] - floors[name] for name in names]
    order = sorted(range(len(names)), key=lambda i: -remainders[i])  # stable: ties keep order
    for i in order[:missing]:
        floors[names[i]] += 1
    shown = tuple((name, _as_float(units, total_decimals)) for name, units in floors.items())
    return shown, _as_float(total_units, total_decimals)


def spread_total(changes: Mapping[str, float], total: float, decimals: int = 1) -> dict[str, float]:
    """Round ``changes`` to ``decimals`` so that they sum exactly to ``total`` (already shown
    to ``decimals``), by largest remainder; a change that is zero stays zero.

    For "why did it move": ``total`` is the difference of two shown totals and ``changes``
    the exact component differences, so an unchanged component never shows a rounding unit.
    """
    units_total = int(_decimal(total).scaleb(decimals).to_integral_value(rounding=ROUND_HALF_UP))
    scaled = {name: _decimal(value).scaleb(decimals) for name, value in changes.items()}
    moving = [name for name, value in scaled.items() if abs(value) > NOISE.scaleb(decimals)]
    units = {name: 0 for name in scaled}
    if not moving:
        if units_total:
            raise ValueError("a total moved while no change did")
        return {name: 0.0 for name in scaled}
    for name in moving:
        units[name] = int(scaled[name].to_integral_value(rounding=ROUND_FLOOR))
    missing = units_total - sum(units.values())
    # largest remainders take a unit first; when units are to be taken back, the smallest give
    by_remainder = sorted(moving, key=lambda name: -(scaled[name] - units[name]))
    step = 1 if missing > 0 else -1
    order = by_remainder if missing > 0 else list(reversed(by_remainder))
    for i in range(abs(missing)):
        units[order[i % len(order)]] += step
    return {name: _as_float(count, decimals) for name, count in units.items()}
