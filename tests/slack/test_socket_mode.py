"""`debtpulse socket` serves the very listeners `debtpulse serve` does (same build_app)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bot.listeners import app as app_module
from bot.sandbox import FakeSlack
from storage import db

WORKER: list[str] = []


@contextmanager
def _no_worker(runtime: Any) -> Iterator[None]:
    WORKER.append("started")  # the scheduler thread itself is covered by tests/jobs
    try:
        yield
    finally:
        WORKER.append("stopped")  # leaving the block stops it and releases the lease


def _socket_env(
    monkeypatch: pytest.MonkeyPatch, fake: FakeSlack, url: str, *, app_token: str
) -> None:
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_APP_TOKEN": app_token,
        "SLACK_API_URL": fake.base_url,
        "DATABASE_URL": url,
        "DEBTPULSE_ANON_SECRET": "anon",
    }.items():
        monkeypatch.setenv(name, value)


def test_socket_mode_runs_the_same_listeners(
    monkeypatch: pytest.MonkeyPatch, tmp_path, cli
) -> None:
    url = f"sqlite:///{tmp_path / 'socket.db'}"
    db.upgrade(db.make_engine(url))
    started: dict[str, Any] = {}

    class FakeHandler:
        def __init__(self, app: Any, app_token: str) -> None:
            started["app"], started["token"] = app, app_token

        def connect(self) -> None:
            started["started"] = True
            # the process is then told to stop, as a platform stops it on a deploy
            threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()

        def close(self) -> None:
            started["closed"] = True

    monkeypatch.setattr("slack_bolt.adapter.socket_mode.SocketModeHandler", FakeHandler)
    monkeypatch.setattr("bot.jobs.worker.background_worker", _no_worker)
    built: list[Any] = []
    original = app_module.build_app

    def spy(runtime: Any, **kwargs: Any) -> Any:
        built.append(original(runtime, **kwargs))
        return built[-1]

    monkeypatch.setattr("bot.listeners.app.build_app", spy)
    with FakeSlack() as fake:
        _socket_env(monkeypatch, fake, url, app_token="xapp-1-secret")
        result = cli("socket")
    assert result.code == 0, result
    assert started == {
        "app": built[0],
        "token": "xapp-1-secret",
        "started": True,
        "closed": True,
    }
    assert WORKER[-2:] == ["started", "stopped"]  # SIGTERM stopped the scheduler cleanly
    names = sorted(listener.ack_function.__qualname__ for listener in built[0]._listeners)
    assert "handle_debt" in names and "publish_home" in names and "handle_add" in names


def test_socket_mode_needs_the_app_token(monkeypatch: pytest.MonkeyPatch, cli) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    result = cli("socket")
    assert result.code == 2
    assert "SLACK_APP_TOKEN: required but not set" in result.err


def test_a_refused_app_token_is_one_line_and_starts_no_scheduler(
    monkeypatch: pytest.MonkeyPatch, tmp_path, cli
) -> None:
    url = f"sqlite:///{tmp_path / 'socket.db'}"
    db.upgrade(db.make_engine(url))
    WORKER.clear()
    monkeypatch.setattr("bot.jobs.worker.background_worker", _no_worker)
    with FakeSlack() as fake:  # the fake has no apps.connections.open: Slack says no
        _socket_env(monkeypatch, fake, url, app_token="xapp-1-revoked")
        result = cli("socket")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "debtpulse: configuration error: SLACK_APP_TOKEN: Slack refused Socket Mode "
        "(unknown_method)"
    ]
    assert WORKER == []


def test_slack_out_of_reach_is_one_line_and_starts_no_scheduler(
    monkeypatch: pytest.MonkeyPatch, tmp_path, cli
) -> None:
    url = f"sqlite:///{tmp_path / 'socket.db'}"
    db.upgrade(db.make_engine(url))
    WORKER.clear()
    monkeypatch.setattr("bot.jobs.worker.background_worker", _no_worker)
    with FakeSlack() as fake:
        fake.drop_next("*", times=10_000)  # every call's connection is reset
        _socket_env(monkeypatch, fake, url, app_token="xapp-1-secret")
        result = cli("socket")
    assert result.code == 2
    assert result.err.strip().splitlines()[-1] == (
        "debtpulse: could not reach Slack to connect Socket Mode (ConnectionResetError); "
        "nothing was started"
    )
    assert "Traceback" not in result.err
    assert WORKER == []
