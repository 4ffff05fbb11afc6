"""GitLab's webhooks (pure): failed pipelines and jobs, jobs that passed on a retry, and
issues labelled as debt.

GitLab sends the webhook's secret token as it is, in ``X-Gitlab-Token``; it is compared in
constant time. A delivery is named by ``Idempotency-Key`` (GitLab 17.4 and later; the same
on a retry of the delivery), else by its object and state: ``pipeline:<id>:<status>``,
``job:<id>:<status>``, ``issue:<id>:<action>:<updated_at>`` (any other hook: its body's
SHA-256). The kind of hook is the body's
``object_kind`` (``X-Gitlab-Event`` names the same). What becomes a signal:

- Pipeline Hook with status ``failed``: a ``ci_failure`` (``gitlab:pipeline:<id>``), with the
  attributes ``repo`` (``project.path_with_namespace``), ``branch`` (``ref``) and
  ``workflow`` (the pipeline's ``source``: ``push``, ``schedule``, ...).
- Job Hook with status ``failed``: a ``ci_failure`` (``gitlab:job:<id>``, ``workflow`` the
  job's name); a job allowed to fail is ignored. Job Hook with ``success`` and
  ``retries_count`` > 0: a ``flaky_test`` (``gitlab:flaky:<id>``): a retried job that
  passes failed before on the same commit. A team that subscribes to both hooks gets both
  failures of one breakage; subscribe to one of them.
- Issue Hook: an issue opened with, or updated to add, a ``debt:KEY`` label links it to KEY,
  a ``tech-debt`` label suggests it (see :mod:`bot.core.webhooks.debt_labels`).

Everything else (pushes, merge requests, ...) is ignored, with the reason.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from bot.core.webhooks.debt_labels import issue_events
from bot.core.webhooks.events import Delivery, Headers, HookEvent, HookRefused, Kind
from bot.core.webhooks.payload import Fields, delivery_header, header, load_object, short
from bot.core.webhooks.signing import require_secret, same_token

SOURCE = "gitlab"
_READ = "debtpulse reads Pipeline, Job and Issue Hooks"


def verify(headers: Headers, body: bytes, secret: str) -> None:
    """Check ``X-Gitlab-Token``: 401 when it is missing or is not the configured token."""
    require_secret(secret, "X-Gitlab-Token")
    given = header(headers, "x-gitlab-token")
    if given is None:
        raise HookRefused(401, "X-Gitlab-Token: missing (set the webhook's secret token)")
    if not same_token(given, secret):
        raise HookRefused(401, "X-Gitlab-Token: not the configured token")


def parse(headers: Headers, body: bytes, *, received_at: datetime) -> Delivery:
    """The delivery's events; ``received_at`` dates a failure GitLab sent without its time."""
    key = delivery_header(headers, "idempotency-key", "Idempotency-Key")
    payload = load_object(body)
    kind = payload.text("object_kind")
    if kind == "pipeline":
        return _pipeline(key, payload, received_at)
    if kind == "build":
        return _job(key, payload, received_at)
    if kind == "issue":
        return _issue(key, payload)
    hook = header(headers, "x-gitlab-event") or kind
    delivery_id = key or f"body:{hashlib.sha256(body).hexdigest()}"
    return Delivery(delivery_id, ignored=f"{short(hook)[:60]} is not read ({_READ})")


def _pipeline(key: str | None, payload: Fields, received_at: datetime) -> Delivery:
    pipeline = payload.child("object_attributes")
    pipeline_id = pipeline.integer("id")
    status = pipeline.text("status")
    ref = pipeline.text("ref")
    project = payload.child("project")
    repo = project.text("path_with_namespace")
    delivery_id = key or f"pipeline:{pipeline_id}:{status}"
    if status != "failed":
        return Delivery(delivery_id, ignored=f"pipeline {short(status)[:40]}: not failed")
    workflow = pipeline.optional_text("source") or pipeline.optional_text("name")
    attributes = {"repo": repo, "branch": ref}
    if workflow:
        attributes["workflow"] = workflow
    number = pipeline.optional_integer("iid") or pipeline_id
    url = pipeline.optional_text("url") or _web_url(project, f"/-/pipelines/{pipeline_id}")
    event = _ci_event(
        "ci_failure",
        f"{SOURCE}:pipeline:{pipeline_id}",
        title=f"Pipeline #{number} failed on {ref} in {repo}",
        observed_at=_finished(pipeline, "finished_at", "created_at", received_at),
        url=url,
        attributes=attributes,
    )
    return Delivery(delivery_id, events=(event,))


def _job(key: str | None, payload: Fields, received_at: datetime) -> Delivery:
    job_id = payload.integer("build_id")
    status = payload.text("build_status")
    name = payload.text("build_name")
    ref = payload.text("ref")
    retries = payload.optional_integer("retries_count") or 0
    project = payload.child("project")
    repo = project.text("path_with_namespace")
    delivery_id = key or f"job:{job_id}:{status}"
    kind: Kind
    if status == "failed" and payload.flag("build_allow_failure"):
        return Delivery(delivery_id, ignored="job failed but is allowed to fail")
    if status == "failed":
        kind, dedup_key = "ci_failure", f"{SOURCE}:job:{job_id}"
        title = f"Job {name} failed on {ref} in {repo}"
    elif status == "success" and retries > 0:
        kind, dedup_key = "flaky_test", f"{SOURCE}:flaky:{job_id}"
        title = f"Job {name} on {ref} in {repo} passed after {retries} {_times(retries)}"
    else:
        return Delivery(delivery_id, ignored=f"job {short(status)[:40]}: not failed or retried")
    event = _ci_event(
        kind,
        dedup_key,
        title=title,
        observed_at=_finished(payload, "build_finished_at", "build_created_at", received_at),
        url=_web_url(project, f"/-/jobs/{job_id}"),
        attributes={"repo": repo, "branch": ref, "workflow": name},
    )
    return Delivery(delivery_id, events=(event,))


def _issue(key: str | None, payload: Fields) -> Delivery:
    issue = payload.child("object_attributes")
    issue_id = issue.integer("id")
    title = issue.text("title")
    action = issue.optional_text("action") or "update"
    updated_at = issue.text("updated_at")
    repo = payload.child("project").text("path_with_namespace")
    delivery_id = key or f"issue:{issue_id}:{action}:{updated_at}"[:200]
    if action == "open":
        labels = [label.text("title") for label in payload.children("labels")]
    elif action == "update":
        labels = _added_labels(payload)
    else:
        return Delivery(delivery_id, ignored=f"issue {short(action)[:40]}: not opened or labelled")
    number = issue.optional_integer("iid") or issue_id
    events = issue_events(
        source=SOURCE,
        issue_id=issue_id,
        labels=labels,
        title=short(f"{repo}#{number}: {title}"),
        url=issue.optional_text("url") or "",
        observed_at=issue.timestamp("created_at" if action == "open" else "updated_at"),
        attributes={"repo": repo},
    )
    if not events:
        return Delivery(delivery_id, ignored="no debt:KEY or tech-debt label added to the issue")
    return Delivery(delivery_id, events=events)


def _added_labels(payload: Fields) -> list[str]:
    """The labels an update added: in ``changes.labels.current``, not in ``.previous``."""
    changes = payload.optional_child("changes")
    labels = changes.optional_child("labels") if changes is not None else None
    if labels is None:
        return []
    before = {label.text("title") for label in labels.children("previous")}
    return [
        name for label in labels.children("current") if (name := label.text("title")) not in before
    ]


def _ci_event(
    kind: Kind,
    dedup_key: str,
    *,
    title: str,
    observed_at: datetime,
    url: str,
    attributes: dict[str, str],
) -> HookEvent:
    return HookEvent(
        source=SOURCE,
        kind=kind,
        action="open",
        dedup_key=dedup_key,
        observed_at=observed_at,
        title=short(title),
        url=url,
        attributes=attributes,
    )


def _finished(fields: Fields, finished: str, created: str, received_at: datetime) -> datetime:
    """When it ended; GitLab may leave that null, then when it was created, else received."""
    return fields.optional_timestamp(finished) or fields.optional_timestamp(created) or received_at


def _web_url(project: Fields, tail: str) -> str:
    base = project.optional_text("web_url")
    return f"{base.rstrip('/')}{tail}" if base else ""


def _times(count: int) -> str:
    return "retry" if count == 1 else "retries"
