"""``POST /api/signals`` with each workspace's own token: valid for that workspace only
(``?team=`` may be left out), refused at once when rotated; ``DEBTPULSE_SIGNALS_TOKEN``
keeps working for the posting workspace, and for no other."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.config import load_settings
from bot.runtime import Runtime, build_runtime
from bot.services import signal_tokens
from bot.web import signals_api
from bot.web.wsgi import make_wsgi_app
from storage import db, register
from storage.models import Signal

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
ENV_TOKEN = "env-signals-token-for-tests"
WRONG = (401, {"ok": False, "error": "missing or wrong bearer token"})
Post = Callable[..., tuple[int, dict[str, Any]]]


def _signal(dedup_key: str) -> bytes:
    return json.dumps(
        {
            "debt_key": "DEBT-1",
            "kind": "incident",
            "observed_at": "2026-12-08T10:00:00Z",
            "dedup_key": dedup_key,
        }
    ).encode()


def _stored(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(Signal).order_by(Signal.id)).all()
        return [(s.team_id, s.dedup_key) for s in rows]


def _rotate(runtime: Runtime, team: str) -> str:
    with runtime.transaction() as session:
        return signal_tokens.rotate(
            session, team_id=team, actor="cli:ops", reason="test", now=NOW
        ).token


@pytest.fixture
def items(engine: Engine) -> Engine:
    """DEBT-1 in two workspaces, T0A (the posting one) and T0B."""
    with Session(engine) as session:
        for team in ("T0A", "T0B"):
            register.upsert_item(
                session, team_id=team, key="DEBT-1", fields={"title": "Flaky ingestion"}, now=NOW
            )
        session.commit()
    return engine


def _runtime(engine: Engine, *, default_team: str = "T0A") -> Runtime:
    return build_runtime(
        load_settings(), engine=engine, default_team=default_team, clock=lambda: NOW
    )


def _poster(runtime: Runtime) -> Post:
    app = make_wsgi_app(runtime, bolt_app=None)  # type: ignore[arg-type]  # no Slack routes used

    def post(token: str | None, dedup_key: str, team: str | None = None) -> tuple[int, Any]:
        body = _signal(dedup_key)
        environ = {
            "PATH_INFO": "/api/signals",
            "REQUEST_METHOD": "POST",
            "QUERY_STRING": urlencode({"team": team}) if team else "",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        if token is not None:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        seen: dict[str, str] = {}
        reply = b"".join(app(environ, lambda status, headers: seen.update(status=status)))
        return int(seen["status"].split()[0]), json.loads(reply)

    return post


@pytest.fixture
def env_token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DEBTPULSE_SIGNALS_TOKEN", ENV_TOKEN)
    return ENV_TOKEN


def test_a_workspace_token_stores_for_its_own_workspace(items: Engine, env_token: str) -> None:
    runtime = _runtime(items)
    post = _poster(runtime)
    token_b = _rotate(runtime, "T0B")
    assert post(token_b, "PD-1") == (201, {"ok": True, "stored": True, "dedup_key": "PD-1"})
    assert post(token_b, "PD-2", team="T0B")[0] == 201
    assert post(token_b, "PD-2", team="T0B")[1]["duplicate"] is True
    assert _stored(items) == [("T0B", "PD-1"), ("T0B", "PD-2")]


def test_a_workspace_token_for_another_workspace_is_refused_like_a_wrong_one(
    items: Engine, env_token: str
) -> None:
    runtime = _runtime(items)
    post = _poster(runtime)
    token_a, token_b = _rotate(runtime, "T0A"), _rotate(runtime, "T0B")
    assert post(token_a, "PD-1", team="T0B") == WRONG
    assert post(token_b, "PD-1", team="T0A") == WRONG
    # a workspace that does not exist gets the very same answer: no hint which ones do
    assert post(token_a, "PD-1", team="T0NOSUCH") == WRONG
    assert post("dps_" + "x" * 43, "PD-1") == WRONG
    assert post(None, "PD-1") == WRONG
    assert _stored(items) == []


def test_a_rotated_token_is_refused_at_once(items: Engine, env_token: str) -> None:
    runtime = _runtime(items)
    post = _poster(runtime)
    old = _rotate(runtime, "T0B")
    assert post(old, "PD-1")[0] == 201
    new = _rotate(runtime, "T0B")
    assert post(old, "PD-2") == WRONG
    assert post(new, "PD-2")[0] == 201
    assert _stored(items) == [("T0B", "PD-1"), ("T0B", "PD-2")]


def test_a_token_rotated_while_its_signal_is_on_the_way_stores_nothing(
    items: Engine, env_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = _runtime(items)
    post = _poster(runtime)
    old = _rotate(runtime, "T0B")
    parse = signals_api.parse_signal

    def rotated_meanwhile(line: int, raw: str) -> Any:  # after the check, before the store
        _rotate(runtime, "T0B")
        return parse(line, raw)

    monkeypatch.setattr(signals_api, "parse_signal", rotated_meanwhile)
    assert post(old, "PD-1") == WRONG
    assert _stored(items) == []


def test_the_env_token_still_works_for_the_posting_workspace_only(
    items: Engine, env_token: str
) -> None:
    runtime = _runtime(items)
    post = _poster(runtime)
    assert post(env_token, "PD-1")[0] == 201
    _rotate(runtime, "T0A")  # a workspace token beside it does not turn it off
    assert post(env_token, "PD-2", team="T0A")[0] == 201
    assert post(env_token, "PD-3", team="T0B") == WRONG
    assert post(env_token, "PD-3", team="T0NOSUCH") == WRONG
    assert _stored(items) == [("T0A", "PD-1"), ("T0A", "PD-2")]


def test_with_several_oauth_workspaces_the_env_token_serves_none(
    items: Engine, env_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slack_sdk.oauth.installation_store import Installation
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    monkeypatch.setenv("SLACK_CLIENT_ID", "1.2")
    store = SQLAlchemyInstallationStore(client_id="1.2", engine=items)
    for team in ("T0A", "T0B"):
        store.save(
            Installation(
                app_id="A1",
                team_id=team,
                user_id="U1",
                bot_token=f"xoxb-{team}",
                bot_id="B1",
                bot_user_id="U0BOT",
            )
        )
    runtime = _runtime(items, default_team="")  # as serve starts with several installed
    post = _poster(runtime)
    status, reply = post(env_token, "PD-1", team="T0A")
    assert status == 422
    assert reply["errors"][0]["field"] == "team"
    assert "each workspace's own token" in reply["errors"][0]["message"]
    assert post(_rotate(runtime, "T0A"), "PD-1")[0] == 201
    assert _stored(items) == [("T0A", "PD-1")]


def test_without_any_token_signals_are_disabled(items: Engine) -> None:
    runtime = _runtime(items)
    post = _poster(runtime)
    status, reply = post("anything", "PD-1")
    assert status == 401 and reply["error"].startswith("signals are disabled")
    token = _rotate(runtime, "T0A")  # a workspace token alone enables them
    assert post("anything", "PD-1") == WRONG
    assert post(token, "PD-1")[0] == 201


def test_no_reply_or_log_line_holds_a_token(
    items: Engine, env_token: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    runtime = _runtime(items)
    post = _poster(runtime)
    old = _rotate(runtime, "T0B")
    new = _rotate(runtime, "T0B")
    replies = [
        post(old, "PD-1"),
        post(new, "PD-1", team="T0A"),
        post(new, "PD-1"),
        post(env_token, "PD-2", team="T0B"),
    ]
    # the database goes away while the process runs
    runtime.engine = db.make_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")
    replies.append(post(new, "PD-3"))
    assert replies[-1] == (
        503,
        {"ok": False, "error": "database unavailable; nothing was stored, retry"},
    )
    said = json.dumps(replies) + caplog.text
    for secret in (old, new, env_token, old[8:], new[8:]):
        assert secret not in said
