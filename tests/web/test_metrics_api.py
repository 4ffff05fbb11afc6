"""``POST /api/metrics`` through the WSGI app: the bearer tokens of ``/api/signals`` (a
workspace's own, or ``DEBTPULSE_SIGNALS_TOKEN`` for the posting workspace), the size limits,
and every point stored or none."""

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
from sqlmodel import Session, col, select

from bot.config import load_settings
from bot.runtime import Runtime, build_runtime
from bot.services import signal_tokens
from bot.web import api_auth, metrics_api
from bot.web.wsgi import make_wsgi_app
from storage import db, register
from storage.models import MetricPoint

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
ENV_TOKEN = "env-signals-token-for-tests"
WRONG = (401, {"ok": False, "error": "missing or wrong bearer token"})
POINT = {"metric": "mttr_hours", "scope": "team", "value": 3.5, "observed_at": "2026-12-07"}
Post = Callable[..., tuple[int, Any]]


@pytest.fixture
def items(engine: Engine) -> Engine:
    """DEBT-1 (component ingestion) in two workspaces, T0A (the posting one) and T0B."""
    with Session(engine) as session:
        for team in ("T0A", "T0B"):
            register.upsert_item(
                session,
                team_id=team,
                key="DEBT-1",
                fields={"title": "Flaky ingestion", "component": "ingestion"},
                now=NOW,
            )
        session.commit()
    return engine


@pytest.fixture
def env_token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DEBTPULSE_SIGNALS_TOKEN", ENV_TOKEN)
    return ENV_TOKEN


def _runtime(engine: Engine) -> Runtime:
    return build_runtime(load_settings(), engine=engine, default_team="T0A", clock=lambda: NOW)


def _rotate(runtime: Runtime, team: str) -> str:
    with runtime.transaction() as session:
        return signal_tokens.rotate(
            session, team_id=team, actor="cli:ops", reason="test", now=NOW
        ).token


def _poster(runtime: Runtime) -> Post:
    app = make_wsgi_app(runtime, bolt_app=None)  # type: ignore[arg-type]  # no Slack routes used

    def post(
        token: str | None, body: object, team: str | None = None, method: str = "POST"
    ) -> tuple[int, Any]:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        environ = {
            "PATH_INFO": "/api/metrics",
            "REQUEST_METHOD": method,
            "QUERY_STRING": urlencode({"team": team}) if team else "",
            "CONTENT_LENGTH": str(len(raw)),
            "wsgi.input": io.BytesIO(raw),
        }
        if token is not None:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        seen: dict[str, str] = {}
        reply = b"".join(app(environ, lambda status, headers: seen.update(status=status)))
        return int(seen["status"].split()[0]), json.loads(reply)

    return post


def _stored(engine: Engine) -> list[tuple[str, str, str, float]]:
    with Session(engine) as session:
        rows = session.exec(select(MetricPoint).order_by(col(MetricPoint.id))).all()
        return [(p.team_id, p.metric, p.scope, p.value) for p in rows]


def test_a_workspace_token_posts_for_its_own_workspace(items: Engine, env_token: str) -> None:
    runtime = _runtime(items)
    post = _poster(runtime)
    token_b = _rotate(runtime, "T0B")
    assert post(token_b, POINT) == (201, {"ok": True, "stored": 1, "replaced": 0})
    batch = {"points": [POINT | {"value": 4.0}, POINT | {"scope": "debt-1"}]}
    assert post(token_b, batch, team="T0B") == (201, {"ok": True, "stored": 1, "replaced": 1})
    assert post(token_b, POINT | {"value": 5.0}) == (200, {"ok": True, "stored": 0, "replaced": 1})
    assert post(token_b, POINT, team="T0A") == WRONG  # another workspace: a wrong token
    assert post(env_token, POINT | {"scope": "ingestion"}) == (
        201,
        {"ok": True, "stored": 1, "replaced": 0},
    )
    assert post(env_token, POINT, team="T0B") == WRONG
    assert post(None, POINT) == WRONG
    assert _stored(items) == [
        ("T0B", "mttr_hours", "team", 5.0),
        ("T0B", "mttr_hours", "DEBT-1", 3.5),
        ("T0A", "mttr_hours", "ingestion", 3.5),
    ]
    assert post(env_token, POINT, method="GET") == (405, {"ok": False, "error": "use POST"})


def test_without_any_token_metrics_are_disabled(items: Engine) -> None:
    post = _poster(_runtime(items))
    status, reply = post("anything", POINT)
    assert status == 401 and reply["error"].startswith("metrics are disabled")
    assert _stored(items) == []


def test_bad_points_are_refused_all_together_naming_each_field(
    items: Engine, env_token: str
) -> None:
    post = _poster(_runtime(items))
    body = {
        "points": [
            POINT,
            POINT | {"observed_at": "2026-12-09"},  # tomorrow, after NOW
            POINT | {"scope": "checkout", "unit": "minutes"},
        ]
    }
    status, reply = post(env_token, body)
    assert status == 422 and reply["error"] == "invalid metrics"
    assert [(e["field"], e["message"].split(" (")[0]) for e in reply["errors"]] == [
        ("points[1].observed_at", "in the future"),
        (
            "points[2].scope",
            "'checkout' is not team, a component of this team's register or one of its debt keys",
        ),
        (
            "points[2].unit",
            "'minutes' is not the unit of mttr_hours: expected 'hours', or leave it out",
        ),
    ]
    assert _stored(items) == []

    many = {"points": [POINT | {"value": "x"}] * 150}
    status, reply = post(env_token, many)
    assert status == 422 and len(reply["errors"]) == metrics_api.MAX_ERRORS + 1
    assert reply["errors"][-1] == {"field": "points", "message": "and 50 more problems"}


def test_too_large_a_body_or_too_many_points_is_refused_unread(
    items: Engine, env_token: str
) -> None:
    post = _poster(_runtime(items))
    status, reply = post(env_token, b"x" * (metrics_api.MAX_BODY + 1))
    assert (status, reply["error"]) == (413, "body over 1048576 bytes")
    status, reply = post(env_token, {"points": [{}] * 5001})
    assert status == 413 and reply["max_points"] == 5000
    assert _stored(items) == []
    assert post("wrong", b"x" * (metrics_api.MAX_BODY + 1)) == WRONG  # the token comes first


def test_a_token_rotated_while_its_points_are_on_the_way_stores_nothing(
    items: Engine, env_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = _runtime(items)
    post = _poster(runtime)
    old = _rotate(runtime, "T0B")
    authorize = api_auth.authorize

    def rotated_meanwhile(*args: Any, **kwargs: Any) -> api_auth.Caller:
        caller = authorize(*args, **kwargs)
        _rotate(runtime, "T0B")  # after the check, before the write
        return caller

    monkeypatch.setattr(api_auth, "authorize", rotated_meanwhile)
    assert post(old, POINT) == WRONG
    assert _stored(items) == []


def test_a_database_gone_is_a_503_and_no_reply_or_log_holds_a_token(
    items: Engine, env_token: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    runtime = _runtime(items)
    post = _poster(runtime)
    token = _rotate(runtime, "T0B")
    replies = [post(token, POINT), post(token, {"points": [POINT | {"value": "secret?"}]})]
    runtime.engine = db.make_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")
    replies.append(post(token, POINT))
    replies.append(post(env_token, POINT))
    assert (
        replies[-2:]
        == [(503, {"ok": False, "error": "database unavailable; nothing was stored, retry"})] * 2
    )
    said = json.dumps(replies) + caplog.text
    for secret in (token, env_token, token[8:]):
        assert secret not in said
