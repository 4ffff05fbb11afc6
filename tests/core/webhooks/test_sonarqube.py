"""SonarQube webhooks: the bare-hex HMAC of the body, and the failed quality gates its
documented payload becomes, with the project's technical debt as an effort hint."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.webhooks import sonarqube
from bot.core.webhooks.events import HookRefused

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks" / "sonarqube"
SECRET = "sonar-webhook-secret-0123456789"
RECEIVED = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
PROJECT = {"x-sonarqube-project": "acme_feature-store"}


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def edited(change: Any, name: str = "quality_gate_failed.json") -> bytes:
    data = json.loads(body(name))
    change(data)
    return json.dumps(data).encode()


def hex_hmac(raw: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def parse(raw: bytes, headers: dict[str, str] | None = None) -> Any:
    return sonarqube.parse(PROJECT if headers is None else headers, raw, received_at=RECEIVED)


def refused(call: Any) -> HookRefused:
    with pytest.raises(HookRefused) as caught:
        call()
    return caught.value


# --- the signature -----------------------------------------------------------------------


def test_a_body_with_its_bare_hex_hmac_is_taken() -> None:
    raw = body("quality_gate_failed.json")
    sonarqube.verify({"x-sonar-webhook-hmac-sha256": hex_hmac(raw)}, raw, SECRET)


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"x-sonar-webhook-hmac-sha256": "sha256=" + "0" * 64},
        {"x-sonar-webhook-hmac-sha256": "0" * 64},
    ],
)
def test_a_missing_or_wrong_signature_is_401(given: dict[str, str]) -> None:
    raw = body("quality_gate_failed.json")
    problem = refused(lambda: sonarqube.verify(given, raw, SECRET))
    assert problem.status == 401
    assert problem.message.startswith("X-Sonar-Webhook-HMAC-SHA256: ")
    assert SECRET not in problem.message


def test_the_prefixed_form_of_the_right_signature_is_refused_too() -> None:
    raw = body("quality_gate_failed.json")
    given = {"x-sonar-webhook-hmac-sha256": "sha256=" + hex_hmac(raw)}
    assert refused(lambda: sonarqube.verify(given, raw, SECRET)).status == 401


# --- what an analysis becomes --------------------------------------------------------------


def test_a_failed_quality_gate_opens_a_code_quality_signal_listing_the_failures() -> None:
    delivery = parse(body("quality_gate_failed.json"))
    revision = "9f2c4e81b7d03a56c1e8f4b2a9d7c6e5f3a1b0c9"
    assert delivery.delivery_id == f"acme_feature-store:2026-11-12T10:21:44+0100:{revision}"
    [event] = delivery.events
    assert (event.source, event.kind, event.action) == ("sonarqube", "code_quality", "open")
    assert event.title == (
        "Quality gate failed on Feature store (main): "
        "new_reliability_rating 3 (> 1); new_coverage 61.4 (< 80)"
    )
    assert dict(event.attributes) == {"project": "acme_feature-store", "branch": "main"}
    assert event.observed_at == datetime(2026, 11, 12, 9, 21, 44, tzinfo=UTC)
    assert event.dedup_key == f"sonarqube:acme_feature-store:main:{revision}"
    assert event.url == "https://sonar.acme.example/dashboard?id=acme_feature-store"
    assert event.effort_minutes == 5460.0
    assert event.debt_key is None


def test_a_passing_gate_is_ignored_with_the_reason() -> None:
    delivery = parse(body("quality_gate_passed.json"))
    assert delivery.events == ()
    assert delivery.ignored == "quality gate passed"


def test_an_analysis_without_a_gate_is_ignored_with_the_reason() -> None:
    def failed_task(data: dict[str, Any]) -> None:
        del data["qualityGate"]
        data["status"] = "FAILED"

    delivery = parse(edited(failed_task))
    assert (delivery.events, delivery.ignored) == ((), "analysis FAILED has no quality gate")


def test_the_debt_minutes_may_come_from_a_gate_condition() -> None:
    def on_condition(data: dict[str, Any]) -> None:
        data["properties"] = {}
        data["qualityGate"]["conditions"].append(
            {
                "errorThreshold": "4800",
                "metric": "sqale_index",
                "onLeakPeriod": False,
                "operator": "GREATER_THAN",
                "status": "ERROR",
                "value": "6120",
            }
        )

    [event] = parse(edited(on_condition)).events
    assert event.effort_minutes == 6120.0
    assert event.title.endswith("; sqale_index 6120 (> 4800)")


def test_without_the_debt_minutes_there_is_no_effort_hint() -> None:
    def none(data: dict[str, Any]) -> None:
        data["properties"] = {}

    [event] = parse(edited(none)).events
    assert event.effort_minutes is None


def test_an_analysis_property_names_the_debt_item() -> None:
    def named(data: dict[str, Any]) -> None:
        data["properties"]["sonar.analysis.debt_key"] = "debt-6"

    [event] = parse(edited(named)).events
    assert event.debt_key == "DEBT-6"


def test_the_same_analysis_sent_again_is_the_same_delivery_and_occurrence() -> None:
    first = parse(body("quality_gate_failed.json"))
    again = parse(body("quality_gate_failed.json"))
    assert first.delivery_id == again.delivery_id
    assert first.events[0].dedup_key == again.events[0].dedup_key


def test_a_gate_changed_later_is_a_new_delivery_of_the_same_occurrence() -> None:
    def changed(data: dict[str, Any]) -> None:
        data["changedAt"] = "2026-11-12T11:02:10+0100"

    first = parse(body("quality_gate_failed.json"))
    later = parse(edited(changed))
    assert later.delivery_id != first.delivery_id
    assert later.events[0].dedup_key == first.events[0].dedup_key
    assert later.events[0].observed_at == datetime(2026, 11, 12, 10, 2, 10, tzinfo=UTC)


def test_a_pull_request_analysis_is_its_own_occurrence() -> None:
    def pull_request(data: dict[str, Any]) -> None:
        data["branch"] = {"name": "412", "type": "PULL_REQUEST", "isMain": False}

    [event] = parse(edited(pull_request)).events
    assert event.attributes["branch"] == "412"
    assert event.dedup_key.startswith("sonarqube:acme_feature-store:412:")


def test_a_very_long_project_key_still_makes_bounded_ids() -> None:
    key = "acme_" + "x" * 390

    def long_key(data: dict[str, Any]) -> None:
        data["project"]["key"] = key

    delivery = parse(edited(long_key), {"x-sonarqube-project": key})
    assert len(delivery.delivery_id) <= 200
    assert len(delivery.events[0].dedup_key) <= 200
    assert delivery.events[0].attributes["project"] == key


# --- malformed requests --------------------------------------------------------------------


def test_a_header_naming_another_project_is_400() -> None:
    raw = body("quality_gate_failed.json")
    problem = refused(lambda: parse(raw, {"x-sonarqube-project": "acme_other"}))
    assert problem.status == 400
    assert problem.message == "X-SonarQube-Project: names another project than project.key"


def _drop(*path: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        target = data
        for name in path[:-1]:
            target = target[name]
        del target[path[-1]]

    return change


def _property(value: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["properties"]["sonar.analysis.sqale_index"] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_drop("analysedAt"), "analysedAt: missing"),
        (_drop("project"), "project: missing"),
        (_drop("project", "key"), "project.key: missing"),
        (_drop("qualityGate", "status"), "qualityGate.status: missing"),
        (_property("a lot"), "properties.sonar.analysis.sqale_index: not a number of minutes"),
        (_property("-5"), "properties.sonar.analysis.sqale_index: not a number of minutes"),
    ],
)
def test_a_malformed_body_is_400_naming_the_field(change: Any, message: str) -> None:
    raw = edited(change)
    problem = refused(lambda: parse(raw, {}))
    assert (problem.status, problem.message) == (400, message)


def test_a_body_that_is_not_json_is_400() -> None:
    problem = refused(lambda: parse(b"<xml/>"))
    assert problem.status == 400 and problem.message.startswith("body: not valid JSON")
