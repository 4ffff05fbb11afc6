"""PagerDuty v3 webhooks: the signature PagerDuty sends (any of several during a rotation),
and the incidents its documented payloads become."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.webhooks import pagerduty
from bot.core.webhooks.events import HookRefused

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks" / "pagerduty"
SECRET = "pd-secret-ZZ9plural"
OLD_SECRET = "pd-secret-previous"
RECEIVED = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def edited(name: str, change: Any) -> bytes:
    data = json.loads(body(name))
    change(data)
    return json.dumps(data).encode()


def sign(secret: str, raw: bytes) -> str:
    return "v1=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def headers(signature: str) -> dict[str, str]:
    return {"x-pagerduty-signature": signature, "content-type": "application/json"}


def refused(call: Any) -> HookRefused:
    with pytest.raises(HookRefused) as caught:
        call()
    return caught.value


# --- the signature -----------------------------------------------------------------------


def test_a_body_signed_with_the_secret_is_taken() -> None:
    raw = body("incident_triggered.json")
    pagerduty.verify(headers(sign(SECRET, raw)), raw, SECRET)


def test_during_a_rotation_any_one_of_the_signatures_may_match() -> None:
    raw = body("incident_triggered.json")
    both = f"{sign(OLD_SECRET, raw)}, {sign(SECRET, raw)}"
    pagerduty.verify(headers(both), raw, SECRET)
    pagerduty.verify(headers(both), raw, OLD_SECRET)


def test_an_entry_of_another_version_is_skipped() -> None:
    raw = body("incident_triggered.json")
    pagerduty.verify(headers(f"v2=abc,{sign(SECRET, raw)}"), raw, SECRET)


def test_a_signature_matching_no_secret_is_403_and_repeats_neither() -> None:
    raw = body("incident_triggered.json")
    wrong = sign("another-secret", raw)
    problem = refused(lambda: pagerduty.verify(headers(wrong), raw, SECRET))
    assert problem.status == 403
    assert SECRET not in problem.message and wrong[3:] not in problem.message


def test_a_body_changed_after_signing_is_403() -> None:
    raw = body("incident_triggered.json")
    signature = sign(SECRET, raw)
    tampered = raw.replace(b'"urgency": "high"', b'"urgency": "low"')
    assert tampered != raw
    assert refused(lambda: pagerduty.verify(headers(signature), tampered, SECRET)).status == 403


@pytest.mark.parametrize("value", ["", "   ", "sha256=abc", "v1=not-hex", "v1="])
def test_a_missing_or_malformed_header_is_400(value: str) -> None:
    raw = body("incident_triggered.json")
    problem = refused(lambda: pagerduty.verify(headers(value), raw, SECRET))
    assert problem.status == 400
    assert "X-PagerDuty-Signature" in problem.message


def test_no_header_at_all_is_400() -> None:
    raw = body("incident_triggered.json")
    problem = refused(lambda: pagerduty.verify({}, raw, SECRET))
    assert (problem.status, problem.message) == (400, "X-PagerDuty-Signature: missing")


def test_an_empty_body_is_400() -> None:
    problem = refused(lambda: pagerduty.verify(headers(sign(SECRET, b"")), b"", SECRET))
    assert (problem.status, problem.message) == (400, "body: empty")


def test_without_a_configured_secret_nothing_is_taken() -> None:
    raw = body("incident_triggered.json")
    assert refused(lambda: pagerduty.verify(headers(sign("", raw)), raw, "")).status == 401


# --- what the deliveries become ----------------------------------------------------------


def test_a_triggered_incident_opens_an_incident_signal() -> None:
    delivery = pagerduty.parse({}, body("incident_triggered.json"), received_at=RECEIVED)
    assert delivery.delivery_id == "01DZ9J7XQ3A8G6YBD4K0M2N5T8"
    assert delivery.ignored is None
    [event] = delivery.events
    assert (event.source, event.kind, event.action) == ("pagerduty", "incident", "open")
    assert event.dedup_key == "pagerduty:Q2F8ZKBHW1C3DE"
    assert event.observed_at == datetime(2026, 11, 12, 9, 14, 3, tzinfo=UTC)
    assert event.ended_at is None
    assert event.title == "Feature backfill stalled: online store 3 h behind"
    assert event.url == "https://acme.pagerduty.com/incidents/Q2F8ZKBHW1C3DE"
    assert dict(event.attributes) == {
        "service": "Feature store",
        "priority": "P2",
        "urgency": "high",
    }
    assert event.debt_key is None


def test_its_resolution_closes_the_same_occurrence_with_the_time_to_recover() -> None:
    opened = pagerduty.parse({}, body("incident_triggered.json"), received_at=RECEIVED)
    closed = pagerduty.parse({}, body("incident_resolved.json"), received_at=RECEIVED)
    [start], [end] = opened.events, closed.events
    assert closed.delivery_id == "01DZ9KQ4V7R2C5XH8M3B6N1P0W" != opened.delivery_id
    assert end.action == "close"
    assert end.dedup_key == start.dedup_key
    assert end.observed_at == start.observed_at
    assert end.ended_at == datetime(2026, 11, 12, 10, 2, 41, 87000, tzinfo=UTC)
    assert end.ended_at - end.observed_at == timedelta(minutes=48, seconds=38, microseconds=87000)


def test_an_incident_without_a_priority_has_no_priority_attribute() -> None:
    def no_priority(data: dict[str, Any]) -> None:
        data["event"]["data"]["priority"] = None

    raw = edited("incident_triggered.json", no_priority)
    [event] = pagerduty.parse({}, raw, received_at=RECEIVED).events
    assert "priority" not in event.attributes
    assert event.attributes["service"] == "Feature store"


@pytest.mark.parametrize(
    ("name", "event_type"),
    [
        ("incident_acknowledged.json", "incident.acknowledged"),
        ("service_updated.json", "service.updated"),
    ],
)
def test_other_event_types_are_ignored_with_the_reason(name: str, event_type: str) -> None:
    delivery = pagerduty.parse({}, body(name), received_at=RECEIVED)
    assert delivery.events == ()
    assert delivery.ignored is not None and event_type in delivery.ignored
    assert delivery.delivery_id == json.loads(body(name))["event"]["id"]


# --- malformed bodies: 400 naming what is wrong -------------------------------------------


def _drop(*path: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        target = data
        for name in path[:-1]:
            target = target[name]
        del target[path[-1]]

    return change


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "body: not valid JSON"),
        (b"[1, 2]", "body: expected a JSON object"),
        (b"{}", "event: missing"),
        (edited("incident_triggered.json", _drop("event", "id")), "event.id: missing"),
        (
            edited("incident_triggered.json", _drop("event", "event_type")),
            "event.event_type: missing",
        ),
        (edited("incident_triggered.json", _drop("event", "data", "id")), "event.data.id: missing"),
        (edited("incident_resolved.json", _drop("event", "data")), "event.data: missing"),
        (
            edited("incident_resolved.json", _drop("event", "occurred_at")),
            "event.occurred_at: missing",
        ),
    ],
)
def test_a_malformed_body_is_400_naming_the_field(raw: bytes, message: str) -> None:
    problem = refused(lambda: pagerduty.parse({}, raw, received_at=RECEIVED))
    assert problem.status == 400
    assert problem.message.startswith(message)


def test_a_time_without_a_zone_is_refused() -> None:
    def naive(data: dict[str, Any]) -> None:
        data["event"]["occurred_at"] = "2026-11-12T10:02:41"

    raw = edited("incident_resolved.json", naive)
    problem = refused(lambda: pagerduty.parse({}, raw, received_at=RECEIVED))
    assert problem.status == 400
    assert problem.message.startswith("event.occurred_at: not a timestamp")
