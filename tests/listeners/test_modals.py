"""The ``/debt add`` and ``/debt assess`` modals' submissions, in process: field errors go
back into the modal, a valid submission is stored, audited and confirmed to the lead alone.

(Status has no modal: ``/debt status KEY STATUS`` changes it, see test_commands.py.)
"""

from __future__ import annotations

from sqlmodel import col, select

from bot.sandbox import BOT_USER_ID
from storage.models import Assessment, AuditEvent, DebtItem
from tests.listeners.conftest import (
    ALICE,
    GENERAL,
    LEAD,
    MEMBER,
    Harness,
    InProcessDriver,
    ack_json,
)


def _items(harness: Harness) -> list[DebtItem]:
    with harness.session() as session:
        return list(session.exec(select(DebtItem).order_by(col(DebtItem.id))))


def _assessments(harness: Harness) -> list[tuple[int, int, int, str]]:
    with harness.session() as session:
        rows = session.exec(select(Assessment).order_by(col(Assessment.id)))
        return [(a.impact, a.likelihood, a.detectability, a.assessed_by) for a in rows]


def _audit(harness: Harness) -> list[tuple[str, str, str]]:
    with harness.session() as session:
        return [(e.action, e.actor, e.reason) for e in session.exec(select(AuditEvent))]


def _open_add_modal(harness: Harness, lead: InProcessDriver) -> None:
    lead.slash(text="add", channel=GENERAL)
    modal = harness.fake.open_modal(LEAD)
    assert modal is not None and modal.callback_id == "debt_add"


# -- add ------------------------------------------------------------------------------------


def test_add_stores_an_audited_item_and_tells_the_lead(
    harness: Harness, lead: InProcessDriver
) -> None:
    _open_add_modal(harness, lead)
    response = lead.submit_modal(
        {
            "title": "Flaky data ingestion",
            "category": "experimentation",
            "component": "ingest",
            "owner": ALICE,
            "effort": "M",
            "impact": "5",
            "likelihood": "4",
            "detectability": "2",
            "problem": "Nightly loads fail one night in five",
        }
    )
    assert response.status == 200 and response.body_text == ""  # an empty ack closes it
    assert harness.fake.open_modal(LEAD) is None
    (item,) = _items(harness)
    assert (item.key, item.title, item.category, item.component) == (
        "DEBT-1",
        "Flaky data ingestion",
        "experimentation",
        "ingest",
    )
    assert (item.owner, item.effort, item.problem) == (
        ALICE,
        "M",
        "Nightly loads fail one night in five",
    )
    assert _assessments(harness) == [(5, 4, 2, LEAD)]
    trail = _audit(harness)
    assert ("item.created", LEAD, "/debt add") in trail
    assert ("item.assessed", LEAD, "/debt add") in trail
    (told,) = harness.ephemerals_via(LEAD, "chat.postEphemeral")
    assert told.channel == GENERAL
    assert told.text == ":white_check_mark: Added *DEBT-1* Flaky data ingestion."


def test_add_with_part_of_an_assessment_is_sent_back_with_field_errors(
    harness: Harness, lead: InProcessDriver
) -> None:
    _open_add_modal(harness, lead)
    response = lead.submit_modal({"title": "Flaky data ingestion", "impact": "5"})
    ack = ack_json(response)
    assert ack["response_action"] == "errors"
    assert ack["errors"] == {"likelihood": "impact, likelihood and detectability go together"}
    modal = harness.fake.open_modal(LEAD)
    assert modal is not None and modal.errors == ack["errors"]  # the modal stays open
    assert _items(harness) == [] and _audit(harness) == []
    assert harness.told(LEAD) == []


def test_add_with_a_bot_as_owner_is_sent_back(harness: Harness, lead: InProcessDriver) -> None:
    _open_add_modal(harness, lead)
    ack = ack_json(lead.submit_modal({"title": "Owned by a bot", "owner": BOT_USER_ID}))
    assert ack == {
        "response_action": "errors",
        "errors": {"owner": f"<@{BOT_USER_ID}> is a bot, not a person: choose a person."},
    }
    assert _items(harness) == []


def test_add_submitted_by_someone_not_a_lead_is_refused(
    harness: Harness, lead: InProcessDriver, member: InProcessDriver
) -> None:
    # a member cannot open the modal (test_commands.py); a forged submission is refused too
    _open_add_modal(harness, lead)
    modal = harness.fake.open_modal(LEAD)
    assert modal is not None
    values = member.fill_modal(modal, {"title": "Sneaked in"})
    ack = ack_json(member.view_submission(modal.view, values, user=MEMBER))
    assert ack == {
        "response_action": "errors",
        "errors": {"title": "Only team leads can add debt items."},
    }
    assert _items(harness) == [] and _audit(harness) == []


# -- assess ---------------------------------------------------------------------------------


def test_assess_stores_a_new_assessment_with_the_note_in_the_trail(
    harness: Harness, lead: InProcessDriver
) -> None:
    key = harness.add_item("Flaky data ingestion", assess=(4, 3, 2))
    lead.slash(text=f"assess {key}", channel=GENERAL)
    response = lead.submit_modal(
        {"impact": "5", "likelihood": "5", "detectability": "1", "note": "after the outage"}
    )
    assert response.status == 200 and response.body_text == ""
    assert harness.fake.open_modal(LEAD) is None
    assert _assessments(harness) == [(4, 3, 2, LEAD), (5, 5, 1, LEAD)]  # history is kept
    assert ("item.assessed", LEAD, "after the outage") in _audit(harness)
    (told,) = harness.ephemerals_via(LEAD, "chat.postEphemeral")
    assert (told.channel, told.text) == (
        GENERAL,
        f":white_check_mark: Assessed *{key}*: impact 5, likelihood 5, detectability 1.",
    )


def test_assess_with_the_same_ratings_changes_nothing(
    harness: Harness, lead: InProcessDriver
) -> None:
    key = harness.add_item("Flaky data ingestion", assess=(4, 3, 2))
    lead.slash(text=f"assess {key}", channel=GENERAL)
    trail = _audit(harness)
    lead.submit_modal({"impact": "4", "likelihood": "3", "detectability": "2"})
    assert _assessments(harness) == [(4, 3, 2, LEAD)]
    assert _audit(harness) == trail
    assert harness.reply_to(LEAD, f"*{key}* already had that assessment; nothing changed.")


def test_assess_without_a_rating_is_sent_back(harness: Harness, lead: InProcessDriver) -> None:
    key = harness.add_item("Flaky data ingestion", assess=None)
    lead.slash(text=f"assess {key}", channel=GENERAL)
    ack = ack_json(lead.submit_modal({"impact": "3", "likelihood": "3"}))
    assert ack == {
        "response_action": "errors",
        "errors": {"detectability": "Choose a rating from 1 to 5."},
    }
    assert _assessments(harness) == []
    assert harness.told(LEAD) == []


def test_assess_of_an_item_deleted_meanwhile_is_sent_back(
    harness: Harness, lead: InProcessDriver
) -> None:
    key = harness.add_item("Flaky data ingestion", assess=None)
    lead.slash(text=f"assess {key}", channel=GENERAL)
    with harness.runtime.transaction() as session:
        session.delete(session.exec(select(DebtItem)).one())
    ack = ack_json(lead.submit_modal({"impact": "3", "likelihood": "3", "detectability": "3"}))
    assert ack == {"response_action": "errors", "errors": {"impact": "This item no longer exists."}}
    assert _assessments(harness) == []
