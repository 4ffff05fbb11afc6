"""App Home: the top priorities, the polls a person can still answer, the items they own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.priority import RankedItem
from bot.core.records import ItemRecord
from bot.slack.blocks import (
    button,
    context,
    divider,
    header,
    section,
)
from bot.slack.limits import (
    VIEW_BLOCKS,
    SlackBlock,
    cap_blocks,
)
from bot.slack.poll_views import OPEN_ACTION
from bot.slack.ranking_views import ranking_line
from surveys import mrkdwn_escape as esc


@dataclass(frozen=True)
class HomePoll:
    """An open poll the user can still answer: in their DMs, or in a channel they are in."""

    run_id: int
    title: str
    channel: str | None
    closes_at: datetime | None


def _home_poll(poll: HomePoll) -> SlackBlock:
    where = f" in <#{poll.channel}>" if poll.channel else " in your DMs"
    closes = f" · closes {poll.closes_at:%a %d %b %H:%M} UTC" if poll.closes_at else ""
    block = section(f"*{esc(poll.title)}*{where}{closes}")
    block["accessory"] = button("Answer", OPEN_ACTION, str(poll.run_id), style="primary")
    return block


def home_view(
    *,
    top: Sequence[RankedItem],
    records: Mapping[str, ItemRecord],
    open_polls: Sequence[HomePoll],
    owned: Sequence[ItemRecord],
) -> dict[str, Any]:
    blocks: list[SlackBlock] = [header("Top debt priorities")]
    if top:
        blocks += [section(ranking_line(i, records.get(i.breakdown.key))) for i in top]
    else:
        blocks.append(section("No open debt items yet."))
    blocks += [divider(), header("Your open polls")]
    blocks += [_home_poll(p) for p in open_polls] or [section("Nothing to answer right now.")]
    blocks += [divider(), header("Items you own")]
    blocks += [section(f"*{esc(i.key)}* {esc(i.title)} — {esc(i.status)}") for i in owned] or [
        section("You own no open debt items.")
    ]
    blocks.append(context("Type `/debt help` in any channel for commands."))
    return {"type": "home", "blocks": cap_blocks(blocks, VIEW_BLOCKS)}
