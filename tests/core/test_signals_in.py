"""Signals from a sender's clock: ``observed_at`` ahead of ours is refused, in a file and
over ``POST /api/signals`` alike (both go through ``store_signals`` with the caller's now)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from bot.config import load_settings
from bot.core.problems import InputRejected
from bot.runtime import build_runtime
from bot.services.signals_in import parse_signal, store_signals
from bot.web.signals_api import handle
from storage import db, register
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


def _valid(**changes: object) -> bytes:
    signal = {
        "debt_key": "DEBT-1",
        "kind": "incident",
        "value": 2,
        "observed_at": "2026-11-20T10:00:00Z",
        "dedup_key": "PD-7",
    }
    return json.dumps(signal | changes).encode()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (b"[" * 50_000, "json", "not valid JSON (nested too deeply)"),
        (_valid(value="2"), "value", "Input should be a valid number"),
        (_valid(value=True), "value", "Input should be a valid number"),
        (
            _valid().replace(b'"value": 2', b'"value": NaN'),
            "value",
            "Input should be a finite number",
        ),
        (
            _valid(dedup_key="PD\u00007"),
            "dedup_key",
            "must not contain the NUL character (\\u0000)",
        ),
        (
            _valid(source="pager\u0000duty"),
            "source",
            "must not contain the NUL character (\\u0000)",
        ),
        (
            _valid(debt_key="DEBT-\u00001"),
            "debt_key",
            "must not contain the NUL character (\\u0000)",
        ),
        (_valid(observed_at="0001-01-01T00:30:00+01:00"), "observed_at", "out of range"),
        (
            _valid(observed_at="2026-11-20T10:00:00"),
            "observed_at",
            "Input should have timezone info",
        ),
    ],
    ids=[
        "deep-json",
        "value-string",
        "value-bool",
        "value-nan",
        "nul-dedup",
        "nul-source",
        "nul-key",
        "year-1",
        "no-timezone",
    ],
)
def test_a_malformed_signal_is_refused_naming_its_field(
    item: Engine, monkeypatch: pytest.MonkeyPatch, body: bytes, field: str, message: str
) -> None:
    monkeypatch.setenv("DEBTPULSE_SIGNALS_TOKEN", TOKEN)
    runtime = build_runtime(load_settings(), engine=item, default_team="T1", clock=lambda: NOW)
    status, reply = handle(runtime, authorization=f"Bearer {TOKEN}", body=body, team=None)
    assert (status, reply) == (
        422,
        {"ok": False, "error": "invalid signal", "errors": [{"field": field, "message": message}]},
    )
    assert _count(item) == 0
    status, reply = handle(runtime, authorization=f"Bearer {TOKEN}", body=_valid(), team=None)
    assert (status, reply) == (201, {"ok": True, "stored": True, "dedup_key": "PD-7"})


def test_an_unreachable_database_answers_503_so_the_sender_retries(
    item: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DEBTPULSE_SIGNALS_TOKEN", TOKEN)
    runtime = build_runtime(load_settings(), engine=item, default_team="T1", clock=lambda: NOW)
    # the database goes away while the process runs
    runtime.engine = db.make_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'debtpulse.db'}")
    status, reply = handle(runtime, authorization=f"Bearer {TOKEN}", body=_valid(), team=None)
    assert (status, reply) == (
        503,
        {"ok": False, "error": "database unavailable; nothing was stored, retry"},
    )
    assert "database unavailable" in caplog.text
    assert "Traceback" not in caplog.text and TOKEN not in caplog.text
