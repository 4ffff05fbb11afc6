"""Answering an ``hours`` question: the Answer button opens a modal with one select of hour
ranges per debt item, and a submission stores the hours each range stands for.

An anonymous run holds them like pain answers: at the close, a group below the minimum
(DEBTPULSE_MIN_GROUP, 5 here) releases nothing, and no hours can be read from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.services import poll_jobs
from bot.slack.poll_views import HOURS_PLACEHOLDER
from storage import hours
from storage.models import AnswerRelease, HeldAnswer, PollRun, Response
from surveys import load_file
from tests.listeners.conftest import (
    ALICE,
    MEMBER,
    POLLS,
    TEAM,
    Harness,
    InProcessDriver,
    answers_recorded,
    shown_text,
)

HOURS_SURVEY = f"""\
id: team-hours
title: Team hours
schedule: {{cron: "0 14 * * THU", timezone: UTC}}
audience: {{channel: {POLLS}}}
anonymous: false
open_for: 48h
questions:
  - id: hours
    type: hours
    prompt: "Roughly how many hours did *{{{{ item.title }}}}* cost you this week?"
    for_each: {{debt_items: {{status: open}}}}
"""
ANON_HOURS_SURVEY = (
    HOURS_SURVEY.replace("id: team-hours", "id: anon-hours")
    .replace("title: Team hours", "title: Anonymous hours")
    .replace("anonymous: false", "anonymous: true")
)
OFFERED = [
    ("None", "0"),
    ("Under 1 hour", "0.5"),
    ("1–2 hours", "1.5"),
    ("2–4 hours", "3"),
    ("4–8 hours", "6"),
    ("1–2 days", "12"),
    ("More than 2 days", "20"),
]


@pytest.fixture
def surveys(harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The two hours surveys in the app's templates, for this test only."""
    for name, text in (("team-hours", HOURS_SURVEY), ("anon-hours", ANON_HOURS_SURVEY)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setitem(harness.runtime.catalog, name, load_file(path))
    yield


def _open_modal(harness: Harness, driver: InProcessDriver, user: str) -> list[dict]:
    """Click Answer on the poll message as ``user``; the modal's input blocks."""
    response = driver.click_button(action_id="poll_open", channel=POLLS)
    assert response.status == 200
    modal = harness.fake.open_modal(user)
    assert modal is not None and modal.callback_id == "poll_submit"
    return [b for b in modal.blocks if b["type"] == "input"]


def _hours_rows(harness: Harness) -> list[tuple[int | None, str, float | None]]:
    with harness.session() as session:
        rows = session.exec(
            select(Response).where(Response.question_id == "hours").order_by(col(Response.id))
        )
        return [(r.debt_item_id, r.respondent, r.value) for r in rows]


def _item_ids(harness: Harness) -> list[int]:
    with harness.session() as session:
        run = session.exec(select(PollRun)).one()
    return [item["id"] for item in run.frozen["questions"][0]["items"]]


@pytest.mark.usefixtures("surveys")
def test_the_modal_offers_hour_ranges_and_stores_the_hours(
    harness: Harness, member: InProcessDriver
) -> None:
    harness.add_item("Flaky data ingestion")
    harness.add_item("No schema validation")
    harness.open_run("team-hours")
    poll = shown_text("", harness.fake.messages(channel=POLLS)[0].blocks)
    assert "Team hours" in poll and "Answer" in poll  # asked per item: a modal, not one click
    inputs = _open_modal(harness, member, MEMBER)
    ids = _item_ids(harness)
    assert [b["block_id"] for b in inputs] == [f"hours|{ids[0]}", f"hours|{ids[1]}"]
    first = inputs[0]
    assert first["label"]["text"] == (
        "Roughly how many hours did Flaky data ingestion cost you this week?"
    )
    select_ = first["element"]
    assert select_["type"] == "static_select"
    assert select_["placeholder"]["text"] == HOURS_PLACEHOLDER
    assert [(o["text"]["text"], o["value"]) for o in select_["options"]] == OFFERED

    response = member.submit_modal({f"hours|{ids[0]}": "1.5", f"hours|{ids[1]}": "20"})
    assert answers_recorded(response)
    assert _hours_rows(harness) == [(ids[0], MEMBER, 1.5), (ids[1], MEMBER, 20.0)]

    # answering again replaces the hours; "None" is stored as 0 hours, not as no answer
    _open_modal(harness, member, MEMBER)
    assert answers_recorded(member.submit_modal({f"hours|{ids[0]}": "0", f"hours|{ids[1]}": "3"}))
    assert _hours_rows(harness) == [(ids[0], MEMBER, 0.0), (ids[1], MEMBER, 3.0)]


@pytest.mark.usefixtures("surveys")
def test_an_hours_value_that_was_not_offered_is_refused_in_the_modal(
    harness: Harness, member: InProcessDriver
) -> None:
    harness.add_item("Flaky data ingestion")
    harness.open_run("team-hours")
    (block,) = _open_modal(harness, member, MEMBER)
    modal = harness.fake.open_modal(MEMBER)
    assert modal is not None
    crafted = {
        block["block_id"]: {
            "value": {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "2"}, "value": "2"},
            }
        }
    }
    response = member.view_submission(modal, crafted)
    assert response.status == 200
    assert response.json() == {
        "response_action": "errors",
        "errors": {
            block["block_id"]: "2 is not one of the hours offered (0, 0.5, 1.5, 3, 6, 12, 20)"
        },
    }
    assert _hours_rows(harness) == []


@pytest.mark.usefixtures("surveys")
def test_anonymous_hours_below_the_minimum_group_are_never_released(
    harness: Harness, member: InProcessDriver
) -> None:
    harness.add_item("Flaky data ingestion")
    run_id = harness.open_run("anon-hours")
    (item,) = _item_ids(harness)
    for user, driver in ((MEMBER, member), (ALICE, harness.driver(ALICE))):
        _open_modal(harness, driver, user)
        assert answers_recorded(driver.submit_modal({f"hours|{item}": "12"}))
    with harness.session() as session:
        held = session.exec(select(HeldAnswer)).all()
    assert sorted((h.question_id, h.debt_item_id, h.value) for h in held) == [
        ("hours", item, 12.0),
        ("hours", item, 12.0),
    ]
    assert not any(MEMBER in h.respondent or ALICE in h.respondent for h in held)
    assert _hours_rows(harness) == []  # nothing is readable while the run is open

    assert poll_jobs.close_poll(harness.runtime, run_id) is not None
    with harness.session() as session:
        assert len(session.exec(select(HeldAnswer)).all()) == 2  # still held: 2 < 5 people
        assert session.exec(select(AnswerRelease)).all() == []
        today = harness.runtime.clock().date()
        weeks = hours.weekly_hours(
            session,
            TEAM,
            item,
            since=today - timedelta(days=7),
            until=today + timedelta(days=7),
            min_group=harness.runtime.settings.min_group,
        )
    assert weeks == []
    assert _hours_rows(harness) == []
    summary = harness.fake.wait_for(
        lambda: next(
            (
                text
                for m in harness.fake.messages(channel=POLLS)
                if "closed · 2 answered" in (text := shown_text(m.text, m.blocks))
            ),
            None,
        )
    )
    assert "fewer than 5 answers" in summary and "mean hours lost" not in summary
