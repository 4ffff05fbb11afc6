"""Plain-language explanations of a score, shared by the terminal and Slack renderers.

Every figure comes from the breakdown's *shown* (rounded, adding-up) components, so the
lines printed by ``debtpulse why`` and ``/debt why`` add up to the total they show.
A suppressed item never shows its respondent count or answers, only "fewer than N".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.inputs import ItemInputs, TeamContext
from bot.core.priority import ScoreBreakdown
from bot.core.score_settings import COMPONENTS, ScoreSettings

LABELS = {
    "risk": "Risk",
    "severity_floor": "Severity floor",
    "pain": "Pain",
    "breadth": "Breadth",
    "trend": "Trend",
    "signals": "Signals",
}
TREND_DEADBAND = 0.02  # |T| below this shows as flat


@dataclass(frozen=True)
class ComponentLine:
    name: str
    label: str
    points: float
    weight: float
    detail: str

    def to_public_dict(self) -> dict[str, Any]:
        return {
            "component": self.name,
            "points": self.points,
            "weight": self.weight,
            "detail": self.detail,
        }


def score_with_arrow(breakdown: ScoreBreakdown) -> str:
    """The shown total and its trend arrow, e.g. ``49.5 ↑``; no arrow for a suppressed item.

    A lone "·" after a score reads as punctuation; lists that show it explain it in a legend.
    """
    total = f"{breakdown.shown().total:.1f}"
    return total if breakdown.suppressed else f"{total} {trend_arrow(breakdown)}"


def trend_arrow(breakdown: ScoreBreakdown) -> str:
    """↑ worsening, ↓ improving, → flat; "·" when the item's answers are suppressed."""
    if breakdown.suppressed:
        return "·"
    t = breakdown.factors.get("trend", 0.0)
    if t > TREND_DEADBAND:
        return "↑"
    if t < -TREND_DEADBAND:
        return "↓"
    return "→"


def _risk_detail(item: ItemInputs, breakdown: ScoreBreakdown) -> str:
    if not item.assessed:
        return "not assessed yet"
    r = breakdown.factors["risk"]
    return (
        f"impact {item.impact}, likelihood {item.likelihood}, "
        f"detectability {item.detectability} (R = {r:.2f})"
    )


def _pain_detail(breakdown: ScoreBreakdown, team: TeamContext, s: ScoreSettings) -> str:
    mu0 = s.default_team_pain if team.mean_pain is None else team.mean_pain
    if breakdown.suppressed:
        if team.mean_pain is None:  # no item has enough people yet: nothing to pool
            return (
                f"fewer than {breakdown.min_group} respondents, and no item has that many "
                f"yet: the default {mu0:.2f} is used"
            )
        return f"fewer than {breakdown.min_group} respondents: the team's mean {mu0:.2f} is used"
    mean = breakdown.pain_mean
    interval = breakdown.pain_interval
    span = f", 90% interval {interval[0]:.2f}–{interval[1]:.2f}" if interval else ""
    return (
        f"mean {mean:.2f} from {breakdown.n_respondents} respondents{span}; "
        f"shrunk to {breakdown.pain_shrunk_mean:.2f} toward the team's {mu0:.2f}"
    )


def _breadth_detail(breakdown: ScoreBreakdown, s: ScoreSettings) -> str:
    if breakdown.suppressed:
        return "suppressed: prior used"
    return (
        f"share answering ≥ {s.breadth_threshold:g}: lower bound {breakdown.factors['breadth']:.0%}"
    )


def _trend_detail(breakdown: ScoreBreakdown) -> str:
    if breakdown.suppressed:
        return "suppressed: no trend shown"
    t = breakdown.factors["trend"]
    word = {"↑": "pain rising", "↓": "pain falling", "→": "steady"}[trend_arrow(breakdown)]
    return f"{word} (T = {t:+.2f})"


def _sources_text(sources: Mapping[str, int]) -> str:
    """Where the signals came from, the most first: "3 signals: 2 from alertmanager, 1 from
    github" (a signal whose sender named no source: "with no source")."""
    total = sum(sources.values())
    ordered = sorted(sources.items(), key=lambda pair: (-pair[1], pair[0]))
    parts = [f"{n} from {name}" if name else f"{n} with no source" for name, n in ordered]
    return f"{total} signal{'s' if total != 1 else ''}: {', '.join(parts)}"


def _signals_detail(
    item: ItemInputs, breakdown: ScoreBreakdown, sources: Mapping[str, int] | None
) -> str:
    if not item.signals:
        return "no signals"
    kinds = Counter(signal.kind for signal in item.signals)
    listed = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(kinds.items()))
    decayed = f"{listed}, decayed (A = {breakdown.factors['signals']:.2f})"
    return f"{_sources_text(sources)}; {decayed}" if sources else decayed


def component_lines(
    breakdown: ScoreBreakdown,
    *,
    item: ItemInputs,
    team: TeamContext,
    settings: ScoreSettings,
    sources: Mapping[str, int] | None = None,
) -> list[ComponentLine]:
    """One line per component: shown points, its weight and where the number comes from.

    ``sources``: how many of the item's signals each source sent (the signals the score
    reads), named on the Signals line."""
    shown = breakdown.shown().components
    weights = settings.weights
    details = {
        "risk": _risk_detail(item, breakdown),
        "severity_floor": (
            f"impact {settings.severity_floor_impact} lifts risk to {settings.severity_floor:.2f}"
            if breakdown.components["severity_floor"] > 0
            else "not applied"
        ),
        "pain": _pain_detail(breakdown, team, settings),
        "breadth": _breadth_detail(breakdown, settings),
        "trend": _trend_detail(breakdown),
        "signals": _signals_detail(item, breakdown, sources),
    }
    weight_of = {
        "risk": weights.risk,
        "severity_floor": weights.risk,
        "pain": weights.pain,
        "breadth": weights.breadth,
        "trend": weights.trend,
        "signals": weights.signals,
    }
    return [
        ComponentLine(name, LABELS[name], shown[name], weight_of[name], details[name])
        for name in COMPONENTS
    ]


def top_reasons(breakdown: ScoreBreakdown, count: int = 2) -> str:
    """The largest components in a few words, e.g. "risk 24.5, pain 12.3"."""
    shown = breakdown.shown().components
    largest = sorted(COMPONENTS, key=lambda name: -abs(shown[name]))[:count]
    return ", ".join(f"{LABELS[name].lower()} {shown[name]:g}" for name in largest if shown[name])
