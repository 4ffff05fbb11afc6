"""Sentry integration-platform webhooks (pure): issue alerts, critical metric alerts and new
issues open ``alert`` signals; a resolved metric alert or issue closes its own.

Sentry signs the raw body with the integration's client secret: ``Sentry-Hook-Signature`` is
its hex HMAC-SHA256 (401 when missing or wrong). ``Sentry-Hook-Resource`` says what the body
is; ``Request-ID`` is the delivery id (a body without one is identified by its SHA-256).

- ``event_alert`` (an alert rule fired on an event): one occurrence per issue and event,
  ``sentry:event_alert:<issue id>:<event id>``, with the project, the culprit, the rule and the
  event's tags as ``tags.<name>``; a tag ``debt`` (or ``debt_key``) whose value is a debt key
  (``debt:ML-12`` in Sentry's search) names the item.
- ``metric_alert``: ``critical`` opens ``sentry:metric_alert:<id>``, ``resolved`` closes it,
  ``warning`` is ignored.
- ``issue``: ``created`` opens ``sentry:issue:<id>``, ``resolved`` closes it (when debtpulse
  received it: the payload says no time); the other actions are ignored.
- ``installation``, ``comment``, ``error`` and any other resource: ignored, with the reason.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime

from bot.core.webhooks.debt_labels import debt_key
from bot.core.webhooks.events import Action, Delivery, Headers, HookEvent, HookRefused
from bot.core.webhooks.payload import Fields, delivery_header, header, load_object, short
from bot.core.webhooks.signing import hmac_sha256_hex, require_secret

SOURCE = "sentry"
SIGNATURE_HEADER = "Sentry-Hook-Signature"
RESOURCE_HEADER = "Sentry-Hook-Resource"
TAKEN = ("event_alert", "metric_alert", "issue")
_TAKEN_TEXT = "only event_alert, metric_alert and issue"
#: The tags that name a debt item.
DEBT_TAGS = ("debt", "debt_key")
# the project's slug in an event's API url: .../projects/<org>/<project>/events/<id>/
_PROJECT_IN_URL = re.compile(r"/projects/[^/]+/([^/]+)/events/")


def verify(headers: Headers, body: bytes, secret: str) -> None:
    """Valid when ``Sentry-Hook-Signature`` is the hex HMAC-SHA256 of the body."""
    require_secret(secret, SIGNATURE_HEADER)
    given = header(headers, SIGNATURE_HEADER)
    if given is None:
        raise HookRefused(401, f"{SIGNATURE_HEADER}: missing")
    expected = hmac_sha256_hex(secret, body).encode("ascii")
    if not hmac.compare_digest(expected, given.lower().encode("utf-8", "replace")):
        raise HookRefused(401, f"{SIGNATURE_HEADER}: does not match the client secret")


def parse(headers: Headers, body: bytes, *, received_at: datetime) -> Delivery:
    """The delivery (``Request-ID``) and the alert it opens or closes, if any."""
    resource = header(headers, RESOURCE_HEADER)
    if resource is None:
        raise HookRefused(400, f"{RESOURCE_HEADER}: missing")
    delivery_id = delivery_header(headers, "request-id", "Request-ID")
    if delivery_id is None:
        delivery_id = "sha256:" + hashlib.sha256(body).hexdigest()
    payload = load_object(body)
    if resource not in TAKEN:
        return Delivery(
            delivery_id, ignored=f"resource {short(resource)[:40]} is not taken ({_TAKEN_TEXT})"
        )
    action = payload.text("action")
    data = payload.child("data")
    if resource == "event_alert":
        return Delivery(delivery_id, events=(_event_alert(data, received_at),))
    if resource == "metric_alert":
        if action not in ("critical", "resolved"):
            return Delivery(
                delivery_id,
                ignored=f"metric alert {short(action)[:40]}: only critical and resolved are taken",
            )
        return Delivery(delivery_id, events=(_metric_alert(data, action, received_at),))
    if action not in ("created", "resolved"):
        return Delivery(
            delivery_id, ignored=f"issue {short(action)[:40]}: only created and resolved are taken"
        )
    return Delivery(delivery_id, events=(_issue(data, action, received_at),))


def _event_alert(data: Fields, received_at: datetime) -> HookEvent:
    event = data.child("event")
    issue_id, event_id = _id(event, "issue_id"), _id(event, "event_id")
    tags = _tags(event)
    rule = data.optional_text("triggered_rule")
    attributes = {f"tags.{name}": value for name, value in tags.items()}
    project = _project_from_url(event.optional_text("url"))
    extra = {"project": project, "culprit": event.optional_text("culprit"), "rule": rule}
    attributes.update({name: value for name, value in extra.items() if value is not None})
    if "environment" in tags:
        attributes["environment"] = tags["environment"]
    named = (debt_key(tags.get(name)) for name in DEBT_TAGS)
    return HookEvent(
        source=SOURCE,
        kind="alert",
        action="open",
        dedup_key=f"{SOURCE}:event_alert:{issue_id}:{event_id}",
        observed_at=_event_time(event) or received_at,
        title=short(event.optional_text("title") or rule or f"Sentry issue {issue_id}"),
        debt_key=next((key for key in named if key is not None), None),
        url=event.optional_text("web_url") or "",
        attributes=attributes,
    )


def _metric_alert(data: Fields, action: str, received_at: datetime) -> HookEvent:
    alert = data.child("metric_alert")
    began = (
        alert.optional_timestamp("date_started")
        or alert.optional_timestamp("date_detected")
        or received_at
    )
    rule = alert.optional_child("alert_rule")
    attributes: dict[str, str] = {}
    projects = _strings(alert, "projects") or (_strings(rule, "projects") if rule else [])
    if projects:
        attributes["project"] = ",".join(projects)
    if rule is not None:
        for name, value in (("rule", "name"), ("environment", "environment")):
            written = rule.optional_text(value)
            if written is not None:
                attributes[name] = written
    title = data.optional_text("description_title") or alert.optional_text("title")
    ended = alert.optional_timestamp("date_closed") or received_at
    return _occurrence(
        action="open" if action == "critical" else "close",
        dedup_key=f"{SOURCE}:metric_alert:{_id(alert, 'id')}",
        began=began,
        ended=ended,
        title=title or attributes.get("rule") or "Sentry metric alert",
        url=data.optional_text("web_url") or "",
        attributes=attributes,
    )


def _issue(data: Fields, action: str, received_at: datetime) -> HookEvent:
    issue = data.child("issue")
    issue_id = _id(issue, "id")
    attributes: dict[str, str] = {}
    project = issue.optional_child("project")
    slug = project.optional_text("slug") if project is not None else None
    if slug is not None:
        attributes["project"] = slug
    for name in ("culprit", "level"):
        written = issue.optional_text(name)
        if written is not None:
            attributes[name] = written
    title = issue.optional_text("title") or issue.optional_text("shortId")
    return _occurrence(
        action="open" if action == "created" else "close",
        dedup_key=f"{SOURCE}:issue:{issue_id}",
        began=issue.optional_timestamp("firstSeen") or received_at,
        ended=received_at,
        title=title or f"Sentry issue {issue_id}",
        url=issue.optional_text("web_url") or issue.optional_text("permalink") or "",
        attributes=attributes,
    )


def _occurrence(
    *,
    action: Action,
    dedup_key: str,
    began: datetime,
    ended: datetime,
    title: str,
    url: str,
    attributes: dict[str, str],
) -> HookEvent:
    """An alert that opens, or closes (never ending before it began)."""
    return HookEvent(
        source=SOURCE,
        kind="alert",
        action=action,
        dedup_key=dedup_key,
        observed_at=began,
        ended_at=max(began, ended) if action == "close" else None,
        title=short(title),
        url=url,
        attributes=attributes,
    )


def _id(fields: Fields, name: str) -> str:
    """An id Sentry writes as a string (some versions as a number)."""
    value = fields.data.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return fields.text(name)


def _event_time(event: Fields) -> datetime | None:
    """When the event happened: ``datetime``, else the epoch seconds of ``timestamp``."""
    moment = event.optional_timestamp("datetime")
    if moment is not None:
        return moment
    seconds = event.data.get("timestamp")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise event.refuse("timestamp", "not a time in epoch seconds") from None
    return None


def _tags(event: Fields) -> dict[str, str]:
    """The event's tags, written ``[[name, value], ...]`` or ``[{"key", "value"}, ...]``."""
    written = event.data.get("tags")
    if written is None:
        return {}
    if not isinstance(written, list):
        raise event.refuse("tags", "expected a list")
    tags: dict[str, str] = {}
    for n, tag in enumerate(written):
        pair = [tag.get("key"), tag.get("value")] if isinstance(tag, dict) else tag
        if not isinstance(pair, list) or len(pair) != 2:
            raise event.refuse(f"tags[{n}]", "expected a [name, value] pair")
        name, value = pair
        if not isinstance(name, str) or not isinstance(value, str):
            raise event.refuse(f"tags[{n}]", "expected a [name, value] pair of strings")
        tags[name] = value
    return tags


def _strings(fields: Fields, name: str) -> list[str]:
    value = fields.data.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise fields.refuse(name, "expected a list of strings")
    return value


def _project_from_url(url: str | None) -> str | None:
    match = _PROJECT_IN_URL.search(url or "")
    return match[1] if match else None
