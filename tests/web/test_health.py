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
