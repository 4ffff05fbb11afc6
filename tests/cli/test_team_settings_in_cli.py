"""The CLI reads a workspace with that workspace's settings: a minimum group raised with
`debtpulse config set` suppresses in `digest preview` what it suppresses in Slack."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.core.anonymity import day_only
from storage import polls, responses
from storage.types import utcnow
from tests.conftest import CliResult
from tests.factories import make_item

TEAM = "local"  # no Slack configured: the one workspace


def _answers(session: Session, *, item_id: int, people: int) -> None:
    when = utcnow() - timedelta(days=2)
    run, _ = polls.claim_run(
        session, team_id=TEAM, survey_id="pulse", scheduled_for=when, values={"anonymous": False}
    )
    assert run.id is not None
    for who in range(people):
        responses.upsert_response(
            session,
            team_id=TEAM,
            poll_run_id=run.id,
            question_id="pain",
            debt_item_id=item_id,
            respondent=f"U{who}",
            value=4,
            text_value=None,
            at=day_only(when),
        )


def test_digest_preview_uses_the_workspaces_minimum_group(
    cli: Callable[..., CliResult], cli_db: Engine, session: Session
) -> None:
    item = make_item(session, "DEBT-1", team_id=TEAM, title="Flaky ingestion")
    assert item.id is not None
    _answers(session, item_id=item.id, people=6)
    session.commit()

    before = cli("digest", "preview", "--team", TEAM)
    assert before.code == 0, before
    assert cli("config", "set", "min_group", "7", "--team", TEAM).code == 0
    after = cli("digest", "preview", "--team", TEAM)
    assert after.code == 0, after
    assert "operational · no owner · 6 people" in before.out
    assert "operational · no owner · fewer than 7 people" in after.out
    assert "6 people" not in after.out
    assert "answers from fewer than 7 people are never shown" in after.out
