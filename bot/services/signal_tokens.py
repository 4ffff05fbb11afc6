"""Each workspace's own token for ``POST /api/signals``: made, rotated, shown and checked.

A token is ``dps_`` and 43 characters of ``secrets.token_urlsafe(32)`` (256 random bits).
Only its SHA-256 is stored — a random token of that size needs no slow hash — with a hint
(its first 8 characters), who made it and when. A team has one token: rotating replaces it
in one transaction, so the old one stops working at that commit, and each new token is
audited (``signals_token.created`` or ``signals_token.rotated``, with the hints only). The
token itself is returned once, to be shown once; nothing else ever holds it.

The ``/debt signals token`` command and ``debtpulse signals token`` both call this module.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from storage import audit
from storage import signal_tokens as stored
from storage.models import SignalToken

PREFIX = "dps_"
HINT_LENGTH = len(PREFIX) + 4
#: Longer than any token this module makes: a longer bearer is not looked up at all.
MAX_TOKEN_LENGTH = 200
AUDIT_SUBJECT = "signals token"


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a team's token: never the token."""

    team_id: str
    hint: str
    created_at: datetime
    created_by: str

    @property
    def shown_hint(self) -> str:
        return f"{self.hint}…"


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: ``token`` is to be shown once, then forgotten."""

    token: str
    info: TokenInfo
    replaced: TokenInfo | None


def token_hash(token: str) -> str:
    """The hex SHA-256 stored for ``token``."""
    return hashlib.sha256(token.encode("utf-8", errors="surrogatepass")).hexdigest()


def _info(row: SignalToken) -> TokenInfo:
    return TokenInfo(
        team_id=row.team_id, hint=row.hint, created_at=row.created_at, created_by=row.created_by
    )


def current(session: Session, *, team_id: str) -> TokenInfo | None:
    """The team's token as it may be shown (hint, date, who), or None."""
    row = stored.for_team(session, team_id=team_id)
    return _info(row) if row is not None else None


def rotate(
    session: Session, *, team_id: str, actor: str, reason: str, now: datetime
) -> IssuedToken:
    """Make the team a new token, replacing its old one, in the caller's transaction."""
    actor = actor[:64]  # the audit trail's and the table's width
    stored.lock_team(session, team_id=team_id)
    before = current(session, team_id=team_id)
    token = PREFIX + secrets.token_urlsafe(32)
    info = TokenInfo(team_id=team_id, hint=token[:HINT_LENGTH], created_at=now, created_by=actor)
    stored.replace(
        session,
        team_id=team_id,
        token_hash=token_hash(token),
        hint=info.hint,
        created_at=now,
        created_by=info.created_by,
    )
    audit.record(
        session,
        team_id=team_id,
        actor=actor,
        action="signals_token.rotated" if before else "signals_token.created",
        subject=AUDIT_SUBJECT,
        before={"hint": before.hint, "created_at": before.created_at.isoformat()}
        if before
        else None,
        after={"hint": info.hint},
        reason=reason,
        at=now,
    )
    return IssuedToken(token=token, info=info, replaced=before)


def team_of(session: Session, token: str) -> str | None:
    """The team whose token ``token`` is, or None (also for anything not shaped like one)."""
    if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    digest = token_hash(token)
    row = stored.by_hash(session, token_hash=digest)
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row.team_id


def any_token(session: Session) -> bool:
    """Whether any workspace has a token of its own."""
    return stored.any_token(session)
