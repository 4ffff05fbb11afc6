"""``POST /api/metrics`` end to end: the real ``serve`` process over HTTP, bad points refused
per field with nothing stored, a batch stored whole, and a signal's end recorded for the time
to recover."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from storage import metrics, register
from storage.models import MetricPoint
from tests.e2e.conftest import SIGNALS_TOKEN, TEAM, Stack

pytestmark = pytest.mark.e2e


def _post(
    stack: Stack, path: str, body: object, *, token: str | None = SIGNALS_TOKEN, raw: bytes = b""
) -> tuple[int, dict[str, object]]:
    data = raw or json.dumps(body).encode()
    request = urllib.request.Request(f"{stack.url}{path}", data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _points(stack: Stack) -> list[tuple[str, str, float, str]]:
    with Session(stack.engine()) as session:
        rows = session.exec(select(MetricPoint).order_by(col(MetricPoint.id))).all()
        return [(p.metric, p.scope, p.value, p.source) for p in rows]


def test_metrics_over_http_are_refused_per_field_or_stored_whole(e2e: Stack) -> None:
    with Session(e2e.engine()) as session:
        register.upsert_item(
            session,
            team_id=TEAM,
            key="DEBT-7",
            fields={"title": "Slow feature pipeline", "component": "features"},
            now=datetime.now(UTC),
        )
        session.commit()
    monday = date.today() - timedelta(days=date.today().weekday() + 7)
    points = [
        {
            "metric": "feature_cycle_time_hours",
            "scope": scope,
            "value": 30 + n,
            "observed_at": (monday + timedelta(days=n)).isoformat(),
            "unit": "hours",
        }
        for n, scope in enumerate(["team", "features", "debt-7"])
    ]
    assert _post(e2e, "/api/metrics", {"points": points}, token=None)[0] == 401
    assert _post(e2e, "/api/metrics", {"points": points}, token="wrong")[0] == 401

    bad = [*points, points[0] | {"scope": "checkout"}, points[1] | {"value": "fast"}]
    status, reply = _post(e2e, "/api/metrics", {"points": bad})
    assert status == 422
    assert [error["field"] for error in reply["errors"]] == [  # type: ignore[union-attr]
        "points[3].scope",
        "points[4].value",
    ]
    status, reply = _post(e2e, "/api/metrics", None, raw=b'{"points": [')
    assert status == 422 and reply["errors"] == [  # type: ignore[comparison-overlap]
        {"field": "json", "message": "not valid JSON (Expecting value)"}
    ]
    assert _post(e2e, "/api/metrics", {"points": [{}] * 5001})[0] == 413
    assert _points(e2e) == []

    assert _post(e2e, "/api/metrics", {"points": points}) == (
        201,
        {"ok": True, "stored": 3, "replaced": 0},
    )
    assert _post(e2e, "/api/metrics", points[0] | {"value": 29}) == (
        200,
        {"ok": True, "stored": 0, "replaced": 1},
    )
    assert _points(e2e) == [
        ("feature_cycle_time_hours", "team", 29.0, "api"),
        ("feature_cycle_time_hours", "features", 31.0, "api"),
        ("feature_cycle_time_hours", "DEBT-7", 32.0, "api"),
    ]
    with Session(e2e.engine()) as session:
        series = metrics.weekly_metric(
            session, TEAM, "feature_cycle_time_hours", "features", since=monday, until=monday
        )
    assert [(week.week, week.mean) for week in series] == [(monday, 31.0)]


def test_a_signal_sent_again_with_its_end_gives_the_time_to_recover(e2e: Stack) -> None:
    with Session(e2e.engine()) as session:
        item, _ = register.upsert_item(
            session,
            team_id=TEAM,
            key="DEBT-8",
            fields={"title": "No drift monitoring"},
            now=datetime.now(UTC),
        )
        session.commit()
        item_id = item.id
    assert item_id is not None
    began = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    signal = {
        "debt_key": "DEBT-8",
        "kind": "incident",
        "observed_at": began.isoformat(),
        "dedup_key": "PD-E2E-1",
    }
    assert _post(e2e, "/api/signals", signal)[0] == 201
    too_early = signal | {"ended_at": (began - timedelta(minutes=1)).isoformat()}
    status, reply = _post(e2e, "/api/signals", too_early)
    assert status == 422 and reply["errors"] == [  # type: ignore[comparison-overlap]
        {"field": "ended_at", "message": "before observed_at"}
    ]
    resolved = signal | {"ended_at": (began + timedelta(minutes=90)).isoformat()}
    status, reply = _post(e2e, "/api/signals", resolved)
    assert (status, reply["duplicate"], reply["end_recorded"]) == (200, True, True)
    with Session(e2e.engine()) as session:
        series = metrics.weekly_time_to_recover(
            session, TEAM, item_id, since=began.date(), until=began.date()
        )
    assert [(week.mean, week.count) for week in series] == [(1.5, 1)]
