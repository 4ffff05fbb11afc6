"""``/debt config`` through the Bolt app: a lead's form shows the settings in effect, a saved
form changes the workspace's settings for its very next request (a new lead can run lead
commands at once), a refused field is shown under it; the installer is the first lead, and
App Home walks them through what is left before polls can run."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlmodel import col, select

from bot.sandbox import BOT_USER_ID
from bot.sandbox.records import ViewRecord
from bot.services import team_settings
from storage.models import AuditEvent, TeamSetting
from tests.listeners.conftest import (
    ALICE,
    DIGEST,
    GENERAL,
    LEAD,
    MEMBER,
    POLLS,
    TEAM,
    Harness,
    InProcessDriver,
    ack_json,
    shown_text,
)


def _form(harness: Harness, user: str) -> ViewRecord:
    view = harness.fake.open_modal(user)
    assert view is not None and view.callback_id == "debt_config", view
    return view


def _elements(view: ViewRecord) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view.view["blocks"] if b["type"] == "input"}


def _stored(harness: Harness) -> dict[str, str]:
    with harness.session() as session:
        return {r.key: r.value for r in session.exec(select(TeamSetting))}


def _audit(harness: Harness) -> list[tuple[str, str, str, str]]:
    with harness.session() as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))
        return [(e.actor, e.action, e.subject, e.reason) for e in rows]


def _home(harness: Harness, user: str) -> str:
    view = harness.fake.home(user)
    assert view is not None, f"no App Home published for {user}"
    return shown_text("", view.blocks)


def test_a_leads_form_shows_the_settings_in_effect_and_others_are_refused(
    harness: Harness, lead: InProcessDriver, member: InProcessDriver
) -> None:
    lead.slash(text="config", channel=GENERAL)
    fields = _elements(_form(harness, LEAD))
    assert list(fields) == list(team_settings.KEYS)
    assert "initial_conversation" not in fields["poll_channel"]
    assert fields["digest_channels"]["initial_conversations"] == [DIGEST]
    assert fields["leads"]["initial_users"] == [LEAD]
    assert fields["timezone"]["initial_value"] == "UTC"
    assert (fields["min_group"]["initial_value"], fields["min_group"]["min_value"]) == ("5", "5")
    assert fields["debt_budget"]["initial_value"] == "15"
    hints = shown_text("", _form(harness, LEAD).view["blocks"])
    assert f"{DIGEST} (default: DEBTPULSE_DIGEST_CHANNELS)" in hints

    member.slash(text="config", channel=GENERAL)
    assert harness.fake.open_modal(MEMBER) is None
    assert "`/debt config` is for team leads" in harness.reply_to(MEMBER, "team leads")


def test_a_saved_form_changes_the_workspace_for_its_next_request(
    harness: Harness, lead: InProcessDriver
) -> None:
    alice = harness.driver(ALICE)
    alice.slash(text="config", channel=GENERAL)
    assert harness.fake.open_modal(ALICE) is None  # not a lead yet

    lead.slash(text="config", channel=GENERAL)
    response = lead.submit_modal(
        {"poll_channel": POLLS, "leads": [LEAD, ALICE], "min_group": "7", "debt_budget": "20"}
    )
    assert response.status == 200 and response.body_text == ""  # closed: saved
    assert _stored(harness) == {
        "poll_channel": f'"{POLLS}"',
        "leads": f'["{LEAD}","{ALICE}"]',
        "min_group": "7",
        "debt_budget": "0.2",
    }
    assert [row[1:] for row in _audit(harness)] == [
        ("team_setting.set", key, "/debt config")
        for key in ("poll_channel", "leads", "min_group", "debt_budget")
    ]
    assert {row[0] for row in _audit(harness)} == {LEAD}
    said = harness.reply_to(LEAD, "Settings saved")
    assert f"*leads*: {LEAD}, {ALICE}" in said and "*min_group*: 7" in said

    alice.slash(text="config", channel=GENERAL)  # the next request: a lead now
    fields = _elements(_form(harness, ALICE))
    assert fields["poll_channel"]["initial_conversation"] == POLLS
    assert fields["min_group"]["initial_value"] == "7"
    again = alice.submit_modal({})  # saved as shown: nothing changes
    assert again.body_text == ""
    assert "Nothing changed" in harness.reply_to(ALICE, "Nothing changed")
    assert len(_audit(harness)) == 4


def test_a_refused_field_is_shown_under_it_and_the_form_can_be_saved_once_right(
    harness: Harness, lead: InProcessDriver
) -> None:
    lead.slash(text="config", channel=GENERAL)
    refused = lead.submit_modal({"timezone": "Mars/Olympus", "min_group": "3"})
    ack = ack_json(refused)
    assert ack["response_action"] == "errors"
    assert ack["errors"] == {
        "timezone": "not a time zone name like Europe/Berlin: 'Mars/Olympus'",
        "min_group": "3 is under this deployment's minimum of 5 (DEBTPULSE_MIN_GROUP): a team "
        "may raise it, never lower it",
    }
    assert _stored(harness) == {} and _audit(harness) == []

    fixed = lead.submit_modal({"timezone": "Europe/Berlin", "leads": [LEAD, "U0ROBOT"]})
    assert ack_json(fixed)["errors"] == {"leads": "U0ROBOT is a bot, not a person: choose people."}
    saved = lead.submit_modal({"timezone": "Europe/Berlin"})  # the same view, now right
    assert saved.body_text == ""
    assert _stored(harness) == {"timezone": '"Europe/Berlin"'}


def test_a_member_cannot_submit_a_leads_form(
    harness: Harness, lead: InProcessDriver, member: InProcessDriver
) -> None:
    lead.slash(text="config", channel=GENERAL)
    form = _form(harness, LEAD)
    values = member.fill_modal(form, {"min_group": "9"})
    refused = member.view_submission(form, values, user=MEMBER)
    assert ack_json(refused)["errors"] == {
        "poll_channel": "Only team leads can change these settings."
    }
    assert _stored(harness) == {}


@pytest.fixture
def installed_by_alice(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workspace installed over OAuth by Alice, in a deployment naming no leads."""
    runtime = harness.runtime
    monkeypatch.setattr(runtime, "settings", runtime.settings.model_copy(update={"leads": []}))
    store = SQLAlchemyInstallationStore(client_id="1.2", engine=runtime.engine)
    store.save(
        Installation(app_id="A1", team_id=TEAM, user_id=ALICE, bot_token="xoxb-x", bot_id="B1")
    )


def test_the_installer_leads_and_app_home_shows_them_what_is_left(
    harness: Harness, lead: InProcessDriver, installed_by_alice: None
) -> None:
    alice = harness.driver(ALICE)
    lead.app_home_opened()
    assert "Set up debtpulse" not in _home(harness, LEAD)  # not a lead of this workspace

    alice.app_home_opened()
    home = _home(harness, ALICE)
    assert ":white_check_mark: 1. Poll channel: not needed, every survey has its own" in home
    assert ":white_check_mark: 2. debtpulse is in its channels." in home
    assert f":white_check_mark: 3. Digest channels: <#{DIGEST}>." in home
    assert ":white_large_square: 4. Choose the team's leads: only you lead now" in home
    assert ":white_check_mark: 5. The anonymity secret is set." in home

    quiet = "C0QUIET"
    harness.fake.workspace.add_channel(quiet, name="quiet", members=[ALICE])
    team_settings.set_value(
        harness.runtime, TEAM, "digest_channels", quiet, actor=ALICE, reason="t"
    )
    alice.app_home_opened()
    home = _home(harness, ALICE)
    assert f":white_large_square: 2. Invite debtpulse to <#{quiet}>" in home

    harness.fake.workspace.channels[quiet].members.append(BOT_USER_ID)
    alice.click_button(action_id="config_open", user=ALICE)
    assert alice.submit_modal({}).body_text == ""  # saved as shown: Alice confirmed as lead
    home = _home(harness, ALICE)  # published again after the save
    assert "Set up debtpulse" not in home and "Top debt priorities" in home
    assert _stored(harness)["leads"] == f'["{ALICE}"]'
