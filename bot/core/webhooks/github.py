"""GitHub's webhooks (pure): failed and flaky Actions runs, and issues labelled as debt.

GitHub signs the raw body with the webhook's secret, ``X-Hub-Signature-256: sha256=<hex
HMAC-SHA256>``; ``X-GitHub-Delivery`` names the delivery (a redelivery keeps it) and
``X-GitHub-Event`` the event. What becomes a signal:

- ``workflow_run`` completed with conclusion ``failure``: a ``ci_failure``, one per run and
  attempt (``github:run:<id>:<attempt>``), with the attributes ``repo`` (the repository's
  full name), ``workflow`` (the workflow's name) and ``branch`` (the head branch).
- ``workflow_run`` completed with ``success`` on a rerun (``run_attempt`` > 1): a
  ``flaky_test``, one per run (``github:flaky:<id>``). A rerun runs the same commit
  (``head_sha``) again, and a run is rerun because an attempt failed, so a rerun that passes
  means the same commit failed and then passed. The receiver cannot see the earlier attempt
  itself (each delivery stands alone); a run that passed and was rerun by hand counts too.
- ``issues`` opened or labelled: a ``debt:KEY`` label links the issue to KEY, a ``tech-debt``
  label suggests it (see :mod:`bot.core.webhooks.debt_labels`).

``ping`` (sent when the webhook is created) and every other event are ignored, with the reason.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime

from bot.core.webhooks.debt_labels import issue_events
from bot.core.webhooks.events import Delivery, Headers, HookEvent, HookRefused, Kind
from bot.core.webhooks.payload import Fields, delivery_header, header, load_object, short
from bot.core.webhooks.signing import hmac_sha256_hex, require_secret

SOURCE = "github"
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
_READ = "debtpulse reads workflow_run and issues"


def verify(headers: Headers, body: bytes, secret: str) -> None:
    """Check ``X-Hub-Signature-256`` against the raw body: 401 when it is missing or does not
    match, 400 when it is not ``sha256=`` and 64 hex digits."""
    require_secret(secret, "X-Hub-Signature-256")
    given = header(headers, "x-hub-signature-256")
    if given is None:
        raise HookRefused(401, "X-Hub-Signature-256: missing (set the webhook's secret)")
    match = _SIGNATURE.fullmatch(given)
    if match is None:
        raise HookRefused(400, "X-Hub-Signature-256: expected sha256= and 64 hex digits")
    if not hmac.compare_digest(match[1].lower(), hmac_sha256_hex(secret, body)):
        raise HookRefused(401, "X-Hub-Signature-256: does not match the body and the secret")


def parse(headers: Headers, body: bytes, *, received_at: datetime) -> Delivery:
    """The delivery's events; ``received_at`` is unused (GitHub dates everything it sends)."""
    delivery_id = delivery_header(headers, "x-github-delivery", "X-GitHub-Delivery")
    if delivery_id is None:
        raise HookRefused(400, "X-GitHub-Delivery: missing")
    event = header(headers, "x-github-event")
    if event is None:
        raise HookRefused(400, "X-GitHub-Event: missing")
    payload = load_object(body)
    if event == "ping":
        return Delivery(delivery_id, ignored="ping: GitHub checking the webhook, nothing to record")
    if event == "workflow_run":
        return _workflow_run(delivery_id, payload)
    if event == "issues":
        return _issue(delivery_id, payload)
    return Delivery(delivery_id, ignored=f"event {short(event)[:60]!r} is not read ({_READ})")


def _workflow_run(delivery_id: str, payload: Fields) -> Delivery:
    action = payload.text("action")
    run = payload.child("workflow_run")
    run_id = run.integer("id")
    attempt = run.integer("run_attempt")
    head_sha = run.text("head_sha")
    repo = payload.child("repository").text("full_name")
    if action != "completed":
        return Delivery(delivery_id, ignored=f"workflow_run {short(action)[:40]}: not completed")
    conclusion = run.text("conclusion")
    finished = run.timestamp("updated_at")
    workflow = _workflow_name(payload, run)
    branch = run.optional_text("head_branch")
    where = f"{workflow}{f' on {branch}' if branch else ''} in {repo}"
    kind: Kind
    if conclusion == "failure":
        kind, dedup_key = "ci_failure", f"{SOURCE}:run:{run_id}:{attempt}"
        title = f"{where} failed" + (f" (attempt {attempt})" if attempt > 1 else "")
    elif conclusion == "success" and attempt > 1:
        kind, dedup_key = "flaky_test", f"{SOURCE}:flaky:{run_id}"
        title = f"{where} passed on attempt {attempt} of commit {head_sha[:7]} after failing"
    elif conclusion == "success":
        return Delivery(delivery_id, ignored="workflow_run succeeded on its first attempt")
    else:
        shown = short(conclusion)[:40]
        return Delivery(delivery_id, ignored=f"workflow_run concluded {shown}: not a failure")
    attributes = {"repo": repo, "workflow": workflow}
    if branch:
        attributes["branch"] = branch
    event = HookEvent(
        source=SOURCE,
        kind=kind,
        action="open",
        dedup_key=dedup_key,
        observed_at=finished,
        title=short(title),
        url=run.optional_text("html_url") or "",
        attributes=attributes,
    )
    return Delivery(delivery_id, events=(event,))


def _workflow_name(payload: Fields, run: Fields) -> str:
    """The run's name; GitHub may send it empty, then the workflow's name, or its file."""
    workflow = payload.optional_child("workflow")
    return (
        run.optional_text("name")
        or (workflow.optional_text("name") if workflow is not None else None)
        or run.optional_text("path")
        or "workflow"
    )


def _issue(delivery_id: str, payload: Fields) -> Delivery:
    action = payload.text("action")
    issue = payload.child("issue")
    issue_id = issue.integer("id")
    number = issue.integer("number")
    title = issue.text("title")
    repo = payload.child("repository").text("full_name")
    if action not in ("opened", "labeled"):
        return Delivery(delivery_id, ignored=f"issues {short(action)[:40]}: not opened or labeled")
    if action == "labeled" and payload.has("label"):
        labels = [payload.child("label").text("name")]  # the label just added
    else:
        labels = [label.text("name") for label in issue.children("labels")]
    events = issue_events(
        source=SOURCE,
        issue_id=issue_id,
        labels=labels,
        title=short(f"{repo}#{number}: {title}"),
        url=issue.optional_text("html_url") or "",
        observed_at=issue.timestamp("created_at" if action == "opened" else "updated_at"),
        attributes={"repo": repo},
    )
    if not events:
        return Delivery(delivery_id, ignored="no debt:KEY or tech-debt label on the issue")
    return Delivery(delivery_id, events=events)
