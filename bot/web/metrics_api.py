"""``POST /api/metrics``: points of the time series a team tracks, over HTTP.

The body is one point object (``{"metric", "scope", "value", "observed_at", "unit"}``) or
``{"points": [...]}`` with at most :data:`MAX_POINTS` of them; they are stored all together
or not at all. The bearer token rules are those of ``POST /api/signals``
(:mod:`bot.web.api_auth`): a workspace's own token, or ``DEBTPULSE_SIGNALS_TOKEN`` for the
posting workspace.

201 when at least one point is new, 200 when every point replaced a stored one (both with
the counts), 401 without a valid token, 413 for a body over :data:`MAX_BODY` bytes or more
than :data:`MAX_POINTS` points, 422 naming each bad field (``points[3].observed_at``), 503
when the database cannot be reached (nothing stored: send it again). No reply or log line
repeats a token or a posted value.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError

from bot.core.problems import InputRejected
from bot.runtime import Runtime
from bot.services.metrics_in import MAX_POINTS, TooManyPoints, post_points
from bot.web import api_auth
from bot.web.api_auth import UNAVAILABLE, WRONG_TOKEN, Reply

logger = logging.getLogger(__name__)
#: 5,000 points of about 120 bytes each fit with room; the serving worker buffers 1 MiB.
MAX_BODY = 1024 * 1024
INVALID = "invalid metrics"
#: The most problems one reply lists (the count of the rest is said after them).
MAX_ERRORS = 100


def _invalid(exc: InputRejected) -> Reply:
    errors = [{"field": p.column, "message": p.message} for p in exc.problems[:MAX_ERRORS]]
    more = len(exc.problems) - MAX_ERRORS
    if more > 0:
        errors.append({"field": "points", "message": f"and {more} more problems"})
    return 422, {"ok": False, "error": INVALID, "errors": errors}


def handle(runtime: Runtime, *, authorization: str, body: bytes, team: str | None) -> Reply:
    try:
        caller = api_auth.authorize(runtime, authorization, team, what="metrics", invalid=INVALID)
    except api_auth.Refused as refused:
        return refused.reply
    except OperationalError as exc:
        logger.warning("metrics refused: database unavailable (%s)", type(exc.orig).__name__)
        return UNAVAILABLE
    if len(body) > MAX_BODY:
        return 413, {"ok": False, "error": f"body over {MAX_BODY} bytes"}
    try:
        catalog = runtime.metrics
        with runtime.transaction() as session:
            # checked again in the writing transaction: a token rotated meanwhile stores nothing
            if not api_auth.still_valid(session, caller):
                return WRONG_TOKEN
            summary = post_points(
                session,
                team_id=caller.team,
                body=body.decode("utf-8", errors="replace"),
                catalog=catalog,
                now=runtime.clock(),
            )
    except TooManyPoints as exc:
        return 413, {"ok": False, "error": str(exc), "max_points": MAX_POINTS}
    except InputRejected as exc:
        return _invalid(exc)
    except OperationalError as exc:  # unreachable, or gave up on a lock: the sender retries
        logger.warning("metrics not stored: database unavailable (%s)", type(exc.orig).__name__)
        return UNAVAILABLE
    counts = {"ok": True, "stored": summary.stored, "replaced": summary.replaced}
    return (201 if summary.stored else 200), counts
