"""Block Kit for the weekly digest: :class:`DigestContent` rendered through its message templates.

Each section's mrkdwn comes from a template in ``surveys/messages``; this module only lays
the pieces out as blocks within Slack's limits (long lists are packed into sections of at
most 3,000 characters, and the message keeps under 50 blocks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.digest import MOVE_RANKS, DigestContent, TopItem
from bot.slack.blocks import (
    context,
    divider,
    header,
    is_user_id,
    message,
    notice,
    packed_sections,
    section,
)
from bot.slack.limits import TEXT, SlackBlock
from surveys import Mrkdwn, mrkdwn_escape
from surveys.messages import render_message


def _owner(item: TopItem) -> str | Mrkdwn:
    if not item.owner:
        return "no owner"
    return Mrkdwn(f"<@{item.owner}>") if is_user_id(item.owner) else item.owner


def _fallback(content: DigestContent) -> str:
    """The notification text; it is mrkdwn too, so titles are escaped (no stray <!channel>)."""
    head = f"{mrkdwn_escape(content.title)} — week of {content.week.isoformat()}"
    if content.top:
        first = content.top[0]
        item = mrkdwn_escape(f"{first.key} {first.title}")
        return f"{head}: #1 {item} ({first.score:.1f})"
    return head


def _suppressed(content: DigestContent) -> str:
    n = content.suppressed_items
    if not n:
        return ""
    return f" ({n} item{'' if n == 1 else 's'} so far)"


def digest_message(content: DigestContent) -> dict[str, Any]:
    """The digest as a channel message (``text`` + ``blocks``)."""
    blocks: list[SlackBlock] = [
        header(f"{content.title} — week of {content.week.strftime('%b %d, %Y')}"),
        context(
            f"{content.open_items} open debt item{'' if content.open_items == 1 else 's'} · "
            "scores 0–100, explained by `/debt why KEY` · "
            f"answers from fewer than {content.min_group} people are never shown"
            + _suppressed(content)
        ),
    ]
    if content.mostly_suppressed:
        blocks.append(
            context(
                f"Most items have answers from fewer than {content.min_group} people so far, "
                "so their pain is not shown yet. An item's pain shows once "
                f"{content.min_group} different people have rated it, over any number of weeks."
            )
        )
    if content.top is not None:
        blocks.append(section(f"*What to fix next* — top {len(content.top)}"))
        items = [
            render_message("digest_item", item=item, owner=_owner(item)) for item in content.top
        ]
        blocks.extend(packed_sections(items) if items else [section("No open debt items.")])
    if content.movers is not None and content.previous_week is not None:
        blocks += [divider(), *packed_sections(_lines(_movers(content)), sep="\n")]
    if content.resolved:
        blocks += [
            divider(),
            *packed_sections(
                _lines(render_message("digest_resolved", rows=content.resolved)), sep="\n"
            ),
        ]
    if content.roi is not None and content.roi.lines:
        text = render_message("digest_roi", section=content.roi)
        blocks += [divider(), *packed_sections(_lines(text), sep="\n")]
    if content.capacity is not None:
        blocks += [divider(), section(render_message("digest_capacity", cap=content.capacity))]
    if content.unowned:
        text = render_message("digest_unowned", items=content.unowned, total=content.unowned_total)
        blocks.append(section(text))
    if content.split is not None and content.open_items:
        blocks.append(section(render_message("digest_split", lines=content.split)))
    if content.inbox is not None:
        blocks.append(section(render_message("digest_inbox", inbox=content.inbox)))
    if content.participation is not None:
        text = render_message("digest_participation", lines=content.participation)
        blocks += [divider(), *packed_sections(_lines(text), sep="\n")]
    return message(blocks, _fallback(content))


def _movers(content: DigestContent) -> str:
    top = len(content.top) if content.top is not None else 0
    return render_message(
        "digest_movers",
        movers=content.movers or (),
        previous_week=content.previous_week.strftime("%b %d") if content.previous_week else "",
        top=top or "list",
        move_ranks=MOVE_RANKS,
    )


def _lines(text: str) -> list[str]:
    """A rendered list split into lines so that it can be packed across sections."""
    return [text] if len(text) <= TEXT else text.splitlines()


def digest_posted(results: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """What ``/debt digest post`` did, channel by channel: (channel, outcome, detail)."""
    marks = {"posted": ":white_check_mark:", "already posted": ":information_source:"}
    lines = [
        f"{marks.get(outcome, ':x:')} <#{channel}>: {mrkdwn_escape(outcome)}"
        + (f" ({mrkdwn_escape(detail)})" if detail else "")
        for channel, outcome, detail in results
    ]
    if results and all(outcome == "already posted" for _, outcome, _ in results):
        lines.append(
            "This week's digest was posted already; `/debt digest post force` posts again."
        )
    return notice("\n".join(lines))
