"""Every Block Kit payload debtpulse sends is built here, within Slack's limits.

Builders take plain data and return dicts; listeners never write Block Kit themselves.
Interpolated text is escaped for mrkdwn (``&``, ``<``, ``>``) with the shared escape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.display import ComponentLine, score_with_arrow, top_reasons, trend_arrow
from bot.core.explain import Change
from bot.core.priority import RankedItem
from bot.core.records import CATEGORIES, STATUSES, AssessmentRecord, ItemRecord
from bot.slack.limits import (
    BUTTON_TEXT,
    HEADER,
    MESSAGE_BLOCKS,
    MODAL_TITLE,
    OPTION_TEXT,
    PRIVATE_METADATA,
    TEXT,
    VIEW_BLOCKS,
    SlackBlock,
    cap_blocks,
    clip,
)
from bot.slack.parse import USAGE
from surveys import mrkdwn_escape as esc

ADD_CALLBACK = "debt_add"
ASSESS_CALLBACK = "debt_assess"
RATING_LABELS = {
    1: "1 — very low",
    2: "2 — low",
    3: "3 — medium",
    4: "4 — high",
    5: "5 — very high",
}
EFFORTS = ("XS", "S", "M", "L", "XL")


# -- small pieces ---------------------------------------------------------------------------


OPEN_ACTION = "poll_open"  # the Answer button of a poll (channel message, DM or App Home)
USER_ID = re.compile(r"^[UW](?=[A-Z]*[0-9])[A-Z0-9]{2,}$")  # Slack's ids carry digits


def is_user_id(owner: str) -> bool:
    """A Slack user id (shown as a mention), not a team name such as ``UX-team`` or ``WEB``."""
    return bool(USER_ID.match(owner))


def text(value: str, *, kind: str = "mrkdwn", limit: int = TEXT) -> dict[str, Any]:
    return {"type": kind, "text": clip(value, limit)}


def packed_sections(pieces: list[str], *, limit: int = TEXT, sep: str = "\n\n") -> list[SlackBlock]:
    """Sections holding as many pieces (separated by ``sep``) as fit in ``limit``."""
    blocks: list[SlackBlock] = []
    current = ""
    for raw in pieces:
        piece = clip(raw, limit)
        candidate = f"{current}{sep}{piece}" if current else piece
        if len(candidate) > limit:
            blocks.append(section(current))
            candidate = piece
        current = candidate
    if current:
        blocks.append(section(current))
    return blocks


def section(value: str) -> SlackBlock:
    return {"type": "section", "text": text(value)}


def header(value: str) -> SlackBlock:
    return {"type": "header", "text": text(value, kind="plain_text", limit=HEADER)}


def context(value: str) -> SlackBlock:
    return {"type": "context", "elements": [text(value)]}


def divider() -> SlackBlock:
    return {"type": "divider"}


def option(label: str, value: str) -> dict[str, Any]:
    return {"text": text(label, kind="plain_text", limit=OPTION_TEXT), "value": value[:75]}


def button(label: str, action_id: str, value: str = "", *, style: str | None = None) -> dict:
    element: dict[str, Any] = {
        "type": "button",
        "text": text(label, kind="plain_text", limit=BUTTON_TEXT),
        "action_id": action_id,
    }
    if value:
        element["value"] = value[:2000]
    if style:
        element["style"] = style
    return element


def message(blocks: list[SlackBlock], fallback: str) -> dict[str, Any]:
    """A message payload: blocks capped at 50, plus the notification fallback text."""
    return {"blocks": cap_blocks(blocks, MESSAGE_BLOCKS), "text": clip(fallback, TEXT)}


# -- help and usage -------------------------------------------------------------------------


def help_message(*, is_lead: bool) -> dict[str, Any]:
    everyone = [USAGE[name] for name in ("top", "show", "why", "polls")]
    everyone.append("/debt digest preview")
    leads = [USAGE[name] for name in ("add", "assess", "owner", "status", "poll", "export")]
    leads.append("/debt digest post [force]")
    lines = [f"`{usage}`" for usage in everyone]
    blocks = [
        section("*debtpulse* ranks technical debt by risk, the team's pain and signals."),
        section("*For everyone*\n" + "\n".join(lines)),
    ]
    lead_lines = "\n".join(f"`{usage}`" for usage in leads)
    suffix = "" if is_lead else "\n_(leads only — ask a lead listed in DEBTPULSE_LEADS)_"
    blocks.append(section("*For leads*\n" + lead_lines + suffix))
    return message(blocks, "debtpulse commands")


def usage_message(problem: str, usage: str) -> dict[str, Any]:
    return message(
        [section(f":warning: {esc(problem)}\nUsage: `{esc(usage)}` — see `/debt help`.")],
        f"{problem}. Usage: {usage}",
    )


def notice(value: str) -> dict[str, Any]:
    """A one-line reply (confirmation, refusal, error) — ``value`` is already mrkdwn."""
    return message([section(value)], value)


def refusal(command: str) -> dict[str, Any]:
    return notice(
        f"Sorry, `/debt {esc(command)}` is for team leads. "
        "Ask a lead, or see `/debt help` for what everyone can do."
    )


# -- the ranking ----------------------------------------------------------------------------


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


def item_message(
    item: ItemRecord, assessment: AssessmentRecord | None, ranked: RankedItem | None
) -> dict[str, Any]:
    facts = [
        f"*Category:* {esc(item.category)}",
        f"*Status:* {esc(item.status)}",
        f"*Owner:* {f'<@{item.owner}>' if is_user_id(item.owner) else esc(item.owner) or '—'}",
        f"*Effort:* {esc(item.effort) or '—'}",
        f"*Component:* {esc(item.component) or '—'}",
    ]
    if assessment is not None:
        facts.append(
            f"*Risk:* impact {assessment.impact}, likelihood {assessment.likelihood}, "
            f"detectability {assessment.detectability}"
        )
    if ranked is not None:
        b = ranked.breakdown
        facts.append(f"*Score:* {score_with_arrow(b)} (rank {ranked.rank})")
    blocks = [header(f"{item.key} · {item.title}"), section("\n".join(facts))]
    for label, value in (
        ("Description", item.description),
        ("Problem", item.problem),
        ("Affected metrics", item.affected_metrics),
        ("Proposed remediation", item.remediation),
        ("Expected impact", item.expected_impact),
        ("Success criterion", item.success_criterion),
    ):
        if value:
            blocks.append(section(f"*{label}*\n{esc(value)}"))
    return message(blocks, f"{item.key}: {item.title}")


def digest_posted(results: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """What ``/debt digest post`` did, channel by channel: (channel, outcome, detail)."""
    marks = {"posted": ":white_check_mark:", "already posted": ":information_source:"}
    lines = [
        f"{marks.get(outcome, ':x:')} <#{channel}>: {esc(outcome)}"
        + (f" ({esc(detail)})" if detail else "")
        for channel, outcome, detail in results
    ]
    if results and all(outcome == "already posted" for _, outcome, _ in results):
        lines.append(
            "This week's digest was posted already; `/debt digest post force` posts again."
        )
    return notice("\n".join(lines))


def polls_message(rows: Sequence[tuple[str, str, str, int, int | None]]) -> dict[str, Any]:
    """rows: (run id, survey id, status and dates, respondents, audience or None)."""
    if not rows:
        return notice("No polls have run yet.")
    lines = []
    for run_id, survey_id, when, respondents, audience in rows:
        rate = (
            f"{respondents}/{audience} ({respondents / audience:.0%})"
            if audience
            else str(respondents)
        )
        lines.append(f"`#{run_id}` *{esc(survey_id)}* — {esc(when)} — {rate} responded")
    blocks = [header("Polls"), *[section(line) for line in lines]]
    return message(blocks, "Polls")


# -- modals ---------------------------------------------------------------------------------


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "label": text(label, kind="plain_text", limit=2000),
        "element": element,
        "optional": optional,
    }


def _plain(
    action_id: str, *, multiline: bool = False, max_length: int = 3000, initial: str = ""
) -> dict:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial
    return element


def _select(action_id: str, options: list[dict[str, Any]], initial: str | None = None) -> dict:
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id, "options": options}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def _rating(block_id: str, label: str, initial: int | None, *, optional: bool) -> dict:
    options = [option(RATING_LABELS[n], str(n)) for n in range(1, 6)]
    return _input(
        block_id,
        label,
        _select("value", options, str(initial) if initial else None),
        optional=optional,
    )


def modal(callback_id: str, title: str, blocks: list[SlackBlock], metadata: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": text(title, kind="plain_text", limit=MODAL_TITLE),
        "submit": text("Save", kind="plain_text"),
        "close": text("Cancel", kind="plain_text"),
        "private_metadata": metadata[:PRIVATE_METADATA],
        "blocks": cap_blocks(blocks, VIEW_BLOCKS),
    }


def add_modal(*, next_key: str, metadata: str) -> dict[str, Any]:
    categories = [option(c.capitalize(), c) for c in CATEGORIES]
    efforts = [option(e, e) for e in EFFORTS]
    blocks = [
        context(f"The new item will be *{next_key}*."),
        _input("title", "Title", _plain("value", max_length=200)),
        _input("category", "Category", _select("value", categories, "operational")),
        _input("component", "Component", _plain("value", max_length=100), optional=True),
        _input("owner", "Owner", {"type": "users_select", "action_id": "value"}, optional=True),
        _input("effort", "Effort", _select("value", efforts), optional=True),
        _rating("impact", "Impact", None, optional=True),
        _rating("likelihood", "Likelihood", None, optional=True),
        _rating("detectability", "Detectability (5 = hard to notice)", None, optional=True),
        _input("problem", "Problem statement", _plain("value", multiline=True), optional=True),
        _input(
            "affected_metrics", "Affected metrics", _plain("value", multiline=True), optional=True
        ),
        _input(
            "remediation", "Proposed remediation", _plain("value", multiline=True), optional=True
        ),
        _input(
            "expected_impact", "Expected impact", _plain("value", multiline=True), optional=True
        ),
        _input(
            "success_criterion", "Success criterion", _plain("value", multiline=True), optional=True
        ),
    ]
    return modal(ADD_CALLBACK, "Add debt item", blocks, metadata)


def assess_modal(
    item: ItemRecord, current: AssessmentRecord | None, *, metadata: str
) -> dict[str, Any]:
    blocks = [
        section(f"*{esc(item.key)} · {esc(item.title)}*"),
        _rating("impact", "Impact", current.impact if current else None, optional=False),
        _rating(
            "likelihood", "Likelihood", current.likelihood if current else None, optional=False
        ),
        _rating(
            "detectability",
            "Detectability (5 = hard to notice)",
            current.detectability if current else None,
            optional=False,
        ),
        _input(
            "note",
            "Why (for the audit trail)",
            _plain("value", multiline=True, max_length=500),
            optional=True,
        ),
    ]
    return modal(ASSESS_CALLBACK, f"Assess {item.key}", blocks, metadata)


# -- App Home -------------------------------------------------------------------------------


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


def status_choices() -> list[str]:
    return list(STATUSES)
