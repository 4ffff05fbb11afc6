"""The inputs of an ROI analysis (``bot.core.roi``): their types and their checks.

Every check raises ValueError naming the argument (and the week) at fault, before anything
is computed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, get_args

Direction = Literal["lower", "higher"]  # which way is better for the metric
Method = Literal["its", "did", "before_after"]


def checked(
    series: Sequence[float | None], name: str, length: int | None = None
) -> list[float | None]:
    """``series`` as floats (None kept for a week without a value), of ``length`` if given."""
    values = list(series)
    if length is not None and len(values) != length:
        raise ValueError(f"{name} has {len(values)} weeks; the series has {length}")
    for i, y in enumerate(values):
        if y is None:
            continue
        if isinstance(y, bool) or not isinstance(y, int | float):
            raise ValueError(f"{name}[{i}] must be a number or None, not {y!r}")
        if not math.isfinite(y):
            raise ValueError(f"{name}[{i}] must be finite, not {y!r}")
    return [None if y is None else float(y) for y in values]


def check_direction(direction: str) -> None:
    if direction not in get_args(Direction):
        raise ValueError(f"direction must be 'lower' or 'higher', not {direction!r}")


def check_arguments(
    *,
    weeks: int,
    resolve_week: int,
    direction: str,
    confidence: float,
    min_pre: int,
    min_post: int,
    method: str | None,
) -> None:
    """The scalar arguments of ``analyse`` for a series of ``weeks`` weeks."""
    check_direction(direction)
    if isinstance(resolve_week, bool) or not isinstance(resolve_week, int):
        raise ValueError(f"resolve_week must be a whole week number, not {resolve_week!r}")
    if not 0 <= resolve_week <= weeks:
        raise ValueError(
            f"resolve_week must be between 0 and {weeks} (the series' weeks), not {resolve_week}"
        )
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence!r}")
    if min_pre < 3:
        raise ValueError(f"min_pre must be at least 3 (a trend and its noise), not {min_pre}")
    if min_post < 1:
        raise ValueError(f"min_post must be at least 1, not {min_post}")
    if method is not None and method not in get_args(Method):
        raise ValueError(f"method must be one of its, did, before_after, not {method!r}")
