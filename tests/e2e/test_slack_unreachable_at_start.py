"""`debtpulse serve` starts while Slack cannot be reached, and finds its workspace later."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import select

from bot.sandbox import FakeSlack
from storage import db
from storage.models import DebtItem, Signal
from tests.e2e.conftest import SIGNALS_TOKEN, TEAM, free_port, server_env, start_server

pytestmark = pytest.mark.e2e


def _post_signal(url: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        f"{url}/api/signals", data=json.dumps(body).encode(), method="POST"
    )
    request.add_header("Authorization", f"Bearer {SIGNALS_TOKEN}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_starts_without_slack_and_stores_signals_once_slack_answers(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite:///{tmp_path / 'debtpulse.db'}"
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with db.session_scope(engine) as session:
        session.add(DebtItem(team_id=TEAM, key="DEBT-1", title="Flaky ingestion"))
    with FakeSlack(post_rate=None) as fake:
        fake.workspace.team_id = TEAM
        fake.drop_next("auth.test", times=10_000)  # every auth.test at start fails
        port = free_port()
        process = start_server(
            env=server_env(fake, database_url), port=port, log=tmp_path / "serve.log"
        )
        try:
            fake.clear_faults()  # Slack answers again
            status, body = _post_signal(
                f"http://127.0.0.1:{port}",
                {
                    "debt_key": "DEBT-1",
                    "kind": "incident",
                    "observed_at": "2026-11-20T10:00:00Z",
                    "dedup_key": "PD-1",
                },
            )
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert (status, body.get("stored")) == (201, True), body
    with db.session_scope(engine, write=False) as session:
        signals = session.exec(select(Signal)).all()
        assert [(s.team_id, s.dedup_key) for s in signals] == [(TEAM, "PD-1")]
