"""`debtpulse socket` refuses to start, in one line and with no scheduler, when it cannot
connect; tests/e2e/test_socket_mode.py runs it against the fake Slack's Socket Mode."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bot.sandbox import BOT_TOKEN, FakeSlack
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
    with FakeSlack() as fake:
        _socket_env(monkeypatch, fake, url, app_token="xapp-1-revoked")
        result = cli("socket")
        assert fake.calls_to("apps.connections.open")[0].error == "invalid_auth"
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "debtpulse: configuration error: SLACK_APP_TOKEN: Slack refused Socket Mode (invalid_auth)"
    ]
    assert WORKER == []


@pytest.mark.parametrize(
    ("token", "said"),
    [
        (
            BOT_TOKEN,
            "(not_allowed_token_type): it takes an app-level token (xapp-…), not the bot token",
        ),
        ("xapp-no-scope", "(missing_scope): the app-level token needs the connections:write scope"),
    ],
)
def test_the_wrong_kind_of_token_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path, cli, token: str, said: str
) -> None:
    url = f"sqlite:///{tmp_path / 'socket.db'}"
    db.upgrade(db.make_engine(url))
    WORKER.clear()
    monkeypatch.setattr("bot.jobs.worker.background_worker", _no_worker)
    with FakeSlack() as fake:
        fake.workspace.add_app_token("xapp-no-scope", scopes=())
        _socket_env(monkeypatch, fake, url, app_token=token)
        result = cli("socket")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"debtpulse: configuration error: SLACK_APP_TOKEN: Slack refused Socket Mode {said}"
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
