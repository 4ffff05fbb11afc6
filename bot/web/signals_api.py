"""``POST /api/signals``: automated signals over HTTP, one JSON object per request.

Two kinds of bearer token are accepted:

- a workspace's own token (``debtpulse signals token rotate``, ``/debt signals token
  rotate``), valid for that workspace only: ``?team=`` may be left out, and naming another
  workspace is answered as a wrong token is (no hint whether that workspace exists);
- ``DEBTPULSE_SIGNALS_TOKEN``, the single-workspace shortcut, valid for the workspace the
  process posts for (``Runtime.posting_team``: the workspace of ``SLACK_BOT_TOKEN``, or with
  OAuth the only installed one). With several OAuth workspaces it serves none of them (422
  naming ``team``): each needs its own token.

401 without a valid token, 422 naming the field on bad JSON, 200 with ``"duplicate": true``
for a ``dedup_key`` seen before, 201 when stored, 503 when the database cannot be reached
(nothing stored: send it again). No reply or log line repeats a token.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from sqlalchemy.exc import OperationalError

from bot.core.problems import InputRejected
from bot.runtime import Runtime
from bot.services import signal_tokens
from bot.services.signals_in import parse_signal, store_signals

logger = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
Reply = tuple[int, dict[str, Any]]
WRONG_TOKEN: Reply = (401, {"ok": False, "error": "missing or wrong bearer token"})
DISABLED: Reply = (
    401,
    {
        "ok": False,
        "error": "signals are disabled: set DEBTPULSE_SIGNALS_TOKEN or give the workspace "
        "a token (debtpulse signals token rotate)",
    },
)
UNAVAILABLE: Reply = (
    503,
    {"ok": False, "error": "database unavailable; nothing was stored, retry"},
)


class _Refused(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


def _bearer(header: str) -> str | None:
    scheme, _, given = header.partition(" ")
    given = given.strip()
    return given if scheme.lower() == "bearer" and given else None


def _is_env_token(runtime: Runtime, given: str) -> bool:
    token = runtime.settings.signals_token
    return token is not None and hmac.compare_digest(
        given.encode(errors="surrogatepass"), token.get_secret_value().encode()
    )


def _env_team(runtime: Runtime, asked: str | None) -> str:
    """The workspace ``DEBTPULSE_SIGNALS_TOKEN`` posts for; refuses another one."""
    try:
        # Asked again when the start could not tell (Slack unreachable for auth.test).
        team = runtime.posting_team()
    except LookupError as exc:
        advice = (
            "DEBTPULSE_SIGNALS_TOKEN serves one workspace: with several, post with each "
            "workspace's own token"
            if runtime.settings.oauth_enabled
            else "try again later"
        )
        problem = {"field": "team", "message": f"{exc}; {advice}"}
        invalid = {"ok": False, "error": "invalid signal", "errors": [problem]}
        raise _Refused((422, invalid)) from None
    if asked and asked != team:
        raise _Refused(WRONG_TOKEN)
    return team


def _authorize(runtime: Runtime, given: str | None, asked: str | None) -> tuple[str, bool]:
    """(the team the signal is for, whether a workspace's own token said so); raises _Refused."""
    if given is not None and _is_env_token(runtime, given):
        return _env_team(runtime, asked), False
    with runtime.transaction(write=False) as session:
        team = signal_tokens.team_of(session, given) if given is not None else None
        if team is None:
            none_at_all = runtime.settings.signals_token is None and not (
                signal_tokens.any_token(session)
            )
            raise _Refused(DISABLED if none_at_all else WRONG_TOKEN)
    if asked and asked != team:
        raise _Refused(WRONG_TOKEN)  # the same answer as a wrong token: no hint about `asked`
    return team, True


def handle(runtime: Runtime, *, authorization: str, body: bytes, team: str | None) -> Reply:
    given = _bearer(authorization)
    try:
        team, by_workspace_token = _authorize(runtime, given, team)
    except _Refused as refused:
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
            if by_workspace_token and signal_tokens.team_of(session, given or "") != team:
                return WRONG_TOKEN
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
        return UNAVAILABLE
    if summary.stored:
        return 201, {"ok": True, "stored": True, "dedup_key": signal.dedup_key}
    return 200, {"ok": True, "stored": False, "duplicate": True, "dedup_key": signal.dedup_key}
