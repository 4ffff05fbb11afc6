"""Which workspace a request to ``POST /api/signals`` or ``POST /api/metrics`` is for: its
bearer token decides, the same way for both.

Two kinds of bearer token are accepted:

- a workspace's own token (``debtpulse signals token rotate``, ``/debt signals token
  rotate``), valid for that workspace only: ``?team=`` may be left out, and naming another
  workspace is answered as a wrong token is (no hint whether that workspace exists);
- ``DEBTPULSE_SIGNALS_TOKEN``, the single-workspace shortcut, valid for the workspace the
  process posts for (``Runtime.posting_team``: the workspace of ``SLACK_BOT_TOKEN``, or with
  OAuth the only installed one). With several OAuth workspaces it serves none of them (422
  naming ``team``): each needs its own token.

A workspace's token is checked again in the transaction that writes (:func:`still_valid`),
so a token rotated meanwhile stores nothing. No reply or log line repeats a token.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bot.runtime import Runtime
from bot.services import signal_tokens

Reply = tuple[int, dict[str, Any]]
WRONG_TOKEN: Reply = (401, {"ok": False, "error": "missing or wrong bearer token"})
UNAVAILABLE: Reply = (
    503,
    {"ok": False, "error": "database unavailable; nothing was stored, retry"},
)


def disabled(what: str) -> Reply:
    """The answer when no token at all is set: ``what`` (signals, metrics) are disabled."""
    return (
        401,
        {
            "ok": False,
            "error": f"{what} are disabled: set DEBTPULSE_SIGNALS_TOKEN or give the workspace "
            "a token (debtpulse signals token rotate)",
        },
    )


class Refused(Exception):
    """The request is answered with ``reply`` before its body is read."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply


@dataclass(frozen=True)
class Caller:
    """Who may post: the team, and the workspace token that said so (None for the
    environment's token, which the team's own rotation does not end)."""

    team: str
    workspace_token: str | None = field(default=None, repr=False)


def bearer(header: str) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header, or None."""
    scheme, _, given = header.partition(" ")
    given = given.strip()
    return given if scheme.lower() == "bearer" and given else None


def _is_env_token(runtime: Runtime, given: str) -> bool:
    token = runtime.settings.signals_token
    return token is not None and hmac.compare_digest(
        given.encode(errors="surrogatepass"), token.get_secret_value().encode()
    )


def _env_team(runtime: Runtime, asked: str | None, invalid: str) -> str:
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
        raise Refused((422, {"ok": False, "error": invalid, "errors": [problem]})) from None
    if asked and asked != team:
        raise Refused(WRONG_TOKEN)
    return team


def authorize(
    runtime: Runtime, authorization: str, asked: str | None, *, what: str, invalid: str
) -> Caller:
    """The caller of a request with header ``authorization`` and ``?team=asked``.

    Raises :class:`Refused` (401 without a valid token, ``disabled(what)`` when none is
    set at all; 422 with the error ``invalid`` when the environment's token cannot tell its
    workspace), or SQLAlchemy's OperationalError when the database cannot be read.
    """
    given = bearer(authorization)
    if given is not None and _is_env_token(runtime, given):
        return Caller(_env_team(runtime, asked, invalid))
    with runtime.transaction(write=False) as session:
        team = signal_tokens.team_of(session, given) if given is not None else None
        if team is None:
            none_at_all = runtime.settings.signals_token is None and not (
                signal_tokens.any_token(session)
            )
            raise Refused(disabled(what) if none_at_all else WRONG_TOKEN)
    if asked and asked != team:
        raise Refused(WRONG_TOKEN)  # the same answer as a wrong token: no hint about `asked`
    return Caller(team, given)


def still_valid(session: Session, caller: Caller) -> bool:
    """Whether the caller's workspace token still names its team, read in the writing
    transaction (the environment's token always does)."""
    token = caller.workspace_token
    return token is None or signal_tokens.team_of(session, token) == caller.team
