"""GitLab's webhook as GitLab sends it: the secret token, failed pipelines and jobs, jobs that
passed on a retry, issues labelled as debt, and what is ignored or refused (and why)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.webhooks import gitlab
from bot.core.webhooks.events import Delivery, HookRefused

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "webhooks" / "gitlab"
TOKEN = "gl-webhook-token-for-tests"
RECEIVED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOOKS = {
    "pipeline_failed.json": "Pipeline Hook",
    "job_failed.json": "Job Hook",
    "job_retried_success.json": "Job Hook",
    "issue_opened_tech_debt.json": "Issue Hook",
    "issue_labeled_debt_key.json": "Issue Hook",
}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def deliver(
    name: str, payload: dict[str, Any] | None = None, idempotency_key: str | None = None
) -> Delivery:
    """Verify and parse a request as GitLab sends it, as the endpoint does."""
    raw = (FIXTURES / name).read_bytes() if payload is None else json.dumps(payload).encode()
    headers = {"x-gitlab-token": TOKEN, "x-gitlab-event": HOOKS.get(name, "Push Hook")}
    if idempotency_key is not None:
        headers["idempotency-key"] = idempotency_key
    gitlab.verify(headers, raw, TOKEN)
    return gitlab.parse(headers, raw, received_at=RECEIVED)


def refused(name: str, payload: dict[str, Any]) -> HookRefused:
    with pytest.raises(HookRefused) as caught:
        deliver(name, payload)
    return caught.value


# --- the token -------------------------------------------------------------------------


def test_the_configured_token_verifies() -> None:
    gitlab.verify({"x-gitlab-token": f" {TOKEN} "}, b"{}", TOKEN)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "X-Gitlab-Token: missing"),
        ({"x-gitlab-token": ""}, "X-Gitlab-Token: missing"),
        ({"x-gitlab-token": TOKEN[:-1]}, "X-Gitlab-Token: not the configured token"),
        ({"x-gitlab-token": TOKEN + "x"}, "X-Gitlab-Token: not the configured token"),
        ({"x-gitlab-token": "jetón-ünïcode"}, "X-Gitlab-Token: not the configured token"),
    ],
)
def test_a_missing_or_wrong_token_is_refused(headers: dict[str, str], message: str) -> None:
    with pytest.raises(HookRefused) as caught:
        gitlab.verify(headers, b"{}", TOKEN)
    assert caught.value.status == 401
    assert caught.value.message.startswith(message)
    assert TOKEN not in caught.value.message


def test_without_a_configured_token_nothing_verifies() -> None:
    with pytest.raises(HookRefused) as caught:
        gitlab.verify({"x-gitlab-token": ""}, b"{}", "")
    assert caught.value.status == 401


# --- pipelines and jobs ----------------------------------------------------------------


def test_a_failed_pipeline_is_a_ci_failure_of_its_project_and_ref() -> None:
    delivery = deliver("pipeline_failed.json")
    (event,) = delivery.events
    assert (event.source, event.kind, event.action) == ("gitlab", "ci_failure", "open")
    assert event.dedup_key == "gitlab:pipeline:9120"
    assert event.attributes == {
        "repo": "data/ml-platform",
        "branch": "main",
        "workflow": "schedule",
    }
    # GitLab writes "2026-11-20 02:41:50 UTC"
    assert event.observed_at == datetime(2026, 11, 20, 2, 41, 50, tzinfo=UTC)
    assert event.title == "Pipeline #412 failed on main in data/ml-platform"
    assert event.url == "https://gitlab.acme.example/data/ml-platform/-/pipelines/9120"


def test_a_pipeline_that_did_not_fail_is_ignored() -> None:
    payload = fixture("pipeline_failed.json")
    payload["object_attributes"]["status"] = "success"
    delivery = deliver("pipeline_failed.json", payload)
    assert delivery.events == ()
    assert delivery.ignored == "pipeline success: not failed"


def test_a_failed_pipeline_without_its_end_counts_from_its_start() -> None:
    payload = fixture("pipeline_failed.json")
    payload["object_attributes"]["finished_at"] = None
    (event,) = deliver("pipeline_failed.json", payload).events
    assert event.observed_at == datetime(2026, 11, 20, 2, 0, 11, tzinfo=UTC)


def test_a_failed_job_is_a_ci_failure_named_after_the_job() -> None:
    (event,) = deliver("job_failed.json").events
    assert (event.kind, event.action) == ("ci_failure", "open")
    assert event.dedup_key == "gitlab:job:55202"
    assert event.attributes == {
        "repo": "data/ml-platform",
        "branch": "main",
        "workflow": "train-ranker",
    }
    assert event.observed_at == datetime(2026, 11, 20, 2, 41, 49, 602000, tzinfo=UTC)
    assert event.url == "https://gitlab.acme.example/data/ml-platform/-/jobs/55202"


def test_a_job_allowed_to_fail_is_ignored() -> None:
    payload = fixture("job_failed.json")
    payload["build_allow_failure"] = True
    assert deliver("job_failed.json", payload).ignored == "job failed but is allowed to fail"


def test_a_job_that_passed_on_a_retry_is_a_flaky_test() -> None:
    (event,) = deliver("job_retried_success.json").events
    assert (event.kind, event.action) == ("flaky_test", "open")
    assert event.dedup_key == "gitlab:flaky:55219"
    assert event.attributes["workflow"] == "train-ranker"
    assert event.title == "Job train-ranker on main in data/ml-platform passed after 1 retry"


@pytest.mark.parametrize(("status", "retries"), [("success", 0), ("running", 1), ("canceled", 0)])
def test_other_jobs_are_ignored(status: str, retries: int) -> None:
    payload = fixture("job_retried_success.json")
    payload.update(build_status=status, retries_count=retries)
    delivery = deliver("job_retried_success.json", payload)
    assert delivery.events == ()
    assert delivery.ignored == f"job {status}: not failed or retried"


# --- issues ----------------------------------------------------------------------------


def test_an_issue_opened_with_tech_debt_is_a_suggestion() -> None:
    (event,) = deliver("issue_opened_tech_debt.json").events
    assert (event.kind, event.action, event.debt_key) == ("custom", "suggest", None)
    assert event.dedup_key == "gitlab:issue:88213"
    assert event.title == "data/ml-platform#57: Training images still build from the 2023 base"
    assert event.url == "https://gitlab.acme.example/data/ml-platform/-/issues/57"


def test_an_issue_updated_to_add_debt_key_links_to_that_item() -> None:
    (event,) = deliver("issue_labeled_debt_key.json").events
    assert (event.action, event.debt_key) == ("link", "DEBT-7")
    assert event.dedup_key == "gitlab:issue:87940:DEBT-7"
    assert event.observed_at == datetime(2026, 11, 20, 10, 3, 19, tzinfo=UTC)
    assert event.attributes == {"repo": "data/ml-platform"}


def test_an_issue_update_that_adds_no_debt_label_is_ignored() -> None:
    payload = fixture("issue_labeled_debt_key.json")
    del payload["changes"]["labels"]
    delivery = deliver("issue_labeled_debt_key.json", payload)
    assert delivery.events == ()
    assert delivery.ignored == "no debt:KEY or tech-debt label added to the issue"


def test_an_issue_closed_is_ignored() -> None:
    payload = fixture("issue_labeled_debt_key.json")
    payload["object_attributes"]["action"] = "close"
    assert deliver("issue_labeled_debt_key.json", payload).ignored == (
        "issue close: not opened or labelled"
    )


# --- delivery ids, other hooks ---------------------------------------------------------


def test_the_idempotency_key_names_the_delivery() -> None:
    delivery = deliver("job_failed.json", idempotency_key="908a6d9e-45fd-46c8-97e6-c4f350f219dd")
    assert delivery.delivery_id == "908a6d9e-45fd-46c8-97e6-c4f350f219dd"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pipeline_failed.json", "pipeline:9120:failed"),
        ("job_failed.json", "job:55202:failed"),
        ("issue_labeled_debt_key.json", "issue:87940:update:2026-11-20T10:03:19Z"),
    ],
)
def test_without_one_the_delivery_is_named_by_its_object_and_state(
    name: str, expected: str
) -> None:
    assert deliver(name).delivery_id == expected


def test_the_same_delivery_twice_has_the_same_id_and_events() -> None:
    assert deliver("pipeline_failed.json") == deliver("pipeline_failed.json")


def test_a_pipeline_failing_and_then_passing_are_two_deliveries() -> None:
    passed = fixture("pipeline_failed.json")
    passed["object_attributes"]["status"] = "success"
    failed_id = deliver("pipeline_failed.json").delivery_id
    assert deliver("pipeline_failed.json", passed).delivery_id != failed_id


def test_a_hook_debtpulse_does_not_read_is_ignored_by_name() -> None:
    push = {"object_kind": "push", "ref": "refs/heads/main", "commits": []}
    first, again = deliver("push.json", push), deliver("push.json", push)
    assert first.events == ()
    assert first.ignored is not None and first.ignored.startswith("Push Hook is not read")
    assert first.delivery_id == again.delivery_id


# --- malformed requests ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "drop", "message"),
    [
        ("pipeline_failed.json", ("object_kind",), "object_kind: missing"),
        ("pipeline_failed.json", ("object_attributes", "id"), "object_attributes.id: missing"),
        (
            "pipeline_failed.json",
            ("project", "path_with_namespace"),
            "project.path_with_namespace: missing",
        ),
        ("job_failed.json", ("build_status",), "build_status: missing"),
        ("issue_labeled_debt_key.json", ("object_attributes",), "object_attributes: missing"),
    ],
)
def test_a_body_missing_a_field_is_refused_naming_it(
    name: str, drop: tuple[str, ...], message: str
) -> None:
    payload = fixture(name)
    node = payload
    for key in drop[:-1]:
        node = node[key]
    del node[drop[-1]]
    problem = refused(name, payload)
    assert (problem.status, problem.message) == (400, message)


def test_a_job_id_that_is_not_a_number_is_refused() -> None:
    payload = fixture("job_failed.json")
    payload["build_id"] = "55202"
    assert refused("job_failed.json", payload).message == "build_id: expected an integer"


def test_a_label_list_that_is_not_one_is_refused() -> None:
    payload = fixture("issue_opened_tech_debt.json")
    payload["labels"] = "tech-debt"
    assert refused("issue_opened_tech_debt.json", payload).message == "labels: expected a list"


@pytest.mark.parametrize("body", [b"", b"null", b'"pipeline"', b"{'object_kind': 1}"])
def test_a_body_that_is_not_a_json_object_is_refused(body: bytes) -> None:
    with pytest.raises(HookRefused) as caught:
        gitlab.parse({"x-gitlab-event": "Pipeline Hook"}, body, received_at=RECEIVED)
    assert caught.value.status == 400
    assert caught.value.message.startswith("body: ")
