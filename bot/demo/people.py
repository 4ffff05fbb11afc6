"""Simulated engineers answering the weekly pulse the way people do in Slack.

Each answer is real Slack traffic: a signed click on the poll message's "Answer" button, the
modal the bot opens through ``views.open`` (as recorded by the fake), and a signed
``view_submission`` with the person's answers — their true pain plus noise, a "worst this
week" choice and now and then a note.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from typing import Any

from bot.demo.stack import POLL_CHANNEL, Stack
from bot.demo.steps import StepFailed
from bot.demo.truth import Engineer, Truth
from bot.sandbox import ViewRecord

OPEN_ACTION = "poll_open"  # the poll message's "Answer" button (bot.slack.poll_views)
SEPARATOR = "|"  # block ids of per-item questions: "pain|<item id>"
NOTE_SHARE = 0.15
NOTES = (
    "{title} cost me most of a day again.",
    "{title}: we worked around it twice this week.",
    "Please look at {title}, it keeps coming back.",
)


class AnswerFailed(StepFailed):
    """A simulated person's answer did not go through; the message says where."""


def _run_of(view: ViewRecord) -> int | None:
    try:
        return int(json.loads(view.view.get("private_metadata") or "{}").get("run"))
    except (TypeError, ValueError):
        return None


def _open_modal(stack: Stack, user: str, run_id: int) -> ViewRecord:
    driver = stack.driver(user)
    response = driver.click_button(action_id=OPEN_ACTION, user=user, channel=POLL_CHANNEL)
    if not response.ok:
        raise AnswerFailed(f"the Answer click got HTTP {response.status}")

    def opened() -> ViewRecord | None:
        view = stack.fake.open_modal(user)
        return view if view is not None and _run_of(view) == run_id else None

    try:
        view = stack.fake.wait_for(opened, timeout=5)
    except TimeoutError:
        view = None
    if view is None:
        raise AnswerFailed("the answer modal did not open within 5 s")
    return view


def choose_answers(
    modal: ViewRecord,
    *,
    engineer: Engineer,
    truth: Truth,
    keys_by_id: Mapping[int, str],
    titles: Mapping[str, str],
    rng: random.Random,
) -> dict[str, Any]:
    """The person's answers to the modal's inputs, keyed by block id."""
    answers: dict[str, Any] = {}
    pain: dict[str, int] = {}
    for block in modal.blocks:
        if block.get("type") != "input":
            continue
        block_id = str(block["block_id"])
        item = block_id.partition(SEPARATOR)[2]
        if item:
            key = keys_by_id[int(item)]
            pain[key] = truth.answer(rng, engineer, key)
            answers[block_id] = str(pain[key])
    for block in modal.blocks:
        block_id = str(block.get("block_id", ""))
        if block.get("type") != "input" or SEPARATOR in block_id:
            continue
        element = block.get("element") or {}
        if element.get("type") == "static_select" and pain:
            options = {o["value"] for o in element.get("options", [])}
            ranked = sorted(pain, key=lambda k: (pain[k], rng.random()), reverse=True)
            worst = next((k for k in ranked if k in options), None)
            if worst is not None:
                answers[block_id] = worst
        elif element.get("type") == "plain_text_input" and pain and rng.random() < NOTE_SHARE:
            worst_key = max(pain, key=lambda k: pain[k])
            answers[block_id] = rng.choice(NOTES).format(title=titles[worst_key])
    return answers


def answer_poll(
    stack: Stack,
    *,
    run_id: int,
    engineer: Engineer,
    truth: Truth,
    keys_by_id: Mapping[int, str],
    titles: Mapping[str, str],
    rng: random.Random,
) -> int:
    """Open the poll's modal, answer and submit it; returns how many answers were sent."""
    user = engineer.user_id
    modal = _open_modal(stack, user, run_id)
    answers = choose_answers(
        modal, engineer=engineer, truth=truth, keys_by_id=keys_by_id, titles=titles, rng=rng
    )
    response = stack.driver(user).submit_modal(answers, user=user, view=modal)
    if not response.ok:
        raise AnswerFailed(f"the modal submission got HTTP {response.status}")
    if response.ack_errors:
        raise AnswerFailed(f"the modal acknowledgement was refused: {response.ack_errors[0]}")
    still_open = stack.fake.open_modal(user)
    if still_open is not None and still_open.errors:
        field, message = next(iter(still_open.errors.items()))
        raise AnswerFailed(f"the bot refused the answers ({field}: {message})")
    return len(answers)
