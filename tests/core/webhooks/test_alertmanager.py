"""Alertmanager's (and Grafana's) webhook as they send it: the bearer token, one event per
alert of a group, its resolution closing it, and what is refused (and why)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.webhooks import alertmanager
from bot.core.webhooks.events import Delivery, HookRefused

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks" / "alertmanager"
TOKEN = "am-bearer-token-for-tests"
RECEIVED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LAG_KEY = "alertmanager:1a30ba71cca2921f:2026-11-20T08:14:30.512836Z"
DRIFT_KEY = "alertmanager:bc97ff14869b13e3:2026-11-20T08:16:00.004000Z"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def deliver(name: str, payload: dict[str, Any] | None = None) -> Delivery:
    """Verify and parse a request as Alertmanager sends it, as the endpoint does."""
    raw = (FIXTURES / name).read_bytes() if payload is None else json.dumps(payload).encode()
    headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
    alertmanager.verify(headers, raw, TOKEN)
    return alertmanager.parse(headers, raw, received_at=RECEIVED)


def refused(payload: dict[str, Any]) -> HookRefused:
    with pytest.raises(HookRefused) as caught:
        deliver("alertmanager_firing.json", payload)
    return caught.value


# --- the token -------------------------------------------------------------------------


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"  Bearer  {TOKEN} "])
def test_the_configured_bearer_token_verifies(header: str) -> None:
    alertmanager.verify({"authorization": header}, b"{}", TOKEN)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Authorization: missing"),
        ({"authorization": "Bearer"}, "Authorization: expected Bearer and the token"),
        ({"authorization": f"Basic {TOKEN}"}, "Authorization: expected Bearer and the token"),
        ({"authorization": TOKEN}, "Authorization: expected Bearer and the token"),
        ({"authorization": "Bearer not-the-token"}, "Authorization: not the configured token"),
    ],
)
def test_a_missing_or_wrong_token_is_refused(headers: dict[str, str], message: str) -> None:
    with pytest.raises(HookRefused) as caught:
        alertmanager.verify(headers, b"{}", TOKEN)
    assert caught.value.status == 401
    assert caught.value.message.startswith(message)
    assert TOKEN not in caught.value.message


# --- a group firing, then resolved -----------------------------------------------------


def test_each_firing_alert_of_a_group_opens_an_occurrence() -> None:
    delivery = deliver("alertmanager_firing.json")
    lag, drift = delivery.events
    assert (lag.source, lag.kind, lag.action) == ("alertmanager", "alert", "open")
    assert lag.dedup_key == LAG_KEY
    assert lag.observed_at == datetime(2026, 11, 20, 8, 14, 30, 512836, tzinfo=UTC)
    assert lag.ended_at is None and lag.debt_key is None
    assert lag.title == "IngestLagHigh: Ingest consumer lag above 10 minutes"
    assert lag.url.startswith("http://prometheus.acme.example:9090/graph?g0.expr=")
    assert lag.attributes == {
        "alertname": "IngestLagHigh",
        "service": "ingest",
        "labels.alertname": "IngestLagHigh",
        "labels.service": "ingest",
        "labels.severity": "warning",
        "labels.team": "data-platform",
        "labels.instance": "ingest-7c9f:9102",
        "labels.job": "ingest",
    }
    assert (drift.kind, drift.action, drift.debt_key) == ("drift", "open", "DEBT-3")
    assert drift.dedup_key == DRIFT_KEY


def test_a_resolved_alert_closes_its_occurrence_with_its_end() -> None:
    opened = deliver("alertmanager_firing.json").events[0]
    lag, drift = deliver("alertmanager_resolved.json").events
    assert (lag.action, lag.dedup_key) == ("close", opened.dedup_key)
    assert lag.observed_at == opened.observed_at
    assert lag.ended_at == datetime(2026, 11, 20, 9, 2, 45, 118000, tzinfo=UTC)
    assert (drift.action, drift.dedup_key) == ("open", DRIFT_KEY)


def test_grafanas_alert_is_read_the_same_way() -> None:
    (event,) = deliver("grafana_firing.json").events
    assert (event.kind, event.action) == ("data_quality", "open")
    assert event.dedup_key == "alertmanager:c6eadffa33fcdf37:2026-11-20T05:05:00Z"
    assert event.observed_at == datetime(2026, 11, 20, 5, 5, tzinfo=UTC)  # 06:05 at +01:00
    assert event.attributes["service"] == "orders-etl"
    assert event.attributes["labels.category"] == "data_quality"


@pytest.mark.parametrize(
    ("labels", "kind"),
    [
        ({"debt_kind": "data_quality"}, "data_quality"),
        ({"debt_kind": "Drift"}, "drift"),
        ({"category": "drift"}, "drift"),
        ({"category": "latency"}, "alert"),
        ({"debt_kind": "incident"}, "alert"),
    ],
)
def test_a_label_makes_an_alert_drift_or_data_quality(labels: dict[str, str], kind: str) -> None:
    payload = fixture("alertmanager_firing.json")
    payload["alerts"] = payload["alerts"][:1]
    payload["alerts"][0]["labels"] = {"alertname": "Check", **labels}
    assert deliver("alertmanager_firing.json", payload).events[0].kind == kind


@pytest.mark.parametrize(
    ("labels", "key"),
    [
        ({"debt_item": "debt-9"}, "DEBT-9"),
        ({"debt_key": "DEBT-4", "debt_item": "DEBT-9"}, "DEBT-4"),
        ({"debt_key": "soon"}, None),
    ],
)
def test_a_debt_key_label_names_the_item(labels: dict[str, str], key: str | None) -> None:
    payload = fixture("alertmanager_firing.json")
    payload["alerts"] = payload["alerts"][:1]
    payload["alerts"][0]["labels"] = {"alertname": "Check", **labels}
    (event,) = deliver("alertmanager_firing.json", payload).events
    assert event.debt_key == key
    assert all(event.attributes[f"labels.{name}"] == value for name, value in labels.items())


def test_an_alert_without_name_or_summary_is_titled_by_its_fingerprint() -> None:
    payload = fixture("alertmanager_firing.json")
    payload["alerts"][0].update(labels={"service": "ingest"}, annotations={})
    assert deliver("alertmanager_firing.json", payload).events[0].title == "alert 1a30ba71cca2921f"


def test_a_group_without_alerts_is_ignored() -> None:
    payload = fixture("alertmanager_firing.json")
    payload["alerts"] = []
    delivery = deliver("alertmanager_firing.json", payload)
    assert delivery.events == ()
    assert delivery.ignored == "the alert group has no alerts"


# --- delivery ids ----------------------------------------------------------------------


def test_a_group_sent_again_unchanged_is_the_same_delivery() -> None:
    first = deliver("alertmanager_firing.json")
    assert deliver("alertmanager_firing.json") == first
    reordered = fixture("alertmanager_firing.json")
    reordered["alerts"].reverse()
    assert deliver("alertmanager_firing.json", reordered).delivery_id == first.delivery_id


def test_a_change_of_the_groups_state_is_a_new_delivery() -> None:
    firing = deliver("alertmanager_firing.json").delivery_id
    resolved = deliver("alertmanager_resolved.json").delivery_id
    assert firing != resolved
    other_group = fixture("alertmanager_firing.json")
    other_group["groupKey"] = '{}:{team="search"}'
    assert deliver("alertmanager_firing.json", other_group).delivery_id != firing


def test_an_alert_firing_again_later_is_a_new_occurrence_and_delivery() -> None:
    first = deliver("alertmanager_firing.json")
    again = fixture("alertmanager_firing.json")
    again["alerts"][0]["startsAt"] = "2026-11-21T03:00:00Z"
    later = deliver("alertmanager_firing.json", again)
    assert later.events[0].dedup_key != first.events[0].dedup_key
    assert later.delivery_id != first.delivery_id


# --- malformed requests ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.pop("groupKey"), "groupKey: missing"),
        (lambda p: p.pop("alerts"), "alerts: missing"),
        (lambda p: p.update(alerts={"status": "firing"}), "alerts: expected a list"),
        (lambda p: p["alerts"][1].pop("fingerprint"), "alerts[1].fingerprint: missing"),
        (lambda p: p["alerts"][1].pop("startsAt"), "alerts[1].startsAt: missing"),
        (
            lambda p: p["alerts"][0].update(status="pending"),
            "alerts[0].status: expected firing or resolved",
        ),
        (
            lambda p: p["alerts"][0]["labels"].update(severity=3),
            "alerts[0].labels.severity: expected a string",
        ),
        (
            lambda p: p["alerts"][0].update(startsAt="2026-11-20 08:14"),
            "alerts[0].startsAt: not a timestamp with a time zone (ISO 8601)",
        ),
        (
            lambda p: p["alerts"][0].update(status="resolved"),
            "alerts[0].endsAt: missing on a resolved alert",
        ),
        (
            lambda p: p["alerts"][0].update(status="resolved", endsAt="2026-11-20T08:00:00Z"),
            "alerts[0].endsAt: before startsAt",
        ),
        (
            lambda p: p["alerts"][0].update(fingerprint="f" * 101),
            "alerts[0].fingerprint: longer than 100 characters",
        ),
    ],
)
def test_a_malformed_group_is_refused_naming_the_field(change: Any, message: str) -> None:
    payload = fixture("alertmanager_firing.json")
    change(payload)
    problem = refused(payload)
    assert (problem.status, problem.message) == (400, message)


@pytest.mark.parametrize("body", [b"", b"[]", b'{"alerts": [', "{}".encode("utf-16")])
def test_a_body_that_is_not_a_json_object_is_refused(body: bytes) -> None:
    with pytest.raises(HookRefused) as caught:
        alertmanager.parse({}, body, received_at=RECEIVED)
    assert caught.value.status == 400
    assert caught.value.message.startswith("body: ")
