"""``POST /api/hooks/<source>``: the webhooks teams' tools already send (GitHub, GitLab,
Alertmanager, PagerDuty, Sentry, SonarQube), verified as each sender signs them.

The order: a sender without a secret for the workspace has no endpoint (404, as for any
unknown path; :mod:`bot.services.hooks_in` says which secret serves which workspace); a body
over :data:`MAX_BODY` is refused (413); the signature is checked on the raw body, before any
parsing (401/403, or 400 for a malformed signature header, as the sender's module says);
then the body is read (400/422 naming what is wrong) and its events stored in one
transaction (201 when something was stored; 200 with ``"duplicate": true`` for a delivery
id seen before, or with ``"ignored"`` and the reason when nothing in it concerns debtpulse).
503 when the database cannot be reached: nothing is stored, and the sender's retry is
taken. No reply or log line repeats a secret, a signature or the body.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import OperationalError

from bot.core.webhooks.events import HookRefused
from bot.runtime import Runtime
from bot.services import hooks_in, telemetry
from bot.web.api_auth import UNAVAILABLE, Reply

logger = logging.getLogger(__name__)
PREFIX = "/api/hooks/"
#: The largest delivery taken (GitHub caps its payloads at 25 MB, but the events read here
#: are a few KB; an Alertmanager group of hundreds of alerts stays well under this).
MAX_BODY = 1024 * 1024
NOT_FOUND: Reply = (404, {"ok": False, "error": "not found"})


def headers_of(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers with lower-case names (``X-Hub-Signature-256`` as
    ``x-hub-signature-256``), as the sender modules read them."""
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers


def _posting_team(runtime: Runtime) -> str | None:
    try:
        return runtime.posting_team()
    except LookupError:  # several workspaces, or Slack unreachable: ?team= must say
        return None


def _nothing_new(receipt: hooks_in.Receipt) -> str:
    if receipt.known and not receipt.ignored:
        return "every event in it was received before"
    if receipt.ignored and not receipt.known:
        return "it ends nothing debtpulse has stored"
    return "nothing new in it" if receipt.known else "no event in it concerns debtpulse"


def handle(
    runtime: Runtime, *, source: str, headers: Mapping[str, str], body: bytes, team: str | None
) -> Reply:
    """The reply to one delivery to ``/api/hooks/<source>?team=<team>``, counted in
    ``debtpulse_signals_received`` (an unknown source as ``other``)."""
    status, payload = _handle(runtime, source=source, headers=headers, body=body, team=team)
    telemetry.signal_received(source, status, payload)
    return status, payload


def _handle(
    runtime: Runtime, *, source: str, headers: Mapping[str, str], body: bytes, team: str | None
) -> Reply:
    module = hooks_in.sender(source)
    if module is None:
        return NOT_FOUND
    try:
        posting = _posting_team(runtime)
        with runtime.transaction(write=False) as session:
            found = hooks_in.verifier(
                session,
                source=source,
                asked=team,
                posting_team=posting,
                settings=runtime.settings,
                master=runtime.anon_secret,
            )
    except hooks_in.NoEndpoint:
        return NOT_FOUND
    except hooks_in.TeamNeeded as exc:
        problem = {"field": "team", "message": str(exc)}
        return 422, {"ok": False, "error": "which workspace?", "errors": [problem]}
    except OperationalError as exc:
        logger.warning("%s webhook refused: database unavailable (%s)", source, _name(exc))
        return UNAVAILABLE
    if len(body) > MAX_BODY:
        return 413, {"ok": False, "error": f"body over {MAX_BODY} bytes"}
    try:
        if found.secret is not None:
            module.verify(headers, body, found.secret)
        delivery = module.parse(headers, body, received_at=runtime.clock())
    except HookRefused as refused:
        logger.info("%s webhook for %s refused (%s)", source, found.team_id, refused.status)
        return refused.status, {"ok": False, "error": refused.message}
    if delivery.ignored is not None:
        return 200, {"ok": True, "delivery": delivery.delivery_id, "ignored": delivery.ignored}
    try:
        rules = runtime.routes
        with runtime.transaction() as session:
            receipt = hooks_in.receive(
                session,
                team_id=found.team_id,
                source=source,
                delivery=delivery,
                rules=rules,
                now=runtime.clock(),
            )
    except OperationalError as exc:  # unreachable, or gave up on a lock: the sender retries
        logger.warning("%s webhook not stored: database unavailable (%s)", source, _name(exc))
        return UNAVAILABLE
    if receipt.duplicate:
        return 200, {"ok": True, "delivery": receipt.delivery_id, "duplicate": True}
    logger.info("%s webhook for %s: %s", source, found.team_id, receipt.counts())
    reply: dict[str, Any] = {"ok": True, "delivery": receipt.delivery_id, **receipt.counts()}
    if receipt.items:
        reply["items"] = list(receipt.items)
    if receipt.stored:
        return 201, reply
    return 200, reply | {"ignored": _nothing_new(receipt)}


def _name(exc: OperationalError) -> str:
    return type(exc.orig).__name__
