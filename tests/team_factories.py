"""A workspace with a row in every table that holds a team's data, for the purge tests; and
OAuth installs in slack_sdk's installation store."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine
from sqlmodel import Session

from storage.models import (
    AnswerRelease,
    Assessment,
    AuditEvent,
    DashboardLink,
    DigestPost,
    HeldAnswer,
    InboundEvent,
    MetricPoint,
    Participation,
    PollDelivery,
    PollResultPost,
    PrioritySnapshot,
    Response,
    SchedulerLease,
    Signal,
    SignalInbox,
    SignalRoute,
    SignalToken,
    SlackPace,
    Survey,
    TeamSetting,
    TeamState,
    WebhookSecret,
)
from tests.factories import NOW, make_item, make_run

CLIENT_ID = "1111.2222"


def _hash(team: str, what: str) -> str:
    return hashlib.sha256(f"{team}:{what}".encode()).hexdigest()


def install(
    engine: Engine,
    team: str,
    *,
    token: str | None = None,
    installed_at: float | None = None,
    expires_in: int | None = None,
    refresh_token: str | None = None,
    name: str | None = None,
) -> Installation:
    """Save an OAuth install of ``team`` as Bolt's OAuth flow does."""
    installation = Installation(
        app_id="A0DEBTPULSE",
        enterprise_id=None,
        team_id=team,
        team_name=name or team.lower(),
        bot_token=token or f"xoxb-{team.lower()}-stored",
        bot_id="B0BOT",
        bot_user_id="U0BOT",
        bot_scopes="chat:write,commands",
        bot_refresh_token=refresh_token,
        bot_token_expires_in=expires_in,
        user_id="U0INSTALLER",
        installed_at=installed_at if installed_at is not None else time.time(),
    )
    SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine).save(installation)
    return installation


def fill_team(session: Session, team: str) -> None:
    """One row (at least) of ``team`` in every table that holds a team's data."""
    day = NOW.date()
    item = make_item(session, "DEBT-1", team_id=team)
    run = make_run(session, team_id=team)
    assert item.id is not None and run.id is not None
    at = {"created_at": NOW}
    session.add_all(
        [
            Assessment(
                team_id=team,
                debt_item_id=item.id,
                impact=3,
                likelihood=3,
                detectability=3,
                assessed_by="U1",
            ),
            Survey(team_id=team, survey_id="weekly-debt-pulse", content_hash="h"),
            PollDelivery(team_id=team, poll_run_id=run.id, recipient="U1"),
            PollResultPost(team_id=team, poll_run_id=run.id, channel_id="C0POLLS"),
            Response(
                team_id=team,
                poll_run_id=run.id,
                question_id="pain",
                debt_item_id=item.id,
                respondent="r1",
                value=3,
                answered_at=NOW,
                answered_day=day,
            ),
            Participation(team_id=team, poll_run_id=run.id, user_id="U1", answered_on=day),
            HeldAnswer(
                team_id=team,
                poll_run_id=run.id,
                question_id="pain",
                debt_item_id=item.id,
                respondent="r2",
                key_id="k1",
                person="p2",
                value=4,
                answered_day=day,
            ),
            AnswerRelease(
                team_id=team,
                poll_run_id=run.id,
                question_id="pain",
                debt_item_id=item.id,
                day=day,
                people=5,
                answers=5,
            ),
            Signal(
                team_id=team,
                debt_item_id=item.id,
                kind="incident",
                observed_at=NOW,
                dedup_key="pd-1",
            ),
            MetricPoint(
                team_id=team,
                metric="cycle_time",
                scope="team",
                value=1.5,
                unit="h",
                observed_at=NOW,
                source="api",
            ),
            SignalToken(
                team_id=team, token_hash=_hash(team, "signals"), hint="dps_", created_by="U1", **at
            ),
            WebhookSecret(
                team_id=team, source="github", sealed="sealed", key_id="k1", created_by="U1", **at
            ),
            PrioritySnapshot(
                team_id=team,
                taken_for=day,
                debt_item_id=item.id,
                rank=1,
                score=40,
                weights_version="v1",
            ),
            AuditEvent(team_id=team, actor="U1", action="item.add", subject="DEBT-1", at=NOW),
            InboundEvent(team_id=team, event_id="Ev1"),
            SlackPace(team_id=team, key="chat.postMessage"),
            DigestPost(team_id=team, digest_id="weekly-digest", week=day, channel_id="C0DIGEST"),
            SignalInbox(
                team_id=team,
                source="alertmanager",
                kind="alert",
                dedup_key="am-1",
                observed_at=NOW,
                group_key="alertmanager/alert",
                received_at=NOW,
            ),
            SignalRoute(
                team_id=team, match={"source": "sentry"}, debt_key="DEBT-1", created_by="U1", **at
            ),
            TeamSetting(
                team_id=team,
                key="poll_channel",
                value='"C0POLLS"',
                changed_by="U1",
                changed_at=NOW,
            ),
            DashboardLink(token_hash=_hash(team, "dash"), team_id=team, user_id="U1", **at),
        ]
    )
    session.flush()


def gone(session: Session, team: str, *, days_ago: int = 31, purge_in: int | None = -1) -> None:
    """Record ``team`` as uninstalled ``days_ago`` days before NOW (purge ``purge_in`` days
    from NOW; None: kept)."""
    when = NOW - timedelta(days=days_ago)
    session.add(
        TeamState(
            team_id=team,
            state="uninstalled",
            uninstalled_at=when,
            purge_after=NOW + timedelta(days=purge_in) if purge_in is not None else None,
            updated_at=when,
        )
    )
    session.flush()


def shared_rows(session: Session) -> None:
    """A row of no team's (the scheduler's lease): a purge leaves it."""
    session.add(
        SchedulerLease(
            name="scheduler",
            holder="worker-1",
            acquired_at=NOW,
            renewed_at=NOW,
            expires_at=NOW + timedelta(minutes=1),
        )
    )
    session.flush()
