"""Answering polls in process: a one-click vote, the Answer button and the answer modal.

Answers are stored before the ack; the person is told from a confirmation thread, and the
channel message's live count is refreshed from a timer — both are waited for on the fake.
"""

from __future__ import annotations

import json

from sqlmodel import col, select

from bot.sandbox import Found
from bot.services import poll_jobs
from storage.models import HeldAnswer, Participation, PollRun, Response
from tests.listeners.conftest import (
    MEMBER,
    POLLS,
    Harness,
    InProcessDriver,
    ack_json,
    shown_text,
)

GONE_TEXT = "This poll no longer exists; answers are not accepted."


def _responses(harness: Harness) -> list[tuple[str, int | None, str, float | None, str | None]]:
    with harness.session() as session:
        rows = session.exec(select(Response).order_by(col(Response.id)))
        return [(r.question_id, r.debt_item_id, r.respondent, r.value, r.text) for r in rows]


def _participants(harness: Harness) -> list[str]:
    with harness.session() as session:
        return [p.user_id for p in session.exec(select(Participation))]


def _confirmed(harness: Harness, user: str, needle: str) -> str:
    """The confirmation sent to ``user`` alone from the confirmation thread."""
    return harness.fake.wait_for(
        lambda: next((said for said in harness.told(user) if needle in said), None)
    )


def _live_count(harness: Harness, answered: int) -> str:
    """The poll message once its live count reads ``answered``."""
    needle = f"{answered} answered so far"
    return harness.fake.wait_for(
        lambda: next(
            (
                text
                for m in harness.fake.messages(channel=POLLS)
                if needle in (text := shown_text(m.text, m.blocks))
            ),
            None,
        )
    )


def _live_count_message(harness: Harness, answered: int) -> list[dict]:
    """The blocks of the (only) poll message once its live count reads ``answered``."""
    _live_count(harness, answered)
    (poll,) = harness.fake.messages(channel=POLLS)
    return poll.blocks


# -- one-click votes --------------------------------------------------------------------------


def test_a_vote_is_stored_confirmed_and_counted(harness: Harness, member: InProcessDriver) -> None:
    run_id = harness.open_run("quick-vote")
    response = member.click_button(action_id="poll_vote_4", channel=POLLS)
    assert response.status == 200 and response.body_text == ""
    assert _responses(harness) == [("mood", None, MEMBER, 4.0, None)]
    assert _participants(harness) == [MEMBER]
    said = _confirmed(harness, MEMBER, "Recorded your answer: 4.")
    assert "You can change it until the poll closes." in said
    (reply,) = harness.ephemerals_via(MEMBER, "response_url")  # to the voter alone
    assert reply.channel == POLLS
    assert f"vote-{run_id}" in json.dumps(_live_count_message(harness, 1))


def test_a_second_vote_replaces_the_first(harness: Harness, member: InProcessDriver) -> None:
    harness.open_run("quick-vote")
    member.click_button(action_id="poll_vote_4", channel=POLLS)
    _confirmed(harness, MEMBER, "Recorded your answer: 4.")
    member.click_button(action_id="poll_vote_2", channel=POLLS)
    _confirmed(harness, MEMBER, "Recorded your answer: 2.")
    assert _responses(harness) == [("mood", None, MEMBER, 2.0, None)]
    _live_count(harness, 1)  # still one person


def test_a_vote_after_the_close_is_refused(harness: Harness, member: InProcessDriver) -> None:
    run_id = harness.open_run("quick-vote")
    stale = harness.fake.find_element(action_id="poll_vote_3", channel=POLLS)
    assert poll_jobs.close_poll(harness.runtime, run_id) is not None
    member.click(stale)  # the button as it was shown before the close
    said = harness.reply_to(MEMBER, "This poll closed at ")
    assert said.endswith("UTC; answers are no longer accepted.")
    assert _responses(harness) == [] and _participants(harness) == []


def test_a_vote_for_a_run_that_is_not_there_is_refused(
    harness: Harness, member: InProcessDriver
) -> None:
    harness.open_run("quick-vote")
    member.block_action("poll_vote_3", "404:mood:3", channel=POLLS)
    assert harness.reply_to(MEMBER, GONE_TEXT)
    assert _responses(harness) == []


# -- the Answer button and the answer modal -----------------------------------------------------


def _answer_modal(harness: Harness, member: InProcessDriver) -> list[str]:
    """Click Answer on the poll message; the input block ids of the modal it opened."""
    response = member.click_button(action_id="poll_open", channel=POLLS)
    assert response.status == 200 and response.body_text == ""
    modal = harness.fake.open_modal(MEMBER)
    assert modal is not None and modal.callback_id == "poll_submit"
    return [b["block_id"] for b in modal.blocks if b["type"] == "input"]


def test_the_answer_modal_stores_every_answer_and_confirms(
    harness: Harness, member: InProcessDriver
) -> None:
    harness.add_item("Flaky data ingestion")
    harness.add_item("No schema validation")
    run_id = harness.open_run("team-pulse")
    blocks = _answer_modal(harness, member)
    with harness.session() as session:
        run = session.exec(select(PollRun)).one()
    ids = [item["id"] for item in run.frozen["questions"][0]["items"]]
    assert blocks == [f"pain|{ids[0]}", f"pain|{ids[1]}", "note"]

    response = member.submit_modal({blocks[0]: "4", blocks[1]: "2", "note": "ingest hurts"})
    assert response.status == 200
    assert ack_json(response)["response_action"] == "update"
    # the modal itself says so, once committed, with only a Close button
    modal = harness.fake.open_modal(MEMBER)
    assert modal is not None and modal.view["submit"] is None
    said = shown_text("", modal.view["blocks"])
    assert "Thanks — your answers to *Team pulse* are recorded." in said
    assert "You can change them until the poll closes." in said
    assert _responses(harness) == [
        ("pain", ids[0], MEMBER, 4.0, None),
        ("pain", ids[1], MEMBER, 2.0, None),
        ("note", None, MEMBER, None, "ingest hurts"),
    ]
    assert harness.ephemerals_via(MEMBER, "chat.postEphemeral") == []  # no call was needed
    assert f"answer-{run_id}" in json.dumps(_live_count_message(harness, 1))


def test_a_missing_or_too_long_answer_is_sent_back(
    harness: Harness, member: InProcessDriver
) -> None:
    harness.add_item("Flaky data ingestion")
    harness.open_run("team-pulse")
    pain, note = _answer_modal(harness, member)
    ack = ack_json(member.submit_modal({"note": "x" * 41}))
    assert ack["response_action"] == "errors"
    assert ack["errors"][pain] == "Please answer this question."
    assert "40" in ack["errors"][note]
    modal = harness.fake.open_modal(MEMBER)
    assert modal is not None and modal.errors == ack["errors"]
    assert _responses(harness) == [] and _participants(harness) == []


def test_an_anonymous_answer_is_held_without_the_name(
    harness: Harness, member: InProcessDriver
) -> None:
    harness.add_item("Flaky data ingestion")
    harness.open_run("anon-pulse")
    pain, _ = _answer_modal(harness, member)
    member.submit_modal({pain: "5"})
    modal = harness.fake.open_modal(MEMBER)
    assert modal is not None
    assert "your answers to *Anonymous pulse* are recorded" in shown_text("", modal.view["blocks"])
    with harness.session() as session:
        held = list(session.exec(select(HeldAnswer)))
    assert [(h.question_id, h.value) for h in held] == [("pain", 5.0)]
    assert _responses(harness) == []  # nothing released, nothing shown or counted yet
    stored = [h.respondent for h in held] + [h.person for h in held] + _participants(harness)
    assert stored and MEMBER not in stored


def test_answer_on_a_closed_poll_opens_no_modal(harness: Harness, member: InProcessDriver) -> None:
    harness.add_item("Flaky data ingestion")
    run_id = harness.open_run("team-pulse")
    stale: Found = harness.fake.find_element(action_id="poll_open", channel=POLLS)
    poll_jobs.close_poll(harness.runtime, run_id)
    member.click(stale)
    assert harness.reply_to(MEMBER, "This poll closed at ")
    assert harness.fake.calls_to("views.open") == []
