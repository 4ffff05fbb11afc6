"""The dashboard's session cookie: who is signed in to which workspace, as what, until when.

The value is ``PAYLOAD.SIGNATURE``: PAYLOAD the URL-safe base64 of compact JSON
``{"t": team, "u": user, "l": lead, "e": expiry in Unix seconds}``, SIGNATURE the URL-safe
base64 of its HMAC-SHA256 under a key derived from a deployment secret
(:func:`session_key`). Nothing is stored on the server: a cookie is good until its expiry
for whoever holds it, and changing the secret ends every session.

Pure: the time is a parameter and the key is given.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

#: Derives the cookie's key from the deployment's secret; a new label is a new key.
KEY_LABEL = b"debtpulse/dashboard-session/v1"
#: A cookie longer than this is not read (a real one is under 200 characters).
MAX_COOKIE = 1024

Problem = Literal["missing", "tampered", "expired"]


class SessionRefused(Exception):
    """The cookie signs nobody in: ``missing``, ``tampered`` (malformed or a wrong
    signature) or ``expired``."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self.problem: Problem = problem


@dataclass(frozen=True)
class DashSession:
    team: str
    user: str
    is_lead: bool
    expires: datetime


def session_key(secret: str) -> bytes:
    """The cookie's signing key: HMAC-SHA256 of a fixed label under ``secret``."""
    return hmac.new(secret.encode(), KEY_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str, key: bytes) -> str:
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def encode(session: DashSession, key: bytes) -> str:
    """The cookie's value for ``session``."""
    fields = {
        "t": session.team,
        "u": session.user,
        "l": session.is_lead,
        "e": int(session.expires.timestamp()),
    }
    payload = _b64(json.dumps(fields, separators=(",", ":")).encode())
    return f"{payload}.{_signature(payload, key)}"


def decode(value: str | None, key: bytes, *, now: datetime) -> DashSession:
    """The session ``value`` holds; :class:`SessionRefused` unless it is present, signed
    with ``key`` and not expired at ``now``."""
    if not value:
        raise SessionRefused("missing")
    payload, dot, signature = value.partition(".")
    if len(value) > MAX_COOKIE or not dot or not payload.isascii() or not signature.isascii():
        raise SessionRefused("tampered")
    if not hmac.compare_digest(signature, _signature(payload, key)):
        raise SessionRefused("tampered")
    try:
        fields = json.loads(_unb64(payload))
        team, user, lead, expiry = fields["t"], fields["u"], fields["l"], fields["e"]
    except (ValueError, binascii.Error, KeyError, TypeError):
        raise SessionRefused("tampered") from None
    if not (isinstance(team, str) and isinstance(user, str) and isinstance(lead, bool)):
        raise SessionRefused("tampered")
    if not isinstance(expiry, int) or isinstance(expiry, bool):
        raise SessionRefused("tampered")
    try:
        expires = datetime.fromtimestamp(expiry, tz=UTC)
    except (OverflowError, ValueError, OSError):
        raise SessionRefused("tampered") from None
    if expires <= now:
        raise SessionRefused("expired")
    return DashSession(team=team, user=user, is_lead=lead, expires=expires)
