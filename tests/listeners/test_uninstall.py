"""A single-workspace install learns of its uninstall from Slack's event: the workspace is
recorded gone (with which token went), its unsent messages stopped, and nothing of it runs
until another token is configured."""

from __future__ import annotations

from pydantic import SecretStr
from sqlmodel import select

from bot.runtime import Runtime
from bot.services import workspaces
from storage.models import AuditEvent, PollDelivery, TeamState
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
