"""Why did this rise? The component differences against the previous snapshot.

Deltas are taken between the *shown* (rounded, adding-up) numbers of both breakdowns, so
they match what the reader saw last time and sees now, and the component deltas add up
exactly to the total delta. They are sorted by absolute size, largest first (ties in the
fixed component order), e.g. ``"Up 6.2 since 2026-11-09: pain +4.1, signals +2.0,
trend +0.1."``; an item without a previous snapshot is ``"New this week."``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core.priority import ScoreBreakdown
from bot.core.rounding import spread_total
from bot.core.score_settings import COMPONENTS


@dataclass(frozen=True, slots=True)
class ComponentDelta:
    name: str
    delta: float


@dataclass(frozen=True, slots=True)
class Change:
    """How an item's shown score moved since its previous snapshot."""

    key: str
    is_new: bool
    score: float
    previous_score: float | None
    total_delta: float | None
    since: date | None
    deltas: tuple[ComponentDelta, ...]
    settings_changed: bool
    sentence: str

    def to_public_dict(self) -> dict[str, Any]:
        """JSON-ready (``why --json``): the deltas largest first; they add up to ``delta``."""
        return {
            "since": None if self.since is None else self.since.isoformat(),
            "previous_score": self.previous_score,
            "delta": self.total_delta,
            "components": [{"component": d.name, "delta": d.delta} for d in self.deltas],
            "settings_changed": self.settings_changed,
            "sentence": self.sentence,
        }


def _fmt(value: float, decimals: int) -> str:
    return f"{value:+.{decimals}f}"


def _sentence(total: float, since: date, deltas: tuple[ComponentDelta, ...], decimals: int) -> str:
    moved = [d for d in deltas if d.delta != 0]
    if total > 0:
        head = f"Up {total:.{decimals}f} since {since.isoformat()}"
    elif total < 0:
        head = f"Down {-total:.{decimals}f} since {since.isoformat()}"
    else:
        head = f"Unchanged since {since.isoformat()}"
    if not moved:
        return head + "."
    return head + ": " + ", ".join(f"{d.name} {_fmt(d.delta, decimals)}" for d in moved) + "."


def explain_change(
    current: ScoreBreakdown, previous: ScoreBreakdown | None, *, decimals: int = 1
) -> Change:
    """Component deltas of ``current`` against ``previous``, largest first, and a sentence."""
    now_shown = current.shown(decimals)
    if previous is None:
        return Change(
            key=current.key,
            is_new=True,
            score=now_shown.total,
            previous_score=None,
            total_delta=None,
            since=None,
            deltas=(),
            settings_changed=False,
            sentence="New this week.",
        )
    if previous.key != current.key:
        raise ValueError(f"cannot compare {current.key} with {previous.key}")
    before = previous.shown(decimals)
    total = round(now_shown.total - before.total, decimals) + 0.0
    # The shown total's change, spread over the exact component changes: a component whose
    # exact value did not move shows no rounding unit (snapshots keep exact components).
    spread = spread_total(
        {name: current.components[name] - previous.components[name] for name in COMPONENTS},
        total,
        decimals,
    )
    deltas = tuple(
        ComponentDelta(name, spread[name] + 0.0)
        for name in sorted(COMPONENTS, key=lambda n: -abs(spread[n]))  # stable on ties
    )
    since = previous.as_of.date()
    settings_changed = previous.settings_version != current.settings_version
    sentence = _sentence(total, since, deltas, decimals)
    if settings_changed:
        sentence += " The scoring settings changed since then."
    return Change(
        key=current.key,
        is_new=False,
        score=now_shown.total,
        previous_score=before.total,
        total_delta=total,
        since=since,
        deltas=deltas,
        settings_changed=settings_changed,
        sentence=sentence,
    )
