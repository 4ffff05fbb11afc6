"""``GET /healthz`` tells a load balancer whether this process can reach its database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.runtime import build_runtime
from bot.web.wsgi import make_wsgi_app
from storage import db


def _get(app: Any, path: str) -> tuple[str, dict[str, Any]]:
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, start_response))
    return seen["status"], json.loads(body)


def test_a_deleted_sqlite_file_makes_the_process_unhealthy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "health.db"
    url = f"sqlite:///{path}"
    db.upgrade(db.make_engine(url))
    monkeypatch.setenv("DATABASE_URL", url)
    runtime = build_runtime(load_settings(), default_team="T0TEST")
    app = make_wsgi_app(runtime, bolt_app=None)  # type: ignore[arg-type]  # /healthz only
    assert _get(app, "/healthz") == ("200 OK", {"ok": True, "database": "ok"})
    with runtime.engine.connect():  # a pooled connection keeps the deleted file readable
        path.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        status, body = _get(app, "/healthz")
    assert status.startswith("503") and body == {"ok": False, "database": "unavailable"}


class _Unread:
    """A request body that must not be read."""

    def read(self, *_: Any) -> bytes:
        raise AssertionError("the body was read")


def test_an_oversized_slack_request_is_refused_before_its_body_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bolt reads a whole body before checking its signature: an unsigned 1 GB POST must not
    be held in memory."""
    reached: list[str] = []

    class Bolt:
        def __init__(self, app: Any, path: str) -> None:
            pass

        def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
            reached.append(environ["CONTENT_LENGTH"])
            start_response("401 Unauthorized", [])
            return [b""]

    monkeypatch.setattr("bot.web.wsgi.SlackRequestHandler", Bolt)
    url = f"sqlite:///{tmp_path / 'web.db'}"
    db.upgrade(db.make_engine(url))
    monkeypatch.setenv("DATABASE_URL", url)
    app = make_wsgi_app(build_runtime(load_settings(), default_team="T0TEST"), bolt_app=None)  # type: ignore[arg-type]
    seen: dict[str, str] = {}

    def post(length: str) -> bytes:
        environ = {
            "PATH_INFO": "/slack/events",
            "REQUEST_METHOD": "POST",
            "CONTENT_LENGTH": length,
            "wsgi.input": _Unread(),
        }
        return b"".join(app(environ, lambda status, headers: seen.update(status=status)))

    body = post(str(1024**3))
    assert seen["status"] == "413 Payload Too Large"
    assert json.loads(body) == {"ok": False, "error": "request too large"}
    assert post("nonsense") and seen["status"] == "400 Bad Request"
    assert not reached
    post("2048")  # a request of Slack's size goes on to Bolt's signature check
    assert reached == ["2048"]
