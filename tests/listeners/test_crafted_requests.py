"""Signed requests that Slack would never send as they are: replays and crafted values.

A client (or whoever holds a signed request) can change any value in a payload: a select's
value, a modal's metadata, a button's value, the blocks it claims it was shown. Each is
checked and answered plainly — never a 500, never a traceback, never a second item, and
never an answer about something the person was not asked.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest
from sqlmodel import col, select

from bot.sandbox import Found
from bot.services import poll_jobs
from storage.models import Assessment, DebtItem, PollRun, Response
from tests.listeners.conftest import (
    GENERAL,
    LEAD,
    LONG_OPTION_A,
    LONG_OPTION_B,
    MEMBER,
    POLLS,
    Harness,
    InProcessDriver,
    ack_json,
    answers_recorded,
    shown_text,
)

ALREADY = "This form was submitted already; it is acted on once."


def _responses(harness: Harness) -> list[tuple[str, int | None, float | None, str | None]]:
    with harness.session() as session:
        rows = session.exec(select(Response).order_by(col(Response.id)))
        return [(r.question_id, r.debt_item_id, r.value, r.text) for r in rows]


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not loud, [r.getMessage() for r in loud]


# -- a view is acted on once ------------------------------------------------------------------


def test_an_add_submission_sent_twice_adds_one_item(
    harness: Harness, lead: InProcessDriver
) -> None:
    lead.slash(text="add", channel=GENERAL)
    modal = harness.fake.open_modal(LEAD)
    assert modal is not None
    assert lead.submit_modal({"title": "Flaky data ingestion"}, view=modal).body_text == ""
    assert lead.last_sent is not None
    body, content_type = lead.last_sent
    again = lead.send(body, content_type=content_type)  # the same signed request, replayed
    assert ack_json(again) == {"response_action": "errors", "errors": {"title": ALREADY}}
    with harness.session() as session:
        assert [i.title for i in session.exec(select(DebtItem))] == ["Flaky data ingestion"]
    assert len(harness.told(LEAD)) == 1  # one "Added" confirmation


def test_an_assess_submission_sent_again_is_not_acted_on_again(
    harness: Harness, lead: InProcessDriver
) -> None:
    key = harness.add_item("Flaky data ingestion", assess=(4, 3, 2))
    lead.slash(text=f"assess {key}", channel=GENERAL)
    lead.submit_modal({"impact": "5", "likelihood": "5", "detectability": "1"})
    assert lead.last_sent is not None
    replay = lead.last_sent
    lead.slash(text=f"assess {key}", channel=GENERAL)
    lead.submit_modal({"impact": "2", "likelihood": "2", "detectability": "2"})
    again = lead.send(replay[0], content_type=replay[1])  # would undo the second assessment
    assert ack_json(again)["errors"] == {"impact": ALREADY}
    with harness.session() as session:
        latest = session.exec(select(Assessment).order_by(col(Assessment.id).desc())).first()
    assert latest is not None and (latest.impact, latest.likelihood) == (2, 2)


# -- crafted values get a clear answer --------------------------------------------------------


def _crafted_select(values: dict[str, Any], block: str, value: str) -> None:
    for action in values[block].values():
        action["selected_option"] = {"text": {"type": "plain_text", "text": value}, "value": value}


def test_a_non_numeric_rating_in_the_assess_modal_is_sent_back(
    harness: Harness, lead: InProcessDriver, caplog: pytest.LogCaptureFixture
) -> None:
    key = harness.add_item("Flaky data ingestion", assess=None)
    lead.slash(text=f"assess {key}", channel=GENERAL)
    modal = harness.fake.open_modal(LEAD)
    assert modal is not None
    values = lead.fill_modal(modal, {"impact": "3", "likelihood": "3", "detectability": "3"})
    _crafted_select(values, "impact", "high")
    ack = ack_json(lead.view_submission(modal, values))
    assert ack == {
        "response_action": "errors",
        "errors": {"impact": "Choose a rating from 1 to 5 (not 'high')."},
    }
    with harness.session() as session:
        assert list(session.exec(select(Assessment))) == []
    _no_tracebacks(caplog)


def _answer_modal(harness: Harness, member: InProcessDriver) -> Any:
    member.click_button(action_id="poll_open", channel=POLLS)
    modal = harness.fake.open_modal(MEMBER)
    assert modal is not None and modal.callback_id == "poll_submit"
    return modal


@pytest.mark.parametrize("metadata", ['{"run": "one"}', '{"run": [1]}', "not json", "[]"])
def test_answers_with_crafted_poll_metadata_are_sent_back(
    harness: Harness, member: InProcessDriver, caplog: pytest.LogCaptureFixture, metadata: str
) -> None:
    harness.add_item("Flaky data ingestion")
    harness.open_run("team-pulse")
    modal = _answer_modal(harness, member)
    pain = next(b["block_id"] for b in modal.blocks if b["type"] == "input")
    values = member.fill_modal(modal, {pain: "4"})
    crafted = copy.deepcopy(modal.view) | {"private_metadata": metadata}
    ack = ack_json(member.view_submission(crafted, values, user=MEMBER))
    assert ack["response_action"] == "errors"
    assert ack["errors"] == {
        pain: "This form does not name a poll; nothing was saved. Open the poll again."
    }
    assert _responses(harness) == []
    _no_tracebacks(caplog)


@pytest.mark.parametrize(
    ("value", "told"),
    [
        ("{run}:mood:9", "9 is outside the scale 1–5"),
        ("{run}:mood:lots", "not a number: 'lots'"),
        ("{run}:mood:nan", "not a number: 'nan'"),
        ("{run}:weather:3", "this poll has no question 'weather'"),
    ],
)
def test_a_forged_vote_is_refused_with_what_was_wrong(
    harness: Harness,
    member: InProcessDriver,
    caplog: pytest.LogCaptureFixture,
    value: str,
    told: str,
) -> None:
    run_id = harness.open_run("quick-vote")
    response = member.block_action("poll_vote_3", value.format(run=run_id), channel=POLLS)
    assert response.status == 200
    said = harness.reply_to(MEMBER, "not recorded")
    assert said == f":x: Your answer was not recorded: {told}."
    assert "Recorded your answer" not in "\n".join(harness.told(MEMBER))
    assert _responses(harness) == []
    _no_tracebacks(caplog)


def test_a_vote_on_a_question_that_is_not_voted_on_is_refused(
    harness: Harness, member: InProcessDriver, caplog: pytest.LogCaptureFixture
) -> None:
    harness.add_item("Flaky data ingestion")
    run_id = harness.open_run("team-pulse")  # answered in a modal, per item
    member.block_action("poll_vote_3", f"{run_id}:note:3", channel=POLLS)
    member.block_action("poll_vote_3", f"{run_id}:pain:3", channel=POLLS)
    assert len([s for s in harness.told(MEMBER) if "not recorded" in s]) == 2
    assert _responses(harness) == []
    _no_tracebacks(caplog)


# -- only what the run asked that person ------------------------------------------------------


def test_an_answer_about_an_item_the_person_was_not_asked_is_refused(
    harness: Harness, member: InProcessDriver, caplog: pytest.LogCaptureFixture
) -> None:
    for title in ("Flaky data ingestion", "No schema validation", "Manual deploys"):
        harness.add_item(title)
    harness.open_run("sample-pulse")  # sample: 2 of the 3 items for each person
    modal = _answer_modal(harness, member)
    with harness.session() as session:
        run = session.exec(select(PollRun)).one()
    every = [item["id"] for item in run.frozen["questions"][0]["items"]]
    shown = [b["block_id"] for b in modal.blocks if b["type"] == "input"]
    asked = [int(b.split("|")[1]) for b in shown if b.startswith("pain|")]
    (not_asked,) = set(every) - set(asked)
    values = member.fill_modal(modal, {shown[0]: "4", shown[1]: "3"})
    extra = f"pain|{not_asked}"
    values[extra] = copy.deepcopy(values[shown[0]])
    crafted = copy.deepcopy(modal.view)
    meta = json.loads(crafted["private_metadata"])
    crafted["private_metadata"] = json.dumps(meta | {"items": every})  # "I was asked all 3"
    crafted["blocks"].insert(0, copy.deepcopy(crafted["blocks"][0]) | {"block_id": extra})
    ack = ack_json(member.view_submission(crafted, values, user=MEMBER))
    assert ack == {
        "response_action": "errors",
        "errors": {shown[0]: "You were not asked this question; nothing was saved."},
    }
    assert _responses(harness) == []
    # what was asked is still accepted
    assert answers_recorded(member.submit_modal({shown[0]: "4", shown[1]: "3"}, view=modal))
    assert sorted(_responses(harness)) == sorted(
        [("pain", i, v, None) for i, v in zip(asked, (4.0, 3.0), strict=True)]
    )
    _no_tracebacks(caplog)


# -- option values up to Slack's 150 characters ------------------------------------------------


def test_long_option_values_are_shown_and_stored_whole(
    harness: Harness, member: InProcessDriver
) -> None:
    harness.open_run("long-choice")
    modal = _answer_modal(harness, member)
    (select_block,) = [b for b in modal.blocks if b["type"] == "input"]
    shown = [o["value"] for o in select_block["element"]["options"]]
    assert shown == [LONG_OPTION_A, LONG_OPTION_B]
    assert answers_recorded(member.submit_modal({"pick": LONG_OPTION_B}))
    assert _responses(harness) == [("pick", None, None, LONG_OPTION_B)]


# -- App Home: Answer on a poll that cannot be answered -----------------------------------------


def _home_answer_button(harness: Harness, member: InProcessDriver) -> Found:
    member.app_home_opened()
    found = harness.fake.find_element(action_id="poll_open", user=MEMBER)
    assert found.view is not None and found.view.get("type") == "home"
    return found


def _notices(harness: Harness) -> list[str]:
    return [
        shown_text("", call.params["view"].get("blocks", []))
        for call in harness.fake.calls_to("views.open")
    ]


def _home_now(harness: Harness) -> str:
    latest = harness.fake.calls_to("views.publish")[-1].params["view"]
    return shown_text("", latest["blocks"])


def test_answer_in_app_home_on_a_closed_poll_says_so_and_refreshes_home(
    harness: Harness, member: InProcessDriver, caplog: pytest.LogCaptureFixture
) -> None:
    run_id = harness.open_run("quick-vote")
    found = _home_answer_button(harness, member)
    assert "Quick vote" in _home_now(harness)
    published = len(harness.fake.calls_to("views.publish"))
    poll_jobs.close_poll(harness.runtime, run_id)
    response = member.click(found)
    assert response.status == 200
    (notice,) = _notices(harness)
    assert "This poll closed at " in notice and "answers are no longer accepted" in notice
    assert len(harness.fake.calls_to("views.publish")) == published + 1
    assert "Quick vote" not in _home_now(harness)
    assert "Nothing to answer right now." in _home_now(harness)
    _no_tracebacks(caplog)


def test_answer_in_app_home_on_a_poll_that_is_gone_says_so(
    harness: Harness, member: InProcessDriver, caplog: pytest.LogCaptureFixture
) -> None:
    member.app_home_opened()
    home = harness.fake.calls_to("views.publish")[-1]
    assert home is not None
    response = member.block_action(
        "poll_open", "404", view={"id": "VHOME404", "type": "home"}, block_id="home-poll"
    )
    assert response.status == 200
    (notice,) = _notices(harness)
    assert "This poll no longer exists; answers are not accepted." in notice
    assert len(harness.fake.calls_to("views.publish")) == 2
    _no_tracebacks(caplog)
