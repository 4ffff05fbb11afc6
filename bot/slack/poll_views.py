"""Block Kit for polls: the poll message, its modal, reminders and the closing summary.

Built from a run's frozen questions (``bot.core.polls.freeze``) and within Slack's limits;
prompts were rendered (and mrkdwn-escaped) when the run opened.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.polls import (
    SummaryLine,
    asked,
    block_id,
    single_inline_question,
)
from bot.slack.blocks import (
    button,
    context,
    header,
    message,
    modal,
    notice,
    option,
    packed_sections,
    section,
    text,
)
from bot.slack.limits import INPUT_LABEL, PLACEHOLDER, SlackBlock, clip
from surveys import mrkdwn_escape as esc

VOTE_ACTION = "poll_vote"
SUBMIT_CALLBACK = "poll_submit"

OPEN_ACTION = "poll_open"  # the Answer button of a poll (channel message, DM or App Home)
HOURS_PLACEHOLDER = "Hours lost this week"


def _closes(closes_at: datetime | None) -> str:
    return f"closes {closes_at:%a %d %b %H:%M} UTC" if closes_at else "open"


def poll_message(
    *,
    run_id: int,
    frozen: dict[str, Any],
    respondents: int,
    closes_at: datetime | None,
    closed: bool = False,
    results: Sequence[SummaryLine] | None = None,
    min_group: int = 5,
) -> dict[str, Any]:
    """The channel or DM message of a run: a live respondent count, never the answers, and
    — for a survey that shows results while open — the ``results`` so far."""
    title = frozen.get("title", "Debt poll")
    blocks: list[SlackBlock] = [header(title)]
    if frozen.get("description"):
        blocks.append(section(frozen["description"]))
    anonymous = " · anonymous" if frozen.get("anonymous") else ""
    if closed:
        blocks.append(context(f"Closed · {respondents} answered{anonymous}"))
        return message(blocks, f"{title} (closed)")
    inline = single_inline_question(frozen)
    if inline is not None:
        scale = inline["scale"]
        blocks.append(section(inline["prompt"]))
        buttons = [
            button(
                scale["labels"].get(str(v), str(v)),
                f"{VOTE_ACTION}_{v}",
                f"{run_id}:{inline['id']}:{v}",
            )
            for v in range(scale["min"], scale["max"] + 1)
        ]
        blocks.append({"type": "actions", "block_id": f"vote-{run_id}", "elements": buttons[:25]})
    else:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"answer-{run_id}",
                "elements": [button("Answer", OPEN_ACTION, str(run_id), style="primary")],
            }
        )
    blocks.append(context(f"{respondents} answered so far · {_closes(closes_at)}{anonymous}"))
    if results is not None:
        blocks.append(section("*Results so far*"))
        if results and all(line.respondents is None for line in results):
            blocks.append(context(f"Results show once {min_group} people have answered."))
        else:
            blocks.extend(_result_blocks(results, min_group))
    return message(blocks, f"{title}: please answer ({_closes(closes_at)})")


def _result_blocks(lines: Sequence[SummaryLine], min_group: int) -> list[SlackBlock]:
    if not lines:
        return [context("This poll has no question with a scale to show results for.")]
    texts = [line.text(min_group) for line in lines]
    return [
        *packed_sections(texts, sep="\n"),
        context("Results with fewer answers than the minimum group show no numbers."),
    ]


def _select(question: dict[str, Any], initial: str | None = None) -> dict[str, Any]:
    if question.get("scale"):
        scale = question["scale"]
        options = [
            option(
                f"{v} — {scale['labels'][str(v)]}" if str(v) in scale["labels"] else str(v),
                str(v),
            )
            for v in range(scale["min"], scale["max"] + 1)
        ]
    elif question["type"] == "debt_item_choice":
        options = [option(f"{c['key']} {c['title']}", c["key"]) for c in question["choices"]]
    else:  # choice, and hours: its buckets, frozen with the run, each valued in hours
        options = [option(o["label"], o["value"]) for o in question.get("options", [])]
    element: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": options}
    if question["type"] == "hours":
        element["placeholder"] = text(HOURS_PLACEHOLDER, kind="plain_text", limit=PLACEHOLDER)
    return element


def _input(block_id: str, label: str, element: dict[str, Any], optional: bool) -> SlackBlock:
    return {
        "type": "input",
        "block_id": block_id,
        "label": text(label, kind="plain_text", limit=INPUT_LABEL),
        "element": element,
        "optional": optional,
    }


def _plain(label: str) -> str:
    """Prompts are mrkdwn; input labels are plain text, so drop the emphasis markers."""
    return label.replace("*", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def poll_modal(
    *,
    run_id: int,
    frozen: dict[str, Any],
    user: str,
    channel: str | None,
    secret: str | None = None,
) -> tuple[dict[str, Any], list[int]]:
    """The answer modal for ``user`` (a sample of items: keyed with the anonymity ``secret``
    for an anonymous run, see ``sample_items``); returns (view, item ids)."""
    blocks: list[SlackBlock] = []
    asked_items: list[int] = []
    for question, item in asked(frozen, run_id=run_id, user=user, secret=secret):
        optional = bool(question.get("optional"))
        block = block_id(question, item)
        if item is not None:
            asked_items.append(item["id"])
            blocks.append(_input(block, _plain(item["prompt"]), _select(question), optional))
        elif question["type"] == "text":
            element = {
                "type": "plain_text_input",
                "action_id": "value",
                "multiline": True,
                "max_length": question.get("max_length", 500),
            }
            blocks.append(_input(block, _plain(question["prompt"]), element, optional))
        else:
            blocks.append(_input(block, _plain(question["prompt"]), _select(question), optional))
    if frozen.get("anonymous"):
        blocks.append(context("Anonymous: your answers are stored without your name."))
    metadata = json.dumps({"run": run_id, "items": sorted(set(asked_items)), "channel": channel})
    view = modal(SUBMIT_CALLBACK, clip(frozen.get("title", "Debt poll"), 24), blocks, metadata)
    view["submit"] = text("Send answers", kind="plain_text")
    return view, asked_items


def notice_modal(value: str) -> dict[str, Any]:
    """A modal that only tells the person something (``value``, mrkdwn): for a click in
    App Home, which has no message to reply beside."""
    return {
        "type": "modal",
        "title": text("Debt poll", kind="plain_text"),
        "close": text("Close", kind="plain_text"),
        "blocks": [section(value)],
    }


#: What the answer modal turns into once its answers are committed.
RECORDED_TEXT = (
    ":white_check_mark: Thanks — your answers to *{title}* are recorded. "
    "You can change them until the poll closes."
)


def recorded_modal(title: str) -> dict[str, Any]:
    """The answer modal after a submission was stored: it says so, with only Close."""
    return notice_modal(RECORDED_TEXT.format(title=title))


def reminder_message(
    *,
    run_id: int,
    frozen: dict[str, Any],
    closes_at: datetime | None,
    answered: int | None = None,
    audience: int | None = None,
) -> dict:
    """A reminder: by DM to one person, or in a channel poll's thread with how many answered."""
    title = frozen.get("title", "Debt poll")
    so_far = ""
    if answered is not None:
        of = f" of {audience}" if audience else ""
        so_far = f" {answered}{of} {'has' if answered == 1 else 'have'} answered so far."
    blocks = [
        section(f"A reminder: *{title}* is still open and takes a minute.{so_far}"),
        {
            "type": "actions",
            "block_id": f"remind-{run_id}",
            "elements": [button("Answer", OPEN_ACTION, str(run_id), style="primary")],
        },
        context(_closes(closes_at)),
    ]
    return message(blocks, f"Reminder: {title} ({_closes(closes_at)})")


def summary_message(
    *, frozen: dict[str, Any], lines: Sequence[SummaryLine], respondents: int, min_group: int
) -> dict[str, Any]:
    title = frozen.get("title", "Debt poll")
    blocks: list[SlackBlock] = [section(f"*{title}* closed · {respondents} answered")]
    blocks.extend(_result_blocks(lines, min_group))
    return message(blocks, f"{title} closed: results")


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
