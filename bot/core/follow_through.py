"""Follow-through after a fix: has its effect faded?

A fix can hold for a while and then wear off (the flaky job is flaky again, the workaround
is back). :func:`fading` tells it from one weekly series of the item's own measures (its
pain, hours lost, signals), the way the ROI report lays them out: ``series[i]`` is week
``i``, ``None`` a week without a value (none measured, or suppressed under the anonymity
rule), and the weeks from ``resolve_week`` on are after the fix.

The rule, in the metric's direction (``lower`` or ``higher`` is better):

- **before**: the weeks before the fix, at least :data:`MIN_PRE_WEEKS` with a value; their
  mean is the level before the fix and their standard deviation ``s`` its weekly noise;
- **recent**: the last :data:`RECENT_WEEKS` weeks of the series, at least
  :data:`MIN_RECENT_WEEKS` with a value (a series that stopped is not judged);
- **earlier**: the weeks after the fix and before the recent ones, at least
  :data:`MIN_EARLIER_WEEKS` with a value;
- the fix **had improved** the metric when the earlier mean is better than the level
  before by more than ``s``;
- its effect **has faded** when, after that, the recent mean is better than the level
  before by at most ``s / 2``: back within half a week's noise of it, or worse.

The margins keep a lasting fix from being flagged by noise. Simulated with 10 weeks
before, 5 between and 3 recent, independent noise: a fix that holds 1.5 ``s`` better is
flagged about 4 % of the time, one with no effect at all 3 %; a fix 2 ``s`` better that
falls all the way back is flagged about 70 % of the time. It is a prompt to look, not a
test: a trend, a season or a change of team in those weeks can cause it too. Pure: no I/O.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.roi_inputs import Direction, check_direction, checked

#: The most recent weeks compared with the level before the fix.
RECENT_WEEKS = 3
MIN_RECENT_WEEKS = 2
#: Weeks after the fix, before the recent ones, that show whether it had improved.
MIN_EARLIER_WEEKS = 2
MIN_PRE_WEEKS = 4
#: Relative rounding error: a difference this small (times the series' scale) is none.
_ROUNDING = 1e-9


@dataclass(frozen=True)
class Fade:
    """A faded effect: the level before the fix, after it, and in the recent weeks."""

    before: float  # the mean of the weeks before the fix
    after: float  # the mean of the weeks after it, before the recent ones
    recent: float  # the mean of the recent weeks
    noise: float  # the standard deviation of the weeks before the fix
    recent_weeks: int  # recent weeks with a value


def fading(series: Sequence[float | None], resolve_week: int, direction: Direction) -> Fade | None:
    """The fade of a fix at ``resolve_week`` in ``series``, or None when it holds (or there
    are too few weeks to tell). Raises ValueError naming a bad argument."""
    values = checked(series, "series")
    check_direction(direction)
    if isinstance(resolve_week, bool) or not isinstance(resolve_week, int):
        raise ValueError(f"resolve_week must be a whole week number, not {resolve_week!r}")
    if not 0 <= resolve_week <= len(values):
        raise ValueError(
            f"resolve_week must be between 0 and {len(values)} (the series' weeks), "
            f"not {resolve_week}"
        )
    cut = max(resolve_week, len(values) - RECENT_WEEKS)
    before = _present(values[:resolve_week])
    earlier = _present(values[resolve_week:cut])
    recent = _present(values[cut:])
    if (
        len(before) < MIN_PRE_WEEKS
        or len(earlier) < MIN_EARLIER_WEEKS
        or len(recent) < MIN_RECENT_WEEKS
    ):
        return None
    level = math.fsum(before) / len(before)
    noise = statistics.stdev(before)
    after = math.fsum(earlier) / len(earlier)
    now = math.fsum(recent) / len(recent)
    sign = 1.0 if direction == "lower" else -1.0
    scale = max(abs(y) for y in (*before, *earlier, *recent))
    tolerance = _ROUNDING * scale

    def gain(mean: float) -> float:  # how much better than before the fix
        return sign * (level - mean)

    if gain(after) <= noise + tolerance or gain(now) > noise / 2 + tolerance:
        return None
    return Fade(level, after, now, noise, len(recent))


def _present(values: Sequence[float | None]) -> list[float]:
    return [y for y in values if y is not None]
