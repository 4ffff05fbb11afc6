"""``POST /api/signals``: automated signals over HTTP, one JSON object per request.

Who may post for which workspace is :mod:`bot.web.api_auth`'s (a workspace's own token, or
``DEBTPULSE_SIGNALS_TOKEN`` for the posting workspace), shared with ``POST /api/metrics``.

401 without a valid token, 422 naming the field on bad JSON, 200 with ``"duplicate": true``
for a ``dedup_key`` seen before (``"end_recorded": true`` when it brought the end of the
stored signal), 201 when stored, 503 when the database cannot be reached (nothing stored:
send it again). No reply or log line repeats a token.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError

from bot.core.problems import InputRejected
from bot.runtime import Runtime
from bot.services import telemetry
from bot.services.signals_in import parse_signal, store_signals
from bot.web import api_auth
from bot.web.api_auth import UNAVAILABLE, WRONG_TOKEN, Reply

__all__ = ["DISABLED", "MAX_BODY", "UNAVAILABLE", "WRONG_TOKEN", "Reply", "handle"]

logger = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
INVALID = "invalid signal"
DISABLED: Reply = api_auth.disabled("signals")


def handle(runtime: Runtime, *, authorization: str, body: bytes, team: str | None) -> Reply:
    """The reply to one ``POST /api/signals``, counted in ``debtpulse_signals_received``."""
    status, payload = _handle(runtime, authorization=authorization, body=body, team=team)
    telemetry.signal_received("api", status, payload)
    return status, payload


def _handle(runtime: Runtime, *, authorization: str, body: bytes, team: str | None) -> Reply:
    try:
        caller = api_auth.authorize(runtime, authorization, team, what="signals", invalid=INVALID)
    except api_auth.Refused as refused:
        return refused.reply
    except OperationalError as exc:
        logger.warning("signal refused: database unavailable (%s)", type(exc.orig).__name__)
        return UNAVAILABLE
    if len(body) > MAX_BODY:
        return 413, {"ok": False, "error": f"body over {MAX_BODY} bytes"}
    try:
        signal = parse_signal(1, body.decode("utf-8", errors="replace"))
        with runtime.transaction() as session:
            # checked again in the writing transaction: a token rotated meanwhile stores nothing
            if not api_auth.still_valid(session, caller):
                return WRONG_TOKEN
            summary = store_signals(
                session,
                team_id=caller.team,
                items=[(1, signal)],
                now=runtime.clock(),
            )
    except InputRejected as exc:
        errors = [{"field": p.column, "message": p.message} for p in exc.problems]
        return 422, {"ok": False, "error": INVALID, "errors": errors}
    except OperationalError as exc:  # unreachable, or gave up on a lock: the sender retries
        logger.warning("signal not stored: database unavailable (%s)", type(exc.orig).__name__)
        return UNAVAILABLE
    if summary.stored:
        return 201, {"ok": True, "stored": True, "dedup_key": signal.dedup_key}
    return 200, {
        "ok": True,
        "stored": False,
        "duplicate": True,
        "dedup_key": signal.dedup_key,
        "end_recorded": bool(summary.ended),
    }
