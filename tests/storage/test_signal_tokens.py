"""A workspace's signals token is stored as its SHA-256 only, one per team; rotating replaces
it in one transaction, and every token made is audited (with hints, never the token)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from bot.services import signal_tokens
from storage.db import session_scope
from storage.models import AuditEvent, SignalToken

NOW = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)


def _rotate(engine: Engine, team: str = "T0A", actor: str = "cli:ops") -> str:
    with session_scope(engine) as session:
        issued = signal_tokens.rotate(session, team_id=team, actor=actor, reason="test", now=NOW)
    return issued.token


def _team_of(engine: Engine, token: str) -> str | None:
    with session_scope(engine, write=False) as session:
        return signal_tokens.team_of(session, token)


def _every_cell(engine: Engine, table: str) -> str:
    """Every value of every row of ``table``, as text."""
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT * FROM {table}")).all()
    return "\n".join(repr(tuple(row)) for row in rows)


def test_only_the_tokens_hash_is_stored(engine: Engine) -> None:
    token = _rotate(engine)
    assert token.startswith("dps_") and len(token) == 4 + 43
    stored = _every_cell(engine, "signal_token")
    audited = _every_cell(engine, "audit_event")
    for secret_part in (token, token[4:], token[8:]):
        assert secret_part not in stored and secret_part not in audited
    with session_scope(engine, write=False) as session:
        row = session.exec(select(SignalToken)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (row.team_id, row.hint, row.created_by) == ("T0A", token[:8], "cli:ops")
    assert row.created_at == NOW
    assert _team_of(engine, token) == "T0A"


def test_rotating_replaces_the_token_and_the_old_one_stops_working(engine: Engine) -> None:
    first = _rotate(engine)
    other = _rotate(engine, team="T0B")
    second = _rotate(engine, actor="U0LEAD")
    assert first != second
    assert _team_of(engine, first) is None
    assert (_team_of(engine, second), _team_of(engine, other)) == ("T0A", "T0B")
    with session_scope(engine, write=False) as session:
        rows = session.exec(select(SignalToken.team_id).order_by(SignalToken.team_id)).all()
        info = signal_tokens.current(session, team_id="T0A")
        trail = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert rows == ["T0A", "T0B"]  # one token per team
    assert info is not None and (info.hint, info.created_by) == (second[:8], "U0LEAD")
    assert info.shown_hint == second[:8] + "…"
    assert [(e.team_id, e.action, e.actor, e.subject) for e in trail] == [
        ("T0A", "signals_token.created", "cli:ops", "signals token"),
        ("T0B", "signals_token.created", "cli:ops", "signals token"),
        ("T0A", "signals_token.rotated", "U0LEAD", "signals token"),
    ]
    assert trail[0].before is None and trail[0].after == {"hint": first[:8]}
    assert trail[2].before == {"hint": first[:8], "created_at": NOW.isoformat()}
    assert trail[2].after == {"hint": second[:8]}


def test_a_rotation_that_fails_keeps_the_old_token(engine: Engine) -> None:
    token = _rotate(engine)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        signal_tokens.rotate(
            session, team_id="T0A", actor="cli:ops", reason="test", now=NOW + timedelta(days=1)
        )
        raise RuntimeError("the command fails after the rotation, before the commit")
    assert _team_of(engine, token) == "T0A"
    with session_scope(engine, write=False) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert actions == ["signals_token.created"]


def test_only_a_whole_token_is_recognised(engine: Engine) -> None:
    token = _rotate(engine)
    for almost in ("", "dps_", token[:-1], token + "x", token.upper(), token[4:], " " + token):
        assert _team_of(engine, almost) is None, almost
    assert _team_of(engine, "dps_" + "x" * 10_000) is None  # not even hashed and looked up
    with session_scope(engine, write=False) as session:
        assert signal_tokens.current(session, team_id="T0NONE") is None
