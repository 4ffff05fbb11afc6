"""Signals from a sender's clock: ``observed_at`` ahead of ours is refused, in a file and
over ``POST /api/signals`` alike (both go through ``store_signals`` with the caller's now)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from bot.config import load_settings
from bot.core.problems import InputRejected
from bot.core.signals_in import parse_signal, store_signals
from bot.runtime import build_runtime
from bot.web.signals_api import handle
from storage import register
from storage.models import Signal

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TOKEN = "signals-token-for-tests"


def _signal(observed_at: datetime, dedup_key: str = "PD-1", key: str = "DEBT-1") -> str:
    return json.dumps(
        {
            "debt_key": key,
            "kind": "incident",
            "observed_at": observed_at.isoformat(),
            "dedup_key": dedup_key,
        }
    )


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Signal)).one()


@pytest.fixture
def item(engine: Engine) -> Engine:
    with Session(engine) as session:
        register.upsert_item(
            session, team_id="T1", key="DEBT-1", fields={"title": "Flaky ingestion"}, now=NOW
        )
        session.commit()
    return engine


def test_a_little_clock_skew_is_allowed(item: Engine) -> None:
    within = parse_signal(1, _signal(NOW + timedelta(minutes=4, seconds=59)))
    with Session(item) as session:
        summary = store_signals(session, team_id="T1", items=[(1, within)], now=NOW)
        session.commit()
    assert str(summary) == "1 stored, 0 duplicates skipped"
    assert _count(item) == 1


def test_a_signal_from_the_future_rejects_the_whole_batch(item: Engine) -> None:
    items = [
        (1, parse_signal(1, _signal(NOW - timedelta(days=1), "PD-1"))),
        (2, parse_signal(2, _signal(NOW + timedelta(minutes=6), "PD-2"))),
        (3, parse_signal(3, _signal(datetime(2030, 1, 1, tzinfo=UTC), "PD-3", key="debt-1"))),
    ]
    with Session(item) as session, pytest.raises(InputRejected) as rejected:
        store_signals(session, team_id="T1", items=items, now=NOW)
    assert [str(p) for p in rejected.value.problems] == [
        "line 2: observed_at: in the future",
        "line 3: observed_at: in the future",
    ]
    assert _count(item) == 0


def test_the_http_endpoint_answers_422_for_the_future(
    item: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEBTPULSE_SIGNALS_TOKEN", TOKEN)
    runtime = build_runtime(load_settings(), engine=item, default_team="T1", clock=lambda: NOW)

    def post(body: str) -> tuple[int, dict[str, object]]:
        return handle(runtime, authorization=f"Bearer {TOKEN}", body=body.encode(), team=None)

    status, reply = post(_signal(NOW + timedelta(hours=1)))
    assert (status, reply["errors"]) == (
        422,
        [{"field": "observed_at", "message": "in the future"}],
    )
    assert _count(item) == 0
    status, reply = post(_signal(NOW + timedelta(minutes=1), key="debt-1"))
    assert (status, reply) == (201, {"ok": True, "stored": True, "dedup_key": "PD-1"})
    status, reply = post(json.dumps({"debt_key": "DEBT-1", "kind": "alert"}))
    assert (status, reply["errors"]) == (
        422,
        [
            {"field": "dedup_key", "message": "required"},
            {"field": "observed_at", "message": "required"},
        ],
    )
