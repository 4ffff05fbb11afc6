"""Sentry integration-platform webhooks: the client secret's signature, and the alerts its
documented payloads (issue alerts, metric alerts, issues) become."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.webhooks import sentry
from bot.core.webhooks.events import HookRefused

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks" / "sentry"
SECRET = "sentry-client-secret-4f1c"
RECEIVED = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def edited(name: str, change: Any) -> bytes:
    data = json.loads(body(name))
    change(data)
    return json.dumps(data).encode()


def signature(raw: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def headers(resource: str, request_id: str = "5d1a2b3c-0001") -> dict[str, str]:
    return {
        "sentry-hook-resource": resource,
        "request-id": request_id,
        "sentry-hook-timestamp": "1794480000",
    }


def parse(name: str, resource: str, raw: bytes | None = None) -> Any:
    given = body(name) if raw is None else raw
    return sentry.parse(headers(resource), given, received_at=RECEIVED)


def refused(call: Any) -> HookRefused:
    with pytest.raises(HookRefused) as caught:
        call()
    return caught.value


# --- the signature -----------------------------------------------------------------------


def test_a_body_signed_with_the_client_secret_is_taken() -> None:
    raw = body("event_alert.json")
    sentry.verify({"sentry-hook-signature": signature(raw)}, raw, SECRET)
    sentry.verify({"sentry-hook-signature": signature(raw).upper()}, raw, SECRET)


def test_a_wrong_signature_is_401_and_repeats_neither_secret_nor_signature() -> None:
    raw = body("event_alert.json")
    wrong = signature(raw, "another-secret")
    problem = refused(lambda: sentry.verify({"sentry-hook-signature": wrong}, raw, SECRET))
    assert problem.status == 401
    assert problem.message == "Sentry-Hook-Signature: does not match the client secret"
    assert SECRET not in problem.message and wrong not in problem.message


def test_a_body_changed_after_signing_is_401() -> None:
    raw = body("issue_created.json")
    tampered = raw.replace(b"ranking-service", b"ranking-servicf")
    given = {"sentry-hook-signature": signature(raw)}
    assert refused(lambda: sentry.verify(given, tampered, SECRET)).status == 401


@pytest.mark.parametrize("given", [{}, {"sentry-hook-signature": "  "}])
def test_a_missing_signature_is_401(given: dict[str, str]) -> None:
    problem = refused(lambda: sentry.verify(given, body("event_alert.json"), SECRET))
    assert (problem.status, problem.message) == (401, "Sentry-Hook-Signature: missing")


def test_a_signature_header_with_odd_characters_is_refused_not_crashed() -> None:
    given = {"sentry-hook-signature": "é" * 64}
    assert refused(lambda: sentry.verify(given, b"{}", SECRET)).status == 401


# --- issue alerts --------------------------------------------------------------------------


def test_an_issue_alert_opens_an_alert_on_the_item_its_debt_tag_names() -> None:
    delivery = parse("event_alert.json", "event_alert")
    assert delivery.delivery_id == "5d1a2b3c-0001"
    [event] = delivery.events
    assert (event.source, event.kind, event.action) == ("sentry", "alert", "open")
    assert event.dedup_key == ("sentry:event_alert:5123456789:9c1e5a27d4b84f0e8a6b3c2d1e0f9a8b")
    assert event.debt_key == "DEBT-12"
    assert event.observed_at == datetime(2026, 11, 12, 8, 47, 19, 204000, tzinfo=UTC)
    assert event.title == "TimeoutError: partition events/2026-11-12/08 not readable after 30 s"
    assert event.url.startswith("https://sentry.io/organizations/acme/issues/5123456789/")
    attributes = dict(event.attributes)
    assert attributes["project"] == "ingest-worker"
    assert attributes["culprit"] == "ingest.lake.reader in read_partition"
    assert attributes["rule"] == "Ingest errors in production"
    assert attributes["tags.component"] == "lake-reader"
    assert attributes["environment"] == "production"


def test_without_a_debt_tag_the_alert_names_no_item() -> None:
    def untag(data: dict[str, Any]) -> None:
        tags = data["data"]["event"]["tags"]
        data["data"]["event"]["tags"] = [tag for tag in tags if tag[0] != "debt"]

    [event] = parse("", "event_alert", edited("event_alert.json", untag)).events
    assert event.debt_key is None
    assert "tags.debt" not in event.attributes


def test_a_debt_tag_that_is_no_key_names_nothing() -> None:
    def odd(data: dict[str, Any]) -> None:
        data["data"]["event"]["tags"] = [["debt", "someday"]]

    [event] = parse("", "event_alert", edited("event_alert.json", odd)).events
    assert event.debt_key is None


def test_tags_written_as_key_value_objects_are_read_too() -> None:
    def objects(data: dict[str, Any]) -> None:
        data["data"]["event"]["tags"] = [{"key": "debt_key", "value": "debt-4"}]

    [event] = parse("", "event_alert", edited("event_alert.json", objects)).events
    assert event.debt_key == "DEBT-4"
    assert event.attributes["tags.debt_key"] == "debt-4"


def test_an_event_without_datetime_is_dated_by_its_epoch_timestamp() -> None:
    def no_datetime(data: dict[str, Any]) -> None:
        del data["data"]["event"]["datetime"]

    [event] = parse("", "event_alert", edited("event_alert.json", no_datetime)).events
    assert event.observed_at == datetime(2026, 11, 12, 8, 47, 19, 204000, tzinfo=UTC)


# --- metric alerts -------------------------------------------------------------------------


def test_a_critical_metric_alert_opens_and_its_resolution_closes_it() -> None:
    [opened] = parse("metric_alert_critical.json", "metric_alert").events
    [closed] = parse("metric_alert_resolved.json", "metric_alert").events
    assert (opened.action, closed.action) == ("open", "close")
    assert opened.dedup_key == closed.dedup_key == "sentry:metric_alert:7731"
    assert opened.observed_at == closed.observed_at == datetime(2026, 11, 12, 7, 30, tzinfo=UTC)
    assert closed.ended_at == datetime(2026, 11, 12, 8, 10, tzinfo=UTC)
    assert opened.title == "Critical: Training job errors"
    assert dict(opened.attributes) == {
        "project": "trainer",
        "rule": "Training job errors",
        "environment": "production",
    }
    assert opened.url == "https://sentry.io/organizations/acme/alerts/rules/details/41/?alert=7731"


def test_a_resolution_without_date_closed_ends_when_it_was_received() -> None:
    def open_still(data: dict[str, Any]) -> None:
        data["data"]["metric_alert"]["date_closed"] = None

    raw = edited("metric_alert_resolved.json", open_still)
    [closed] = parse("", "metric_alert", raw).events
    assert closed.ended_at == RECEIVED


def test_a_warning_is_ignored_with_the_reason() -> None:
    delivery = parse("metric_alert_warning.json", "metric_alert")
    assert delivery.events == ()
    assert delivery.ignored == "metric alert warning: only critical and resolved are taken"


# --- issues --------------------------------------------------------------------------------


def test_a_new_issue_opens_an_alert_and_its_resolution_closes_it() -> None:
    [opened] = parse("issue_created.json", "issue").events
    [closed] = parse("issue_resolved.json", "issue").events
    assert opened.dedup_key == closed.dedup_key == "sentry:issue:5123400017"
    assert (opened.kind, opened.action, closed.action) == ("alert", "open", "close")
    assert opened.observed_at == datetime(2026, 11, 12, 6, 58, 37, 391000, tzinfo=UTC)
    assert closed.ended_at == RECEIVED  # the payload says no time: when it arrived
    assert opened.title == "KeyError: 'embedding_v3'"
    assert opened.url == "https://sentry.io/organizations/acme/issues/5123400017/"
    assert dict(opened.attributes) == {
        "project": "ranking-service",
        "culprit": "serving.ranker in score_batch",
        "level": "error",
    }


def test_other_issue_actions_are_ignored_with_the_reason() -> None:
    delivery = parse("issue_assigned.json", "issue")
    assert delivery.events == ()
    assert delivery.ignored == "issue assigned: only created and resolved are taken"


def test_an_installation_is_ignored_with_the_reason() -> None:
    delivery = parse("installation.json", "installation")
    assert delivery.events == ()
    assert delivery.ignored is not None
    assert delivery.ignored.startswith("resource installation is not taken")


# --- the delivery and malformed requests ---------------------------------------------------


def test_without_request_id_the_body_identifies_the_delivery() -> None:
    raw = body("issue_created.json")
    given = {"sentry-hook-resource": "issue"}
    first = sentry.parse(given, raw, received_at=RECEIVED)
    again = sentry.parse(given, raw, received_at=RECEIVED)
    other = sentry.parse(given, body("issue_resolved.json"), received_at=RECEIVED)
    assert first.delivery_id == again.delivery_id != other.delivery_id
    assert first.delivery_id.startswith("sha256:")


def test_a_missing_resource_header_is_400() -> None:
    raw = body("issue_created.json")
    problem = refused(lambda: sentry.parse({"request-id": "x"}, raw, received_at=RECEIVED))
    assert (problem.status, problem.message) == (400, "Sentry-Hook-Resource: missing")


def _set(path: tuple[str, ...], value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        target = data
        for name in path[:-1]:
            target = target[name]
        if value is _DROP:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


_DROP = object()


@pytest.mark.parametrize(
    ("name", "resource", "path", "value", "message"),
    [
        (
            "event_alert.json",
            "event_alert",
            ("data", "event", "issue_id"),
            _DROP,
            "data.event.issue_id: missing",
        ),
        ("event_alert.json", "event_alert", ("data", "event"), _DROP, "data.event: missing"),
        (
            "event_alert.json",
            "event_alert",
            ("data", "event", "tags"),
            [["debt"]],
            "data.event.tags[0]: expected a [name, value] pair",
        ),
        (
            "event_alert.json",
            "event_alert",
            ("data", "event", "datetime"),
            "12 Nov",
            "data.event.datetime: not a timestamp",
        ),
        (
            "metric_alert_critical.json",
            "metric_alert",
            ("data", "metric_alert", "id"),
            _DROP,
            "data.metric_alert.id: missing",
        ),
        ("metric_alert_critical.json", "metric_alert", ("action",), _DROP, "action: missing"),
        ("issue_created.json", "issue", ("data", "issue", "id"), None, "data.issue.id: missing"),
        ("issue_created.json", "issue", ("data", "issue"), [], "data.issue: expected an object"),
    ],
)
def test_a_malformed_body_is_400_naming_the_field(
    name: str, resource: str, path: tuple[str, ...], value: Any, message: str
) -> None:
    raw = edited(name, _set(path, value))
    problem = refused(lambda: parse("", resource, raw))
    assert problem.status == 400
    assert problem.message.startswith(message)


def test_a_body_that_is_not_json_is_400() -> None:
    problem = refused(lambda: parse("", "issue", b"action=created"))
    assert problem.status == 400 and problem.message.startswith("body: not valid JSON")
