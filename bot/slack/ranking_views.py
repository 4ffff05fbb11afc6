"""The ranking: `/debt top` lines and `/debt why` explanations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.display import ComponentLine, score_with_arrow, top_reasons, trend_arrow
from bot.core.explain import Change
from bot.core.priority import RankedItem
from bot.core.records import ItemRecord
from bot.slack.blocks import (
    context,
    header,
    is_user_id,
    message,
    notice,
    section,
)
from bot.slack.limits import (
    SlackBlock,
)
from surveys import mrkdwn_escape as esc


def _respondents(item: RankedItem) -> str:
    b = item.breakdown
    return f"{b.respondents_label} people" if b.suppressed else f"n = {b.n_respondents}"


def ranking_line(item: RankedItem, record: ItemRecord | None) -> str:
    b = item.breakdown
    owner = f" · <@{record.owner}>" if record is not None and is_user_id(record.owner) else ""
    reasons = top_reasons(b)
    return (
        f"*{item.rank}. {esc(b.key)} {esc(b.title)}* — *{b.shown().total:.1f}* {trend_arrow(b)}\n"
        f"{esc(b.category or '')} · {_respondents(item)}{owner}"
        + (f" · mostly {esc(reasons)}" if reasons else "")
    )


def top_message(
    items: Sequence[RankedItem], records: Mapping[str, ItemRecord], *, title: str
) -> dict[str, Any]:
    if not items:
        return notice("No open debt items match. Leads can add one with `/debt add`.")
    blocks: list[SlackBlock] = [header(title)]
    blocks += [section(ranking_line(item, records.get(item.breakdown.key))) for item in items]
    legend = "`/debt why KEY` explains a score. ↑ worsening, ↓ improving, → steady"
    if any(item.breakdown.suppressed for item in items):
        legend += "; · too few people to tell"
    blocks.append(context(legend + "."))
    return message(blocks, title)


def why_message(item: RankedItem, lines: Sequence[ComponentLine], change: Change) -> dict[str, Any]:
    b = item.breakdown
    rows = "\n".join(
        f"`{line.label:<14} {line.points:>5.1f} / {line.weight:g}`  {esc(line.detail)}"
        for line in lines
    )
    blocks = [
        header(f"{b.key} · {b.title}"),
        section(
            f"*Score {score_with_arrow(b)}* · rank {item.rank}\n{rows}\n"
            f"`{'total':<14} {b.shown().total:>5.1f}`"
        ),
        context(esc(change.sentence)),
    ]
    return message(blocks, f"{b.key}: score {b.shown().total:.1f}")
