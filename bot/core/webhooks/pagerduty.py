"""PagerDuty v3 webhooks (pure): an incident triggered opens an ``incident`` signal, its
resolution closes it with the time to recover.

PagerDuty signs the raw body with each of the subscription's secrets and sends the results
comma-separated in ``X-PagerDuty-Signature`` (``v1=<hex>,v1=<hex>`` while a secret is being
rotated): the request is taken when any one of them matches. As PagerDuty asks of a receiver,
a missing or malformed header is answered 400 and a signature that matches none 403; PagerDuty
does not redeliver after either. The delivery id is ``event.id``; an incident is one
occurrence, ``pagerduty:<incident id>``, opened by ``incident.triggered`` and closed by
``incident.resolved`` (ended at the event's ``occurred_at``). Other event types (acknowledged,
escalated, annotated, service changes, ...) are ignored, with the reason.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime

from bot.core.webhooks.events import Delivery, Headers, HookEvent, HookRefused
from bot.core.webhooks.payload import Fields, load_object, short
from bot.core.webhooks.signing import hmac_sha256_hex, require_secret

SOURCE = "pagerduty"
SIGNATURE_HEADER = "X-PagerDuty-Signature"
#: The event types that become signals; every other one is ignored.
TRIGGERED = "incident.triggered"
RESOLVED = "incident.resolved"
_TAKEN_TEXT = f"only {TRIGGERED} and {RESOLVED}"
_HEX = re.compile(r"[0-9a-fA-F]{64}")


def signatures(header: str | None) -> list[str]:
    """The ``v1`` signatures of an ``X-PagerDuty-Signature`` header, lower-case hex.

    Entries of another version are skipped (a later version may join them); a header with
    no ``v1`` entry at all is malformed: HookRefused(400).
    """
    if header is None or not header.strip():
        raise HookRefused(400, f"{SIGNATURE_HEADER}: missing")
    found = []
    for entry in header.split(","):
        version, _, value = entry.strip().partition("=")
        if version == "v1" and _HEX.fullmatch(value.strip()):
            found.append(value.strip().lower())
    if not found:
        raise HookRefused(400, f"{SIGNATURE_HEADER}: no v1=<hex> signature in it")
    return found


def verify(headers: Headers, body: bytes, secret: str) -> None:
    """Valid when any ``v1`` signature is the HMAC-SHA256 of the body with ``secret``."""
    require_secret(secret, SIGNATURE_HEADER)
    given = signatures(headers.get(SIGNATURE_HEADER.lower()))
    if not body:
        raise HookRefused(400, "body: empty")
    expected = hmac_sha256_hex(secret, body).encode("ascii")
    # compare with every entry, not stopping at a match: the time taken tells nothing
    matches = [hmac.compare_digest(expected, sig.encode("ascii")) for sig in given]
    if not any(matches):
        raise HookRefused(403, f"{SIGNATURE_HEADER}: no signature matches the secret")


def parse(headers: Headers, body: bytes, *, received_at: datetime) -> Delivery:
    """The delivery ``event.id`` and the incident signal it opens or closes, if any."""
    event = load_object(body).child("event")
    delivery_id = event.text("id")
    event_type = event.text("event_type")
    if event_type not in (TRIGGERED, RESOLVED):
        shown = short(event_type)[:60]
        return Delivery(delivery_id, ignored=f"event type {shown} is not taken ({_TAKEN_TEXT})")
    incident = event.child("data")
    occurred_at = event.timestamp("occurred_at")
    # when it began: the incident's creation (a resolution carries it too), else this event
    began = incident.optional_timestamp("created_at") or occurred_at
    opened = event_type == TRIGGERED
    return Delivery(
        delivery_id,
        events=(
            HookEvent(
                source=SOURCE,
                kind="incident",
                action="open" if opened else "close",
                dedup_key=f"{SOURCE}:{incident.text('id')}",
                observed_at=began,
                ended_at=None if opened else max(occurred_at, began),
                title=short(_title(incident)),
                url=incident.optional_text("html_url") or "",
                attributes=_attributes(incident),
            ),
        ),
    )


def _title(incident: Fields) -> str:
    title = incident.optional_text("title")
    if title is not None:
        return title
    number = incident.optional_integer("number")
    return f"PagerDuty incident #{number}" if number is not None else "PagerDuty incident"


def _attributes(incident: Fields) -> dict[str, str]:
    """What routing rules match on: the service, the priority and the urgency."""
    attributes: dict[str, str] = {}
    for name in ("service", "priority"):
        reference = incident.optional_child(name)
        summary = reference.optional_text("summary") if reference is not None else None
        if summary is not None:
            attributes[name] = summary
    urgency = incident.optional_text("urgency")
    if urgency is not None:
        attributes["urgency"] = urgency
    return attributes
