"""``/metrics``, ``/readyz`` and the counts of signals, through the WSGI app in-process."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from bot.config import load_settings
from bot.runtime import build_runtime
from bot.web.wsgi import make_wsgi_app
from storage import deliveries, result_posts
from storage.models import PollDelivery
from storage.revision import SCHEMA_HEAD
from tests.factories import NOW, TEAM, make_run

Get = Callable[..., tuple[int, dict[str, str], str]]


@pytest.fixture
def request_app(engine: Engine) -> Get:
    runtime = build_runtime(load_settings(), engine=engine, default_team=TEAM, clock=lambda: NOW)
    app = make_wsgi_app(runtime, bolt_app=None)  # type: ignore[arg-type]  # no Slack routes

    def call(path: str, *, authorization: str | None = None, method: str = "GET") -> Any:
        environ: dict[str, Any] = {
            "PATH_INFO": path,
            "REQUEST_METHOD": method,
            "CONTENT_LENGTH": "2",
            "wsgi.input": io.BytesIO(b"{}"),
        }
        if authorization is not None:
            environ["HTTP_AUTHORIZATION"] = authorization
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            seen.update(status=int(status.split(maxsplit=1)[0]), headers=dict(headers))

        body = b"".join(app(environ, start_response)).decode()
        return seen["status"], seen["headers"], body

    return call


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def test_deliveries_and_unposted_results_are_read_from_the_database(
    request_app: Get, session: Session
) -> None:
    run = make_run(session)
    deliveries.plan(session, run=run, due={"U0A": None, "U0B": None, "U0C": None, "U0D": None})
    result_posts.plan(session, run=run, targets=[("C0POLLS", "1.0"), ("C0MORE", "")])
    rows = session.exec(select(PollDelivery).order_by(col(PollDelivery.id))).all()
    for row, status in zip(rows, ["sent", "sent", "failed"], strict=False):
        row.status = status
        session.add(row)
    session.commit()
    status, headers, body = request_app("/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    samples = _samples(body)
    by_state = {
        state: samples[("debtpulse_deliveries", (("state", state),))]
        for state in ("pending", "sent", "failed", "skipped")
    }
    assert by_state == {"pending": 1.0, "sent": 2.0, "failed": 1.0, "skipped": 0.0}
    assert samples[("debtpulse_result_posts_pending", ())] == 2.0
    assert ("debtpulse_answers_recorded_total", ()) in samples


def test_a_metrics_token_is_required_once_set(
    request_app: Get, monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    monkeypatch.setenv("DEBTPULSE_METRICS_TOKEN", "s3cret-metrics")
    runtime = build_runtime(load_settings(), engine=engine, default_team=TEAM)
    app = make_wsgi_app(runtime, bolt_app=None)  # type: ignore[arg-type]
    seen: dict[str, Any] = {}

    def get(authorization: str | None) -> tuple[str, str]:
        environ = {"PATH_INFO": "/metrics", "REQUEST_METHOD": "GET"}
        if authorization is not None:
            environ["HTTP_AUTHORIZATION"] = authorization
        body = b"".join(app(environ, lambda s, h: seen.update(status=s, headers=dict(h))))
        return seen["status"], body.decode()

    for sent in (None, "", "Basic czNjcmV0", "Bearer ", "Bearer s3cret-metric", "Bearer xs3cret"):
        status, body = get(sent)
        assert status == "401 Unauthorized", sent
        assert "Authorization: Bearer" in body and "s3cret" not in body and "czNj" not in body
        assert seen["headers"]["WWW-Authenticate"] == "Bearer"
    status, body = get("Bearer s3cret-metrics")
    assert status == "200 OK" and "debtpulse_deliveries" in body
    # without the token set, anyone may scrape (the fixture's app)
    assert request_app("/metrics")[0] == 200


def test_readiness_waits_for_the_schema_this_code_needs(request_app: Get, engine: Engine) -> None:
    status, _, body = request_app("/readyz")
    assert status == 200
    assert json.loads(body) == {
        "ok": True,
        "database": "ok",
        "schema": SCHEMA_HEAD,
        "schema_needed": SCHEMA_HEAD,
    }
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
        status, _, body = request_app("/readyz")
        assert status == 503 and '"schema": "0009"' in body and "not the one" in body
        assert request_app("/healthz")[0] == 200  # alive all the same
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": SCHEMA_HEAD})


def _received(source: str, outcome: str) -> float:
    labels = {"source": source, "outcome": outcome}
    return REGISTRY.get_sample_value("debtpulse_signals_received_total", labels) or 0.0


def test_signals_and_webhooks_are_counted_by_source_and_outcome(request_app: Get) -> None:
    before = [_received("api", "refused"), _received("other", "not_found")]
    before.append(_received("github", "not_found"))
    assert request_app("/api/signals", method="POST", authorization="Bearer nope")[0] == 401
    assert request_app("/api/hooks/no-such-sender", method="POST")[0] == 404
    assert request_app("/api/hooks/github", method="POST")[0] == 404  # no secret: no endpoint
    after = [_received("api", "refused"), _received("other", "not_found")]
    after.append(_received("github", "not_found"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [1.0, 1.0, 1.0]
