"""Prometheus Alertmanager's webhook, and Grafana alerting's, which posts the same shape (pure).

Neither signs its body: Alertmanager's ``http_config`` (``authorization: {credentials: ...}``)
and Grafana's contact point both send ``Authorization: Bearer <token>``, compared here in
constant time. The receiving side calls :func:`verify` only when a token is configured (the
operator may take them unsigned, ``DEBTPULSE_ALERTMANAGER_ALLOW_UNSIGNED``).

One POST carries one alert group; each alert of ``alerts[]`` is an event:

- ``firing`` opens an occurrence at ``startsAt``; ``resolved`` closes it, with ``ended_at``
  its ``endsAt``: the time to recover. Both carry ``alertmanager:<fingerprint>:<startsAt>``
  (``startsAt`` in UTC), so the close finds its open, and the same alert firing again later
  is a new occurrence.
- The kind is ``drift`` or ``data_quality`` when the alert has a label ``debt_kind`` (or
  ``category``) with that value, else ``alert``.
- A ``debt_key`` (or ``debt_item``) label naming a key sends it to that item.
- Attributes, for routing rules: ``alertname``, ``service`` and ``labels.<name>`` for every
  label.

A delivery is named by its group (``groupKey``) and the state of each alert (fingerprint,
``startsAt`` and status): Alertmanager sends an unchanged group again every
``repeat_interval``, and that resend is a duplicate.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from bot.core.webhooks.debt_labels import debt_key as key_named
from bot.core.webhooks.events import Delivery, Headers, HookEvent, HookRefused, Kind
from bot.core.webhooks.payload import Fields, header, load_object, short
from bot.core.webhooks.signing import require_secret, same_token

SOURCE = "alertmanager"
#: Label values that make an alert a signal of another kind than ``alert``.
_KINDS: dict[str, Kind] = {"drift": "drift", "data_quality": "data_quality"}
_KIND_LABELS = ("debt_kind", "category")
_KEY_LABELS = ("debt_key", "debt_item")
#: Alertmanager's fingerprints are 16 hex digits; anything much longer is not one.
_FINGERPRINT_LENGTH = 100
#: Go's zero time, which Alertmanager writes as the ``endsAt`` of an alert still firing.
_NO_TIME = datetime(1, 1, 1, tzinfo=UTC)


def verify(headers: Headers, body: bytes, secret: str) -> None:
    """Check ``Authorization: Bearer <token>``: 401 when it is missing or not the token."""
    require_secret(secret, "Authorization")
    given = header(headers, "authorization")
    if given is None:
        raise HookRefused(401, "Authorization: missing (expected Bearer and the token)")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HookRefused(401, "Authorization: expected Bearer and the token")
    if not same_token(token.strip(), secret):
        raise HookRefused(401, "Authorization: not the configured token")


def parse(headers: Headers, body: bytes, *, received_at: datetime) -> Delivery:
    """An event per alert of the group; ``received_at`` is unused (alerts carry their times)."""
    payload = load_object(body)
    group_key = payload.text("groupKey")
    if not payload.has("alerts"):
        raise payload.refuse("alerts", "missing")
    events = tuple(_event(alert) for alert in payload.children("alerts"))
    delivery_id = _delivery_id(group_key, events)
    if not events:
        return Delivery(delivery_id, ignored="the alert group has no alerts")
    return Delivery(delivery_id, events=events)


def _event(alert: Fields) -> HookEvent:
    status = alert.text("status")
    if status not in ("firing", "resolved"):
        raise alert.refuse("status", "expected firing or resolved")
    fingerprint = alert.text("fingerprint")
    if len(fingerprint) > _FINGERPRINT_LENGTH:
        raise alert.refuse("fingerprint", f"longer than {_FINGERPRINT_LENGTH} characters")
    labels = alert.strings("labels")
    annotations = alert.strings("annotations")
    starts = alert.timestamp("startsAt")
    ends = alert.optional_timestamp("endsAt")
    if ends == _NO_TIME:
        ends = None
    if status == "resolved" and ends is None:
        raise alert.refuse("endsAt", "missing on a resolved alert")
    if status == "resolved" and ends is not None and ends < starts:
        raise alert.refuse("endsAt", "before startsAt")
    return HookEvent(
        source=SOURCE,
        kind=_kind(labels),
        action="open" if status == "firing" else "close",
        dedup_key=f"{SOURCE}:{fingerprint}:{_utc(starts)}",
        observed_at=starts,
        ended_at=ends if status == "resolved" else None,
        title=_title(labels, annotations, fingerprint),
        debt_key=next(filter(None, (key_named(labels.get(name)) for name in _KEY_LABELS)), None),
        url=alert.optional_text("generatorURL") or "",
        attributes=_attributes(labels),
    )


def _kind(labels: dict[str, str]) -> Kind:
    for name in _KIND_LABELS:
        kind = _KINDS.get(labels.get(name, "").strip().lower())
        if kind is not None:
            return kind
    return "alert"


def _title(labels: dict[str, str], annotations: dict[str, str], fingerprint: str) -> str:
    """``<alertname>: <summary>``, or whichever of them there is."""
    name = labels.get("alertname", "").strip()
    summary = annotations.get("summary", "").strip()
    if name and summary:
        return short(f"{name}: {summary}")
    return short(name or summary or f"alert {fingerprint}")


def _attributes(labels: dict[str, str]) -> dict[str, str]:
    attributes = {f"labels.{name}": value for name, value in labels.items()}
    for name in ("alertname", "service"):
        if labels.get(name):
            attributes[name] = labels[name]
    return attributes


def _delivery_id(group_key: str, events: tuple[HookEvent, ...]) -> str:
    """The same group in the same state gives the same id, in whatever order its alerts are."""
    state = sorted(f"{event.dedup_key}:{event.action}" for event in events)
    digest = hashlib.sha256(json.dumps([group_key, state]).encode("utf-8")).hexdigest()
    return f"group:{digest}"


def _utc(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
