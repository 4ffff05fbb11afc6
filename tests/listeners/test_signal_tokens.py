"""``/debt signals token [rotate]``: a lead makes the workspace's own signals token and
alone sees it, once; others are refused; ``/debt help`` lists it for leads."""

from __future__ import annotations

import json
import re

from sqlmodel import select

from bot.services import signal_tokens
from storage.models import AuditEvent, SignalToken
from tests.listeners.conftest import (
    GENERAL,
    LEAD,
    MEMBER,
    TEAM,
    Harness,
    InProcessDriver,
    ack_json,
    shown_text,
)

TOKEN = re.compile(r"dps_[A-Za-z0-9_-]{43}")


def _replied(harness: Harness, user: str) -> list[str]:
    return [shown_text(e.text, e.blocks) for e in harness.ephemerals_via(user, "response_url")]


def _team_of(harness: Harness, token: str) -> str | None:
    with harness.session() as session:
        return signal_tokens.team_of(session, token)


def test_a_lead_gets_a_new_token_that_only_they_see_once(
    harness: Harness, lead: InProcessDriver
) -> None:
    lead.slash(text="signals token", channel=GENERAL)
    (status,) = _replied(harness, LEAD)
    assert "This workspace has no signals token of its own yet." in status
    assert "`/debt signals token rotate` makes one" in status

    ack = lead.slash(text="signals token rotate", channel=GENERAL)
    assert ack.status == 200 and "dps_" not in ack.body_text  # the token is not in the ack…
    issued = _replied(harness, LEAD)[1]
    (token,) = set(TOKEN.findall(issued))
    assert "shown this once, to you alone" in issued and "first token" in issued
    (post,) = [p for p in harness.fake.response_url_posts if token in json.dumps(p.payload)]
    assert post.payload["response_type"] == "ephemeral"
    assert token not in post.payload["text"]  # …nor in the notification's fallback text
    assert harness.fake.messages() == []  # nothing in a channel or a DM
    assert [e.user for e in harness.fake.ephemerals() if token in json.dumps(e.blocks)] == [LEAD]
    assert _team_of(harness, token) == TEAM

    lead.slash(text="signals token", channel=GENERAL)
    shown = _replied(harness, LEAD)[2]
    assert f"`{token[:8]}…`, made " in shown and f"by <@{LEAD}>" in shown
    assert token[8:] not in shown

    lead.slash(text="signals token rotate", channel=GENERAL)
    rotated = _replied(harness, LEAD)[3]
    (new,) = set(TOKEN.findall(rotated))
    assert new != token and f"The previous token (`{token[:8]}…`" in rotated
    assert (_team_of(harness, token), _team_of(harness, new)) == (None, TEAM)
    with harness.session() as session:
        trail = session.exec(select(AuditEvent.action, AuditEvent.actor)).all()
        stored = session.exec(select(SignalToken)).all()
    assert trail == [("signals_token.created", LEAD), ("signals_token.rotated", LEAD)]
    assert [(row.team_id, row.created_by) for row in stored] == [(TEAM, LEAD)]


def test_others_are_refused_in_the_ack_and_nothing_is_made(
    harness: Harness, member: InProcessDriver
) -> None:
    for text in ("signals token rotate", "signals token"):
        ack = ack_json(member.slash(text=text, channel=GENERAL))
        assert ack["response_type"] == "ephemeral"
        assert ack["text"].startswith("Sorry, `/debt signals token` is for team leads.")
        assert "dps_" not in json.dumps(ack)
    assert harness.fake.calls == []
    with harness.session() as session:
        assert session.exec(select(SignalToken)).all() == []
        assert session.exec(select(AuditEvent)).all() == []
    assert _replied(harness, MEMBER) == []


def test_help_lists_the_token_command_for_leads(
    harness: Harness, lead: InProcessDriver, member: InProcessDriver
) -> None:
    for driver in (lead, member):
        blocks = json.dumps(ack_json(driver.slash(text="help"))["blocks"])
        leads_part = blocks[blocks.index("*For leads*") :]
        assert "/debt signals token [rotate]" in leads_part
