"""A single-workspace install learns of its uninstall from Slack's event: the workspace is
recorded gone (with which token went), its unsent messages stopped, and nothing of it runs
until another token is configured."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot.runtime import Runtime
from bot.services import team_lifecycle, workspaces
from storage.models import AuditEvent, InboundEvent, PollDelivery, TeamState
from tests.listeners.conftest import TEAM, Harness, InProcessDriver


def test_app_uninstalled_stops_the_tokens_workspace(
    harness: Harness, member: InProcessDriver
) -> None:
    run_id = harness.open_run("team-pulse")
    with harness.session() as session:
        session.add(PollDelivery(team_id=TEAM, poll_run_id=run_id, recipient="U0SOMEONE"))
        session.commit()
    assert workspaces.active_teams(harness.runtime) == [TEAM]

    assert member.event({"type": "app_uninstalled"}).status == 200

    with harness.session() as session:
        state = session.exec(select(TeamState)).one()
        waiting = session.exec(select(PollDelivery).where(PollDelivery.status == "pending"))
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "team.uninstalled"))
        assert (state.team_id, state.state) == (TEAM, "uninstalled")
        assert state.gone_token == workspaces.token_fingerprint("xoxb-test")
        assert list(waiting) == []
        assert [event.actor for event in audit] == ["slack"]
    assert workspaces.active_teams(harness.runtime) == []

    settings = harness.runtime.settings
    renewed = settings.model_copy(update={"slack_bot_token": SecretStr("xoxb-installed-again")})
    again = Runtime(renewed, engine=harness.runtime.engine, default_team=TEAM)
    assert workspaces.active_teams(again) == [TEAM]


def test_an_uninstall_whose_handling_failed_is_acted_on_when_slack_retries_it(
    harness: Harness, member: InProcessDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = team_lifecycle.workspace_gone
    calls = []

    def fails_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("UPDATE team_state", {}, Exception("database restarting"))
        return real(*args, **kwargs)

    monkeypatch.setattr(team_lifecycle, "workspace_gone", fails_once)
    first = member.event({"type": "app_uninstalled"}, event_id="Ev0GONE")
    assert first.status >= 500  # Slack will retry it
    with harness.session() as session:  # not taken for handled: the retry will act
        assert list(session.exec(select(InboundEvent))) == []
    assert workspaces.active_teams(harness.runtime) == [TEAM]

    retried = member.event(
        {"type": "app_uninstalled"}, event_id="Ev0GONE", retry_num=1, retry_reason="http_error"
    )
    assert retried.status == 200
    assert len(calls) == 2
    assert workspaces.active_teams(harness.runtime) == []
    with harness.session() as session:
        assert session.exec(select(TeamState)).one().state == "uninstalled"
