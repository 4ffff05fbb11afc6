"""App Home, and how requests are received: a bad signature is refused with 401 before any
listener runs; a Slack retry or a redelivered event is acknowledged and not acted on again."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from bot.sandbox import Tamper
from storage.models import AuditEvent, DebtItem, InboundEvent, Response
from tests.listeners.conftest import (
    ALICE,
    GENERAL,
    LEAD,
    MEMBER,
    POLLS,
    Harness,
    InProcessDriver,
    shown_text,
)


def _count(harness: Harness, model: type) -> int:
    with harness.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _home(harness: Harness, user: str) -> str:
    view = harness.fake.home(user)
    assert view is not None, f"no App Home published for {user}"
    return shown_text("", view.blocks)


# -- App Home -----------------------------------------------------------------------------------


def test_app_home_shows_the_top_items_open_polls_and_own_items(
    harness: Harness, member: InProcessDriver
) -> None:
    mine = harness.add_item("Flaky data ingestion", assess=(5, 5, 5), owner=MEMBER)
    harness.add_item("No schema validation", assess=(2, 2, 2), owner=ALICE)
    run_id = harness.open_run("quick-vote")
    response = member.app_home_opened()
    assert response.status == 200
    (publish,) = harness.fake.calls_to("views.publish")
    assert publish.ok and publish.params["user_id"] == MEMBER
    home = _home(harness, MEMBER)
    assert home.index(f"1. {mine} Flaky data ingestion") < home.index("2. DEBT-2 No schema")
    assert f"*Quick vote* in <#{POLLS}>" in home
    published = harness.fake.home(MEMBER)
    assert published is not None
    answer = [
        block["accessory"]
        for block in published.blocks
        if block.get("accessory", {}).get("action_id") == "poll_open"
    ]
    assert [button["value"] for button in answer] == [str(run_id)]
    owned = home[home.index("Items you own") :]
    assert f"*{mine}* Flaky data ingestion — open" in owned and "DEBT-2" not in owned

    member.click_button(action_id="poll_vote_3", channel=POLLS)
    harness.fake.wait_for(lambda: harness.ephemerals_via(MEMBER, "response_url"))  # confirmed
    member.app_home_opened()
    assert "Nothing to answer right now." in _home(harness, MEMBER)  # answered: gone


def test_app_home_on_another_tab_publishes_nothing(
    harness: Harness, member: InProcessDriver
) -> None:
    event = {"type": "app_home_opened", "user": MEMBER, "channel": "D0USER", "tab": "messages"}
    assert member.event(event).status == 200
    assert harness.fake.calls_to("views.publish") == []


def test_other_events_are_acknowledged_and_ignored(
    harness: Harness, member: InProcessDriver
) -> None:
    event = {"type": "member_joined_channel", "user": ALICE, "channel": POLLS}
    response = member.event(event, event_id="Ev0JOINED")
    assert (response.status, response.body_text) == (200, "")  # so Slack does not retry it
    assert harness.fake.calls == []
    assert _count(harness, InboundEvent) == 1  # a redelivery would be recognised


def test_the_url_verification_challenge_is_answered(
    harness: Harness, member: InProcessDriver
) -> None:
    response = member.url_verification("a-challenge")
    assert response.status == 200 and "a-challenge" in response.body_text
    assert harness.fake.calls == []


def test_an_event_delivered_again_is_handled_once(
    harness: Harness, member: InProcessDriver
) -> None:
    event = {"type": "app_home_opened", "user": MEMBER, "channel": "D0USER", "tab": "home"}
    assert member.event(event, event_id="Ev0HOME1").status == 200
    started = harness.executor.started
    retried = member.event(event, event_id="Ev0HOME1", retry_num=1, retry_reason="http_timeout")
    again = member.event(event, event_id="Ev0HOME1")  # the same event, without a retry header
    assert (retried.status, retried.body_text) == (200, "")
    assert (again.status, again.body_text) == (200, "")
    assert harness.executor.started == started  # no listener ran for either
    assert len(harness.fake.calls_to("views.publish")) == 1
    assert _count(harness, InboundEvent) == 1


# -- request signatures -------------------------------------------------------------------------

TAMPERED = [
    Tamper(secret="not-the-signing-secret"),
    Tamper(timestamp_offset=-301),
    Tamper(append_after_signing="&text=export"),
    Tamper(omit_signature=True),
    Tamper(omit_timestamp=True),
]
TAMPERED_IDS = ["wrong-secret", "301s-old", "body-changed", "no-signature", "no-timestamp"]


@pytest.mark.parametrize("tamper", TAMPERED, ids=TAMPERED_IDS)
def test_a_badly_signed_command_gets_401_and_no_effect(
    harness: Harness, lead: InProcessDriver, tamper: Tamper
) -> None:
    key = harness.add_item("Flaky data ingestion")
    audit, started = _count(harness, AuditEvent), harness.executor.started
    response = lead.slash(text=f"status {key} resolved", tamper=tamper)
    assert response.status == 401
    assert harness.executor.started == started  # refused before any listener ran
    assert harness.fake.calls == []  # no reply, nothing posted
    with harness.session() as session:
        assert session.exec(select(DebtItem)).one().status == "open"
    assert _count(harness, AuditEvent) == audit


def test_a_badly_signed_event_or_submission_gets_401(
    harness: Harness, lead: InProcessDriver
) -> None:
    wrong = Tamper(secret="not-the-signing-secret")
    lead.slash(text="add", channel=GENERAL)
    started = harness.executor.started
    assert lead.submit_modal({"title": "Forged"}, tamper=wrong).status == 401
    assert lead.app_home_opened().status == 200  # (the driver signs this one properly)
    home_event = {"type": "app_home_opened", "user": LEAD, "channel": "D0LEAD", "tab": "home"}
    assert lead.event(home_event, tamper=wrong).status == 401
    assert harness.executor.started == started + 1  # the properly signed event only
    assert _count(harness, DebtItem) == 0
    assert len(harness.fake.calls_to("views.publish")) == 1
    assert _count(harness, InboundEvent) == 1


def test_a_four_minute_old_request_is_accepted(harness: Harness, member: InProcessDriver) -> None:
    response = member.slash(text="help", tamper=Tamper(timestamp_offset=-240))
    assert response.status == 200 and "/debt top" in response.body_text


# -- Slack retries (X-Slack-Retry-Num): acknowledged, never acted on twice -----------------------


def test_a_retried_command_acts_once(harness: Harness, lead: InProcessDriver) -> None:
    harness.add_item("Flaky data ingestion")
    lead.slash(text="export")
    assert len(harness.fake.uploaded_files) == 1
    started = harness.executor.started
    retried = lead.resend_last(retry_num=1)
    assert (retried.status, retried.body_text) == (200, "")
    assert harness.executor.started == started
    assert len(harness.fake.uploaded_files) == 1
    assert len(harness.ephemerals_via(LEAD, "response_url")) == 1  # one "Sent the register"


def test_a_first_attempt_marked_retry_0_is_acted_on(
    harness: Harness, lead: InProcessDriver
) -> None:
    harness.add_item("Flaky data ingestion")
    lead.slash(text="export")
    assert len(harness.fake.uploaded_files) == 1
    body, content_type = lead.last_sent
    first = lead.send(body, content_type=content_type, retry_num=0)  # attempt 0: not a retry
    assert first.status == 200
    assert len(harness.fake.uploaded_files) == 2


def test_a_retried_modal_submission_adds_one_item(harness: Harness, lead: InProcessDriver) -> None:
    lead.slash(text="add", channel=GENERAL)
    lead.submit_modal({"title": "Flaky data ingestion"})
    retried = lead.resend_last(retry_num=1)
    assert (retried.status, retried.body_text) == (200, "")
    with harness.session() as session:
        assert [i.title for i in session.exec(select(DebtItem))] == ["Flaky data ingestion"]
    assert len(harness.ephemerals_via(LEAD, "chat.postEphemeral")) == 1  # one "Added"


def test_a_retried_vote_is_recorded_and_confirmed_once(
    harness: Harness, member: InProcessDriver
) -> None:
    harness.open_run("quick-vote")
    member.click_button(action_id="poll_vote_5", channel=POLLS)
    harness.fake.wait_for(lambda: harness.ephemerals_via(MEMBER, "response_url"))
    started = harness.executor.started
    assert member.resend_last(retry_num=1).status == 200
    assert harness.executor.started == started
    assert _count(harness, Response) == 1
    assert len(harness.ephemerals_via(MEMBER, "response_url")) == 1
