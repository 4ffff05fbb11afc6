"""The debt register: one item (`/debt show`), and the add and assess modals."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.core.display import score_with_arrow
from bot.core.priority import RankedItem
from bot.core.records import CATEGORIES, STATUSES, AssessmentRecord, ItemRecord
from bot.core.register_input import effort_text
from bot.slack.blocks import (
    context,
    header,
    input_block,
    is_user_id,
    message,
    modal,
    notice,
    option,
    plain_input,
    section,
    select_menu,
)
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


def item_message(
    item: ItemRecord,
    assessment: AssessmentRecord | None,
    ranked: RankedItem | None,
    *,
    effort_spent_days: float | None = None,
    accepted_until: date | None = None,
) -> dict[str, Any]:
    """``/debt show KEY``: an accepted item shows its review date, a fix its effort spent."""
    status = esc(item.status)
    if accepted_until is not None:
        status += f" until {accepted_until.isoformat()} (out of the ranking until then)"
    facts = [
        f"*Category:* {esc(item.category)}",
        f"*Status:* {status}",
        f"*Owner:* {f'<@{item.owner}>' if is_user_id(item.owner) else esc(item.owner) or '—'}",
        f"*Effort:* {esc(item.effort) or '—'}",
        f"*Component:* {esc(item.component) or '—'}",
    ]
    if effort_spent_days is not None:
        facts.append(f"*Effort spent:* {effort_text(effort_spent_days)}")
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


def status_changed(
    *,
    key: str,
    status: str,
    recorded: bool,
    status_changed: bool,
    effort_days: float | None,
    accepted_until: date | None,
    why: str,
) -> dict[str, Any]:
    """What ``/debt status`` recorded: ``DEBT-12 resolved (effort 3 days)``, ``DEBT-4
    accepted until 2027-03-01: it leaves the ranking until then``."""
    if not recorded:
        return notice(f"`{esc(key)}` already has status `{esc(status)}`.")
    if accepted_until is not None:
        said = (
            f"`{esc(key)}` accepted until {accepted_until.isoformat()}: "
            "it leaves the ranking until then."
        )
    elif effort_days is not None:
        effort = effort_text(effort_days)
        said = (
            f"`{esc(key)}` resolved (effort {effort})."
            if status_changed
            else f"`{esc(key)}` is resolved already; its effort is now {effort}."
        )
    else:
        said = f"`{esc(key)}` status is now `{esc(status)}`."
    noted = f" Noted why: {esc(why)}" if why else ""
    return notice(f":white_check_mark: {said}{noted}")


def _rating(block_id: str, label: str, initial: int | None, *, optional: bool) -> dict:
    options = [option(RATING_LABELS[n], str(n)) for n in range(1, 6)]
    return input_block(
        block_id,
        label,
        select_menu("value", options, str(initial) if initial else None),
        optional=optional,
    )


def add_modal(*, next_key: str, metadata: str) -> dict[str, Any]:
    categories = [option(c.capitalize(), c) for c in CATEGORIES]
    efforts = [option(e, e) for e in EFFORTS]
    blocks = [
        context(f"The new item will be *{next_key}*."),
        input_block("title", "Title", plain_input("value", max_length=200)),
        input_block("category", "Category", select_menu("value", categories, "operational")),
        input_block("component", "Component", plain_input("value", max_length=100), optional=True),
        input_block(
            "owner", "Owner", {"type": "users_select", "action_id": "value"}, optional=True
        ),
        input_block("effort", "Effort", select_menu("value", efforts), optional=True),
        _rating("impact", "Impact", None, optional=True),
        _rating("likelihood", "Likelihood", None, optional=True),
        _rating("detectability", "Detectability (5 = hard to notice)", None, optional=True),
        input_block(
            "problem", "Problem statement", plain_input("value", multiline=True), optional=True
        ),
        input_block(
            "affected_metrics",
            "Affected metrics",
            plain_input("value", multiline=True),
            optional=True,
        ),
        input_block(
            "remediation",
            "Proposed remediation",
            plain_input("value", multiline=True),
            optional=True,
        ),
        input_block(
            "expected_impact",
            "Expected impact",
            plain_input("value", multiline=True),
            optional=True,
        ),
        input_block(
            "success_criterion",
            "Success criterion",
            plain_input("value", multiline=True),
            optional=True,
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
        input_block(
            "note",
            "Why (for the audit trail)",
            plain_input("value", multiline=True, max_length=500),
            optional=True,
        ),
    ]
    return modal(ASSESS_CALLBACK, f"Assess {item.key}", blocks, metadata)


def status_choices() -> list[str]:
    return list(STATUSES)
