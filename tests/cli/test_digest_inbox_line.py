"""The digest says so in one line when more groups of webhook signals wait in the inbox than
at the last digest, and says nothing when the inbox did not grow."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.core.digest import assemble
from bot.core.digest_model import DigestInputs, InboxCount
from bot.core.routing import group_key
from bot.core.webhooks.events import HookEvent
from bot.services import inbox
from storage import register
from storage.types import utcnow
from tests.factories import digest_template

TEAM = "local"
LINE = "Signals inbox:"


def _alert(name: str, hours_ago: float) -> HookEvent:
    return HookEvent(
        source="alertmanager",
        kind="alert",
        action="open",
        dedup_key=f"am:{name}",
        observed_at=utcnow() - timedelta(hours=hours_ago),
        title=f"{name} firing",
        attributes={"alertname": name},
    )


def _file(session: Session, name: str, *, days_ago: float) -> str:
    event = _alert(name, days_ago * 24)
    inbox.file_unrouted(session, TEAM, event, received_at=utcnow() - timedelta(days=days_ago))
    return group_key(event)


def test_the_digest_says_when_the_inbox_grew(cli, cli_db: Engine, session: Session) -> None:  # type: ignore[no-untyped-def]
    register.upsert_item(
        session, team_id=TEAM, key="DEBT-1", fields={"title": "Disks"}, now=utcnow()
    )
    # waiting before the last digest (at most 13 days ago): one still waits, one was ignored
    _file(session, "DiskFull", days_ago=20)
    old = _file(session, "NodeDown", days_ago=20)
    inbox.ignore_group(session, TEAM, old, actor="U0LEAD", now=utcnow() - timedelta(hours=2))
    # new since
    fresh = [_file(session, name, days_ago=0.1) for name in ("HighLatency", "QueueBacklog")]
    session.commit()

    grown = cli("digest", "preview", "--team", TEAM)
    assert grown.code == 0, grown
    (line,) = [text for text in grown.out.splitlines() if LINE in text]
    assert "3 groups of webhook signals wait for an item, up from 2 at the last digest" in line
    assert "A lead routes them with /debt inbox" in line

    for key in fresh:
        inbox.ignore_group(session, TEAM, key, actor="U0LEAD", now=utcnow())
    session.commit()
    shrunk = cli("digest", "preview", "--team", TEAM)
    assert shrunk.code == 0, shrunk
    assert LINE not in shrunk.out


def test_the_line_is_decided_by_the_counts_alone() -> None:
    base = DigestInputs(
        template=digest_template(), week=utcnow().date(), items=(), weeks=(), weekly_pain={}
    )
    assert assemble(base).inbox is None
    for waiting, before, said in ((1, 0, True), (4, 4, False), (2, 5, False), (0, 0, False)):
        content = assemble(replace(base, inbox=InboxCount(waiting, before)))
        assert (content.inbox is not None) == said, (waiting, before)
