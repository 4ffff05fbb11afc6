"""``POST /api/signals``: automated signals over HTTP, one JSON object per request.

Bearer ``DEBTPULSE_SIGNALS_TOKEN`` (401 without it), 422 naming the field on bad JSON,
200 with ``"duplicate": true`` for a ``dedup_key`` seen before, 201 when stored, 503 when the
database cannot be reached (nothing stored: send it again).
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from sqlalchemy.exc import OperationalError

from bot.core.problems import InputRejected
from bot.runtime import Runtime
from bot.services.signals_in import parse_signal, store_signals

logger = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
Reply = tuple[int, dict[str, Any]]


def _authorized(runtime: Runtime, header: str) -> bool:
    token = runtime.settings.signals_token
    if token is None:
        return False
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.get_secret_value().encode()
    )


def handle(runtime: Runtime, *, authorization: str, body: bytes, team: str | None) -> Reply:
    if runtime.settings.signals_token is None:
        return 401, {"ok": False, "error": "signals are disabled: DEBTPULSE_SIGNALS_TOKEN is unset"}
    if not _authorized(runtime, authorization):
        return 401, {"ok": False, "error": "missing or wrong bearer token"}
    if len(body) > MAX_BODY:
        return 413, {"ok": False, "error": f"body over {MAX_BODY} bytes"}
    if not team:
        try:
            # Asked again when the start could not tell (Slack unreachable for auth.test).
            team = runtime.posting_team()
        except LookupError as exc:
            return 422, {
                "ok": False,
                "error": "invalid signal",
                "errors": [{"field": "team", "message": f"{exc}; pass ?team=T…"}],
            }
    try:
        signal = parse_signal(1, body.decode("utf-8", errors="replace"))
        with runtime.transaction() as session:
            summary = store_signals(
                session,
                team_id=team,
                items=[(1, signal)],
                now=runtime.clock(),
            )
    except InputRejected as exc:
        errors = [{"field": p.column, "message": p.message} for p in exc.problems]
        return 422, {"ok": False, "error": "invalid signal", "errors": errors}
    except OperationalError as exc:  # unreachable, or gave up on a lock: the sender retries
        logger.warning("signal not stored: database unavailable (%s)", type(exc.orig).__name__)
        return 503, {"ok": False, "error": "database unavailable; nothing was stored, retry"}
    if summary.stored:
        return 201, {"ok": True, "stored": True, "dedup_key": signal.dedup_key}
    return 200, {"ok": True, "stored": False, "duplicate": True, "dedup_key": signal.dedup_key}
