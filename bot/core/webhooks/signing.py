"""Checking what a sender proves it knows (pure): an HMAC of the raw body, or a shared token.

Every comparison is constant-time (``hmac.compare_digest``), and a token is compared through
its SHA-256 so that neither its length nor its characters (a header may carry any) change how
long the comparison takes. Nothing here repeats a secret, a token or a signature.
"""

from __future__ import annotations

import hashlib
import hmac

from bot.core.webhooks.events import HookRefused


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    """The lower-case hex HMAC-SHA256 of the raw body, keyed with the secret's UTF-8 bytes."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def same_token(given: str, expected: str) -> bool:
    """Whether a token sent in a header is the configured one, in constant time."""
    return hmac.compare_digest(_digest(given), _digest(expected))


def require_secret(secret: str, shown: str) -> None:
    """Refuse every request when no secret is configured: an empty one would let anyone in."""
    if not secret:
        raise HookRefused(401, f"{shown}: no secret is configured to check it against")


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
