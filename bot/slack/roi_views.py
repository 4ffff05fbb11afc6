"""`/debt roi KEY`: what fixing an item returned, as Block Kit.

The report (``bot.core.roi_records.ReportRecord``, the ROI service's ``ItemRoi``) is laid
out as: the item and its fix (date, cost), one line per metric (before → after means, the
effect with its 90 % interval and method, the verdict in a word and an emoji), the hours
saved a week and the payback, the caveats, and how to read it. Long lists are packed into
sections within Slack's limits; every value from people (titles, components, caveats
naming them) is escaped for mrkdwn.
"""

from __future__ import annotations

from typing import Any

from bot.core.roi import Verdict
from bot.core.roi_records import MetricRecord, ReportRecord
from bot.core.roi_text import (
    METHODS,
    VERDICTS,
    days,
    effect_text,
    label,
    money,
    numbers,
    weeks,
)
from bot.slack.blocks import context, divider, header, message, notice, packed_sections, section
from bot.slack.limits import SlackBlock
from surveys import mrkdwn_escape as esc

EMOJI: dict[Verdict, str] = {
    "improved": ":white_check_mark:",
    "worse": ":small_red_triangle:",
    "no_change": ":heavy_minus_sign:",
    "insufficient_data": ":hourglass_flowing_sand:",
}
HOW_TO_READ = (
    "An effect is the change against what the measure would have done without the fix "
    "(its trend before the fix, or items left untouched), averaged over the weeks after it, "
    "with a 90 % interval. _Improved_ or _worse_ only when the interval excludes 0. "
    "Weeks with answers from fewer than {min_group} people count as not measured."
)
MAX_CAVEATS = 12


def _cost(report: ReportRecord) -> str:
    cost = report.cost
    if cost.effort_days is None:
        return "effort not recorded"
    spent = f"{days(cost.effort_days)} of effort"
    if cost.hours is not None:
        spent += f" ({cost.hours:g} h"
        spent += f", {money(cost.money, cost.currency)})" if cost.money is not None else ")"
    return spent


def _means(before: float | None, after: float | None) -> str:
    """``4.05 → 1.80``; a period without a value reads ``–``."""
    present = [v for v in (before, after) if v is not None]
    shown = iter(numbers(*present) if present else [])
    pre = "–" if before is None else next(shown)
    post = "–" if after is None else next(shown)
    return f"{pre} → {post}"


def metric_line(metric: MetricRecord) -> str:
    """One metric: name and scope, before → after, effect, method and verdict (mrkdwn)."""
    r = metric.result
    head = (
        f"{EMOJI[r.verdict]} *{esc(label(metric.name))}* · {esc(metric.scope)} · "
        f"{esc(metric.unit)}, {metric.direction} is better"
    )
    means = f"{_means(r.pre.mean, r.post.mean)} ({r.pre.weeks} weeks before, "
    means += f"{r.post.weeks} after)"
    if r.effect is None:
        return f"{head}\n{means} · *{VERDICTS[r.verdict]}*"
    effect = effect_text(r.effect, metric.unit)
    return (
        f"{head}\n{means} · effect {esc(effect)}, {METHODS[r.effect.method]} · "
        f"*{VERDICTS[r.verdict]}*"
    )


def _saving(report: ReportRecord) -> str:
    saved = report.hours_saved_per_week
    if saved is None:
        return (
            "*Hours saved a week:* not measured (needs hours-lost answers from at least the "
            "minimum group, before and after the fix)"
        )
    estimate, low, high = numbers(*saved)
    text = f"*Hours saved a week:* {estimate} (90 %: {low} to {high})"
    if report.money_saved_per_week is not None:
        text += f" · {esc(money(report.money_saved_per_week, report.cost.currency))} a week"
    if report.payback_weeks is not None:
        text += f"\n*Payback:* {weeks(report.payback_weeks)}"
    elif report.cost.effort_days is not None:
        text += "\n*Payback:* none yet (no hours saved)"
    return text


def roi_message(report: ReportRecord, *, min_group: int) -> dict[str, Any]:
    """The ROI report of one fixed item, for ``/debt roi KEY``."""
    blocks: list[SlackBlock] = [
        header(f"Return on fixing {report.key} · {report.title}"),
        section(
            f"*{esc(report.key)}* {esc(report.title)} — resolved "
            f"{report.resolved_on:%b %d, %Y} · {esc(_cost(report))}"
        ),
    ]
    lines = [metric_line(m) for m in report.metrics]
    if lines:
        blocks += packed_sections(lines)
    else:
        blocks.append(section("No measure of this item, its component or the team around the fix."))
    blocks.append(section(_saving(report)))
    caveats = [f"• {esc(c)}" for c in report.caveats[:MAX_CAVEATS]]
    if len(report.caveats) > MAX_CAVEATS:
        caveats.append(f"• and {len(report.caveats) - MAX_CAVEATS} more (`debtpulse roi KEY`)")
    if caveats:
        blocks += [divider(), *packed_sections(["*Caveats*", *caveats], sep="\n")]
    blocks.append(context(HOW_TO_READ.format(min_group=min_group)))
    improved = sum(1 for m in report.metrics if m.result.verdict == "improved")
    fallback = f"{report.key}: {improved} of {len(report.metrics)} measures improved"
    return message(blocks, fallback)


def roi_refused(reason: str) -> dict[str, Any]:
    """Why an item has no ROI report (unknown, not resolved)."""
    return notice(f":information_source: {esc(reason)}")
