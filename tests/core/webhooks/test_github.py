"""GitHub's webhook as GitHub sends it: the signature over the raw body, failed and flaky
Actions runs, issues labelled as debt, and what is ignored or refused (and why)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.webhooks import github
from bot.core.webhooks.events import Delivery, HookRefused

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks" / "github"
SECRET = "gh-webhook-secret-for-tests"
RECEIVED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def body_of(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"x-hub-signature-256": f"sha256={digest}"}


def deliver(event: str, body: bytes | dict[str, Any], delivery: str = DELIVERY) -> Delivery:
    """Verify and parse a request, as the endpoint does."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {**signed(raw), "x-github-event": event, "x-github-delivery": delivery}
    github.verify(headers, raw, SECRET)
    return github.parse(headers, raw, received_at=RECEIVED)


def refused(event: str, body: bytes | dict[str, Any]) -> HookRefused:
    with pytest.raises(HookRefused) as caught:
        deliver(event, body)
    return caught.value


# --- the signature ---------------------------------------------------------------------


def test_githubs_documented_test_values_verify() -> None:
    # docs.github.com, "Validating webhook deliveries", "Testing the webhook payload validation"
    header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    github.verify({"x-hub-signature-256": header}, b"Hello, World!", "It's a Secret to Everybody")


def test_a_signature_in_upper_case_hex_verifies() -> None:
    body = body_of("ping.json")
    header = signed(body)["x-hub-signature-256"]
    github.verify({"x-hub-signature-256": "sha256=" + header[7:].upper()}, body, SECRET)


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 401, "X-Hub-Signature-256: missing"),
        ({"x-hub-signature-256": "  "}, 401, "X-Hub-Signature-256: missing"),
        ({"x-hub-signature-256": "sha256=" + "0" * 64}, 401, "does not match"),
        ({"x-hub-signature-256": "sha1=" + "0" * 40}, 400, "expected sha256= and 64 hex"),
        ({"x-hub-signature-256": "sha256=abc"}, 400, "expected sha256= and 64 hex"),
        ({"x-hub-signature-256": "sha256=" + "g" * 64}, 400, "expected sha256= and 64 hex"),
    ],
)
def test_a_missing_wrong_or_malformed_signature_is_refused(
    headers: dict[str, str], status: int, message: str
) -> None:
    with pytest.raises(HookRefused) as caught:
        github.verify(headers, body_of("ping.json"), SECRET)
    assert caught.value.status == status
    assert message in caught.value.message
    assert SECRET not in caught.value.message


def test_a_body_changed_after_signing_is_refused() -> None:
    headers = signed(body_of("workflow_run_failure.json"))
    tampered = body_of("workflow_run_failure.json").replace(b"failure", b"success")
    with pytest.raises(HookRefused) as caught:
        github.verify(headers, tampered, SECRET)
    assert caught.value.status == 401
    assert headers["x-hub-signature-256"] not in caught.value.message


def test_a_signature_made_with_another_secret_is_refused() -> None:
    body = body_of("ping.json")
    with pytest.raises(HookRefused) as caught:
        github.verify(signed(body, "another-secret"), body, SECRET)
    assert caught.value.status == 401


def test_without_a_configured_secret_nothing_verifies() -> None:
    body = body_of("ping.json")
    with pytest.raises(HookRefused) as caught:
        github.verify(signed(body, ""), body, "")
    assert caught.value.status == 401


# --- workflow runs ---------------------------------------------------------------------


def test_a_failed_run_is_a_ci_failure_of_its_repo_workflow_and_branch() -> None:
    delivery = deliver("workflow_run", body_of("workflow_run_failure.json"))
    assert delivery.delivery_id == DELIVERY
    assert delivery.ignored is None
    (event,) = delivery.events
    assert (event.source, event.kind, event.action) == ("github", "ci_failure", "open")
    assert event.dedup_key == "github:run:12850712345:1"
    assert event.observed_at == datetime(2026, 11, 20, 2, 41, 52, tzinfo=UTC)
    assert event.attributes == {
        "repo": "acme/ml-platform",
        "workflow": "nightly-training",
        "branch": "main",
    }
    assert event.title == "nightly-training on main in acme/ml-platform failed"
    assert event.url == "https://github.com/acme/ml-platform/actions/runs/12850712345"
    assert event.debt_key is None and event.ended_at is None


def test_each_attempt_of_a_run_that_fails_is_its_own_failure() -> None:
    payload = fixture("workflow_run_failure.json")
    payload["workflow_run"]["run_attempt"] = 2
    (event,) = deliver("workflow_run", payload).events
    assert event.dedup_key == "github:run:12850712345:2"
    assert event.title.endswith("failed (attempt 2)")


def test_a_rerun_that_passes_is_a_flaky_test() -> None:
    failed = deliver("workflow_run", body_of("workflow_run_failure.json"), "d-1").events[0]
    (flaky,) = deliver("workflow_run", body_of("workflow_run_rerun_success.json"), "d-2").events
    assert (flaky.kind, flaky.action) == ("flaky_test", "open")
    assert flaky.dedup_key == "github:flaky:12850712345"
    assert flaky.dedup_key != failed.dedup_key
    assert flaky.attributes == failed.attributes
    assert "passed on attempt 2 of commit 9f2c4e7 after failing" in flaky.title
    assert flaky.observed_at == datetime(2026, 11, 20, 7, 50, 31, tzinfo=UTC)


def test_a_run_that_passes_first_time_is_ignored() -> None:
    payload = fixture("workflow_run_rerun_success.json")
    payload["workflow_run"]["run_attempt"] = 1
    delivery = deliver("workflow_run", payload)
    assert delivery.events == ()
    assert delivery.ignored == "workflow_run succeeded on its first attempt"


@pytest.mark.parametrize("conclusion", ["cancelled", "skipped", "neutral"])
def test_a_run_that_did_not_fail_is_ignored_naming_its_conclusion(conclusion: str) -> None:
    payload = fixture("workflow_run_failure.json")
    payload["workflow_run"]["conclusion"] = conclusion
    delivery = deliver("workflow_run", payload)
    assert delivery.events == ()
    assert delivery.ignored is not None and conclusion in delivery.ignored


def test_a_run_not_completed_yet_is_ignored() -> None:
    payload = fixture("workflow_run_failure.json")
    payload["action"] = "in_progress"
    payload["workflow_run"].update(status="in_progress", conclusion=None)
    delivery = deliver("workflow_run", payload)
    assert delivery.ignored == "workflow_run in_progress: not completed"


def test_a_run_without_a_name_is_named_after_its_workflow() -> None:
    payload = fixture("workflow_run_failure.json")
    payload["workflow_run"]["name"] = ""
    payload["workflow"]["name"] = "Nightly training"
    (event,) = deliver("workflow_run", payload).events
    assert event.attributes["workflow"] == "Nightly training"


def test_a_run_without_a_branch_has_no_branch_attribute() -> None:
    payload = fixture("workflow_run_failure.json")
    payload["workflow_run"]["head_branch"] = None
    (event,) = deliver("workflow_run", payload).events
    assert "branch" not in event.attributes
    assert event.title == "nightly-training in acme/ml-platform failed"


# --- issues ----------------------------------------------------------------------------


def test_an_issue_labelled_debt_key_links_to_that_item() -> None:
    delivery = deliver("issues", body_of("issues_labeled_debt_key.json"))
    (event,) = delivery.events
    assert (event.kind, event.action, event.debt_key) == ("custom", "link", "DEBT-7")
    assert event.dedup_key == "github:issue:2671804411:DEBT-7"
    assert event.title == "acme/ml-platform#214: Backfill job re-reads the whole feature table"
    assert event.url == "https://github.com/acme/ml-platform/issues/214"
    assert event.attributes == {"repo": "acme/ml-platform"}
    assert event.observed_at == datetime(2026, 11, 20, 10, 3, 19, tzinfo=UTC)


def test_an_issue_opened_with_tech_debt_is_a_suggestion() -> None:
    (event,) = deliver("issues", body_of("issues_opened_tech_debt.json")).events
    assert (event.action, event.debt_key) == ("suggest", None)
    assert event.dedup_key == "github:issue:2673150927"
    assert event.observed_at == datetime(2026, 11, 20, 11, 25, 7, tzinfo=UTC)


def test_a_debt_label_is_read_whatever_its_case() -> None:
    payload = fixture("issues_opened_tech_debt.json")
    payload["issue"]["labels"] = [{"name": "Debt: debt-12"}, {"name": "Tech-Debt"}]
    (event,) = deliver("issues", payload).events
    assert (event.action, event.debt_key) == ("link", "DEBT-12")


def test_an_issue_naming_two_items_links_to_both() -> None:
    payload = fixture("issues_opened_tech_debt.json")
    payload["issue"]["labels"] = [{"name": "debt:DEBT-1"}, {"name": "debt:DEBT-2"}]
    events = deliver("issues", payload).events
    assert [e.debt_key for e in events] == ["DEBT-1", "DEBT-2"]


def test_a_label_that_is_not_about_debt_is_ignored() -> None:
    payload = fixture("issues_labeled_debt_key.json")
    payload["label"] = {"name": "bug"}
    delivery = deliver("issues", payload)
    assert delivery.events == ()
    assert delivery.ignored == "no debt:KEY or tech-debt label on the issue"


def test_a_debt_label_without_a_key_names_nothing() -> None:
    payload = fixture("issues_labeled_debt_key.json")
    payload["label"] = {"name": "debt:someday"}
    assert deliver("issues", payload).events == ()


def test_an_issue_closed_is_ignored() -> None:
    payload = fixture("issues_labeled_debt_key.json")
    payload["action"] = "closed"
    assert deliver("issues", payload).ignored == "issues closed: not opened or labeled"


# --- other events, duplicates ----------------------------------------------------------


def test_ping_is_ignored_with_its_reason() -> None:
    delivery = deliver("ping", body_of("ping.json"))
    assert delivery.events == ()
    assert delivery.ignored is not None and delivery.ignored.startswith("ping:")


def test_an_event_debtpulse_does_not_read_is_ignored_by_name() -> None:
    delivery = deliver("push", {"ref": "refs/heads/main"})
    assert delivery.events == ()
    assert delivery.ignored is not None and "'push'" in delivery.ignored


def test_the_same_delivery_twice_has_the_same_id_and_events() -> None:
    first = deliver("workflow_run", body_of("workflow_run_failure.json"))
    again = deliver("workflow_run", body_of("workflow_run_failure.json"))
    assert first == again


# --- malformed requests ----------------------------------------------------------------


def _without(path: str) -> dict[str, Any]:
    payload = fixture("workflow_run_failure.json")
    *parents, last = path.split(".")
    node = payload
    for name in parents:
        node = node[name]
    del node[last]
    return payload


@pytest.mark.parametrize(
    "path",
    ["workflow_run.head_sha", "workflow_run.id", "workflow_run.run_attempt", "repository"],
)
def test_a_run_missing_a_field_is_refused_naming_it(path: str) -> None:
    problem = refused("workflow_run", _without(path))
    assert (problem.status, problem.message) == (400, f"{path}: missing")


def test_a_field_of_the_wrong_type_is_refused_naming_it() -> None:
    payload = fixture("workflow_run_failure.json")
    payload["workflow_run"]["run_attempt"] = "2"
    assert refused("workflow_run", payload).message == (
        "workflow_run.run_attempt: expected an integer"
    )


def test_a_time_that_is_not_one_is_refused() -> None:
    payload = fixture("workflow_run_failure.json")
    payload["workflow_run"]["updated_at"] = "yesterday"
    assert refused("workflow_run", payload).message.startswith(
        "workflow_run.updated_at: not a timestamp"
    )


def test_an_issue_label_without_a_name_is_refused() -> None:
    payload = fixture("issues_opened_tech_debt.json")
    payload["issue"]["labels"] = [{"color": "fbca04"}]
    assert refused("issues", payload).message == "issue.labels[0].name: missing"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "body: not valid JSON"),
        (b"[1, 2]", "body: expected a JSON object"),
        (b"\xff\xfe\x00", "body: not valid JSON"),
        (b"[" * 100_000, "body: not valid JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(body: bytes, message: str) -> None:
    problem = refused("workflow_run", body)
    assert problem.status == 400
    assert problem.message.startswith(message)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("x-github-delivery", "X-GitHub-Delivery: missing"),
        ("x-github-event", "X-GitHub-Event: missing"),
    ],
)
def test_a_request_without_githubs_headers_is_refused(missing: str, message: str) -> None:
    headers = {"x-github-event": "ping", "x-github-delivery": DELIVERY}
    del headers[missing]
    with pytest.raises(HookRefused) as caught:
        github.parse(headers, body_of("ping.json"), received_at=RECEIVED)
    assert (caught.value.status, caught.value.message) == (400, message)
