"""The weekly digest's content, assembled from plain data (no I/O, no clock reads).

:func:`assemble` turns :class:`DigestInputs` (the week's ranking, last week's snapshot, weekly
pain, poll runs, fixes and their return, capacity) into :class:`DigestContent`: each section
decided — ordering, movers, sparklines, participation, "you said, we did", return, capacity, split.

Anonymity: an item (or one week of an item) with fewer than ``min_group`` respondents
never shows its numbers — its pain reads "fewer than N people" and its sparkline has a gap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from bot.core.capacity import capacity_hint, effort_points, split_estimates
from bot.core.digest_model import (
    CapacityLine,
    CapacitySection,
    DigestContent,
    DigestInputs,
    ItemRow,
    Mover,
    PainTally,
    Participation,
    PreviousRow,
    Resolved,
    ResolvedRow,
    RunFigures,
    SplitLine,
    TopItem,
)
from bot.core.display import LABELS, top_reasons, trend_arrow
from bot.core.roi_section import roi_section
from bot.core.score_settings import COMPONENTS

SPARK = "▁▂▃▄▅▆▇█"
GAP = "·"
MOVE_RANKS = 3  # a rank change this large (or more) is a "mover"
MAX_MOVERS = 8
MAX_UNOWNED = 5
MAX_UNESTIMATED = 10
FATIGUE_DROP = 0.10  # a response rate falling this much (10 points) is a warning


def sparkline(values: Sequence[float | None], low: float = 1.0, high: float = 5.0) -> str:
    """One Unicode block per value (▁ = ``low`` … █ = ``high``), ``·`` where there is none."""
    steps = len(SPARK) - 1
    out = []
    for value in values:
        if value is None or not math.isfinite(value):
            out.append(GAP)
            continue
        share = (min(max(value, low), high) - low) / (high - low)
        out.append(SPARK[math.floor(share * steps + 0.5)])
    return "".join(out)


def _fewer(min_group: int) -> str:
    return f"fewer than {min_group} people"


def _top_item(row: ItemRow, pain: Sequence[PainTally], min_group: int) -> TopItem:
    b = row.breakdown
    spark = "" if b.suppressed else sparkline([t.mean(min_group) for t in pain])
    if set(spark) <= {GAP}:
        spark = ""
    return TopItem(
        rank=row.rank,
        key=b.key,
        title=b.title,
        category=row.category,
        owner=row.owner,
        score=b.shown().total,
        arrow="" if b.suppressed else trend_arrow(b),
        reasons=top_reasons(b),
        sparkline=spark,
        suppressed=b.suppressed,
        respondents=_fewer(min_group) if b.suppressed else f"{b.n_respondents} people",
    )


def _moved_by(now: Mapping[str, float], before: Mapping[str, float]) -> str:
    deltas = {name: now.get(name, 0.0) - before.get(name, 0.0) for name in COMPONENTS}
    name = max(COMPONENTS, key=lambda n: (abs(deltas[n]), -COMPONENTS.index(n)))
    if abs(deltas[name]) < 0.05:
        return ""
    return f"{LABELS[name].lower()} {deltas[name]:+.1f}"


def movers(inputs: DigestInputs) -> tuple[Mover, ...]:
    """New in the top N, or up / down by at least three ranks; new ones first, then by size."""
    if inputs.previous_week is None:
        return ()
    n = inputs.template.top
    found: list[tuple[int, Mover]] = []
    for row in inputs.items:
        b = row.breakdown
        before = inputs.previous.get(b.key)
        components = b.shown().components
        if row.rank <= n and (before is None or before.rank > n):
            because = (
                "first ranked this week"
                if before is None
                else _moved_by(components, before.components)
            )
            previous_rank = before.rank if before else None
            found.append((10**6, Mover(b.key, b.title, row.rank, previous_rank, "new", because)))
            continue
        if before is None:
            continue
        shift = before.rank - row.rank
        if abs(shift) >= MOVE_RANKS and min(row.rank, before.rank) <= n:
            kind = "up" if shift > 0 else "down"
            because = _moved_by(components, before.components)
            found.append((abs(shift), Mover(b.key, b.title, row.rank, before.rank, kind, because)))
    found.sort(key=lambda pair: (-pair[0], pair[1].rank or 0))
    return tuple(mover for _, mover in found[:MAX_MOVERS])


def _change(amount: int, one: str, many: str) -> str:
    """The change as read: "+3 points", "-1 person", or "no change"."""
    return f"{amount:+d} {one if abs(amount) == 1 else many}" if amount else "no change"


def participation(runs: Sequence[RunFigures]) -> tuple[Participation, ...]:
    """Per survey: the newest run, its change from the run before, and a fatigue warning."""
    by_survey: dict[str, list[RunFigures]] = {}
    for run in sorted(runs, key=lambda r: r.scheduled_for, reverse=True):
        by_survey.setdefault(run.survey_id, []).append(run)
    lines = []
    for survey_id, history in sorted(by_survey.items()):
        latest = history[0]
        earlier = history[1] if len(history) > 1 else None
        change, warning = "", False
        if earlier is not None:
            if latest.rate is not None and earlier.rate is not None:
                points = round((latest.rate - earlier.rate) * 100)
                change = _change(points, "point", "points")
                older = history[2] if len(history) > 2 else None
                falling_twice = (
                    older is not None
                    and older.rate is not None
                    and older.rate > earlier.rate > latest.rate
                )
                # on the points shown: "-10 points" always warns, "no change" never does
                warning = -points >= round(FATIGUE_DROP * 100) or (falling_twice and points < 0)
            else:
                people = latest.respondents - earlier.respondents
                change = _change(people, "person", "people")
                warning = earlier.respondents > 0 and (
                    latest.respondents <= earlier.respondents * (1 - 2 * FATIGUE_DROP)
                )
        lines.append(
            Participation(
                survey_id,
                latest.title,
                latest.respondents,
                latest.audience,
                latest.rate,
                change,
                warning,
            )
        )
    return tuple(lines)


def _pain_text(tally: PainTally, min_group: int, *, nothing: str) -> str:
    if tally.answers == 0:
        return nothing
    mean = tally.mean(min_group)
    if mean is None:
        return _fewer(min_group)
    return f"{mean:.1f}/5 from {tally.respondents} people"


def resolved(rows: Sequence[ResolvedRow], min_group: int) -> tuple[Resolved, ...]:
    """Items resolved since the last digest: pain before, and after once answers arrive."""
    return tuple(
        Resolved(
            row.key,
            row.title,
            row.resolved_at.date(),
            _pain_text(row.before, min_group, nothing="no answers"),
            _pain_text(row.after, min_group, nothing="no answers yet"),
            row.why,
        )
        for row in sorted(rows, key=lambda r: (r.resolved_at, r.key))
    )


def capacity(inputs: DigestInputs) -> CapacitySection:
    """The highest-scoring set of open items that fits the sprint's debt budget."""
    rows = {row.breakdown.key: row for row in inputs.items}
    scale = inputs.capacity.effort_points
    usable, unusable = split_estimates(
        [(row.breakdown.key, row.breakdown.shown().total, row.effort) for row in inputs.items],
        effort_scale=scale,
    )
    hint = capacity_hint(usable, inputs.capacity.budget_points, effort_scale=scale)
    chosen = tuple(
        CapacityLine(
            rows[key].rank,
            key,
            rows[key].breakdown.title,
            str(rows[key].effort),
            rows[key].breakdown.shown().total,
        )
        for key in sorted(hint.chosen, key=lambda k: rows[k].rank)
    )
    apart = sorted((*hint.unestimated, *unusable), key=lambda k: rows[k].rank)
    # Why nothing was chosen, when nothing was: no estimates, no score, or too big.
    estimated = [
        (score, points)
        for _, score, effort in usable
        if (points := effort_points(effort, effort_scale=scale)) is not None
    ]
    return CapacitySection(
        inputs.capacity.budget_points,
        chosen,
        round(hint.total_score, 1),
        hint.total_effort,
        tuple(apart[:MAX_UNESTIMATED]),
        len(apart),
        estimated=len(estimated),
        smallest_estimate=min((p for score, p in estimated if score > 0), default=None),
    )


def split(items: Sequence[ItemRow]) -> tuple[SplitLine, ...]:
    """Experimentation vs operational debt: how many items and what share of the score."""
    total = math.fsum(row.breakdown.shown().total for row in items)
    lines = []
    for category in ("operational", "experimentation"):
        mine = [row for row in items if row.category == category]
        score = math.fsum(row.breakdown.shown().total for row in mine)
        top = min(mine, key=lambda r: r.rank).breakdown.key if mine else None
        lines.append(SplitLine(category, len(mine), score / total if total else 0.0, top))
    return tuple(lines)


def assemble(inputs: DigestInputs) -> DigestContent:
    """Everything the digest will say, section by section (a switched-off section is None)."""
    t, on = inputs.template, inputs.template.sections
    n, g = t.top, inputs.min_group
    items = sorted(inputs.items, key=lambda row: row.rank)
    top = tuple(_top_item(row, inputs.weekly_pain.get(row.breakdown.key, ()), g) for row in items)
    unowned = [item for item in top if not item.owner]
    return DigestContent(
        digest_id=t.id,
        title=t.title,
        week=inputs.week,
        previous_week=inputs.previous_week,
        open_items=len(items),
        min_group=g,
        suppressed_items=sum(row.breakdown.suppressed for row in items),
        top=top[:n] if on.top else None,
        movers=movers(inputs) if on.movers else None,
        participation=participation(inputs.runs) if on.participation else None,
        resolved=resolved(inputs.resolved, g) if on.resolved else None,
        capacity=capacity(inputs) if on.capacity else None,
        unowned=tuple(unowned[:MAX_UNOWNED]) if on.unowned else None,
        unowned_total=len(unowned),
        split=split(items) if on.split else None,
        roi=roi_section(inputs.roi, inputs.roi_weeks) if on.roi else None,
        inbox=inputs.inbox if inputs.inbox is not None and inputs.inbox.grew else None,
    )


__all__ = [
    "FATIGUE_DROP",
    "GAP",
    "MAX_MOVERS",
    "MAX_UNESTIMATED",
    "MAX_UNOWNED",
    "MOVE_RANKS",
    "SPARK",
    "CapacityLine",
    "CapacitySection",
    "DigestContent",
    "DigestInputs",
    "ItemRow",
    "Mover",
    "PainTally",
    "Participation",
    "PreviousRow",
    "Resolved",
    "ResolvedRow",
    "RunFigures",
    "SplitLine",
    "TopItem",
    "assemble",
    "capacity",
    "movers",
    "participation",
    "resolved",
    "sparkline",
    "split",
]
