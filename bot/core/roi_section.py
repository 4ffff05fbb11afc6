"""The digest's "Return on debt work" section, decided from plain rows (no I/O).

It extends "You said, we did" (items resolved since the last digest, pain before and
after) with what the fixes of the last weeks returned, as the ROI report measures it
against what each metric would have done without the fix:

- one line per fix: the metrics that improved or got worse with their effect and 90 %
  interval, those with no clear change by name, the hours saved a week (and their cost,
  when ``weights.yaml`` gives one) and the payback; a fix with nothing measured yet says
  why in one line. Measured fixes come first, oldest fix first, at most
  :data:`MAX_ROI_LINES`;
- the fixes whose effect faded (:mod:`bot.core.follow_through`), with a suggestion to
  reopen them;
- the totals: fixes, effort, and hours (and money) saved a week where measured.

Every figure comes from series in which weeks under the anonymity group have no value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.core.digest_model import FadeNote, RoiLine, RoiMetric, RoiRow, RoiSection
from bot.core.roi_text import days, effect_text, label, money, number, numbers, weeks

MAX_ROI_LINES = 10
MAX_FADES = 5
_INSUFFICIENT = "insufficient data: "


def _named(metric: RoiMetric, key: str) -> str:
    """The metric's name, with its scope when that is not the item itself."""
    name = label(metric.name)
    return name if metric.scope == key else f"{name} ({metric.scope})"


def _kind(improved: int, worse: int, measured: int) -> str:
    if not measured:
        return "insufficient_data"
    if improved and worse:
        return "mixed"
    if improved:
        return "improved"
    return "worse" if worse else "no_change"


def _insufficient(row: RoiRow) -> str:
    """Why nothing is measured yet, in a few words (the item's own measure first)."""
    if not row.metrics:
        return "nothing measured around the fix yet"
    first = min(row.metrics, key=lambda m: m.scope != row.key)
    why = first.why.removeprefix(_INSUFFICIENT) or "too few weeks around the fix"
    return f"insufficient data yet — {label(first.name)}: {why}"


def _saving(row: RoiRow) -> str:
    if row.hours_saved_per_week is None:
        return ""
    estimate, low, high = numbers(*row.hours_saved_per_week)
    text = f"{estimate} h saved a week (90 %: {low} to {high})"
    if row.money_saved_per_week is not None:
        text += f", {money(row.money_saved_per_week, row.currency)} a week"
    return text


def roi_line(row: RoiRow) -> RoiLine:
    """What the digest says of one fix."""

    def effects(verdict: str) -> tuple[str, ...]:
        return tuple(
            f"{_named(m, row.key)} {effect_text(m.effect, m.unit)}"
            for m in row.metrics
            if m.verdict == verdict and m.effect is not None
        )

    improved, worse = effects("improved"), effects("worse")
    unchanged = tuple(_named(m, row.key) for m in row.metrics if m.verdict == "no_change")
    measured = sum(1 for m in row.metrics if m.effect is not None)
    kind = _kind(len(improved), len(worse), measured)
    return RoiLine(
        key=row.key,
        title=row.title,
        resolved_on=row.resolved_on,
        kind=kind,
        effort="" if row.effort_days is None else f"{days(row.effort_days)} of effort",
        improved=improved,
        worse=worse,
        unchanged=unchanged,
        saving=_saving(row),
        payback="" if row.payback_weeks is None else f"pays back in {weeks(row.payback_weeks)}",
        insufficient=_insufficient(row) if kind == "insufficient_data" else "",
    )


def fade_notes(rows: Sequence[RoiRow]) -> tuple[FadeNote, ...]:
    """The item's own measures back near their level before the fix, oldest fix first."""
    notes = []
    for row in sorted(rows, key=lambda r: (r.resolved_on, r.key)):
        for m in row.metrics:
            if m.fade is None or m.scope != row.key:
                continue
            before, after, recent = numbers(m.fade.before, m.fade.after, m.fade.recent)
            notes.append(
                FadeNote(
                    row.key, row.title, label(m.name), before, after, recent, m.fade.recent_weeks
                )
            )
    return tuple(notes[:MAX_FADES])


def totals(rows: Sequence[RoiRow]) -> str:
    """One sentence: fixes, effort recorded, and the hours (and money) saved a week."""
    count = len(rows)
    effort = math.fsum(r.effort_days for r in rows if r.effort_days is not None)
    saving = [r for r in rows if r.hours_saved_per_week is not None]
    head = f"{count} fix{'' if count == 1 else 'es'}, {days(effort)} of effort recorded"
    if not saving:
        return f"{head}; no hours saved measured yet."
    hours = math.fsum(r.hours_saved_per_week[0] for r in saving if r.hours_saved_per_week)
    paid = [r.money_saved_per_week for r in saving if r.money_saved_per_week is not None]
    currency = next((r.currency for r in rows if r.currency), None)
    cost = f" ({money(math.fsum(paid), currency)})" if paid else ""
    return f"{head}; {number(hours)} h saved a week{cost}, measured on {len(saving)} of them."


def roi_section(rows: Sequence[RoiRow], window_weeks: int) -> RoiSection:
    """The section for the fixes of the last ``window_weeks`` weeks."""
    ordered = sorted(rows, key=lambda r: (r.resolved_on, r.key))
    lines = [roi_line(row) for row in ordered]
    lines.sort(key=lambda line: line.kind == "insufficient_data")  # stable: measured first
    return RoiSection(
        weeks=window_weeks,
        lines=tuple(lines[:MAX_ROI_LINES]),
        more=max(len(lines) - MAX_ROI_LINES, 0),
        fading=fade_notes(rows),
        totals=totals(rows),
    )
