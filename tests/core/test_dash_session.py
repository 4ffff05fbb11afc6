"""The dashboard's session cookie: what it signs comes back; anything else is refused."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.dash_session import DashSession, SessionRefused, decode, encode, session_key

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
KEY = session_key("deployment secret")
SESSION = DashSession("T0001", "U0LEAD", True, NOW + timedelta(hours=12))


def _refused(value: str | None, key: bytes = KEY, now: datetime = NOW) -> str:
    with pytest.raises(SessionRefused) as refused:
        decode(value, key, now=now)
    return refused.value.problem


def test_a_signed_session_comes_back_until_it_expires() -> None:
    value = encode(SESSION, KEY)
    assert decode(value, KEY, now=NOW) == SESSION
    assert decode(value, KEY, now=SESSION.expires - timedelta(seconds=1)) == SESSION
    assert _refused(value, now=SESSION.expires) == "expired"
    assert session_key("deployment secret") != b"deployment secret"  # derived, not the secret


def test_anything_else_is_missing_or_tampered() -> None:
    value = encode(SESSION, KEY)
    payload, signature = value.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=="))
    as_member = fields | {"l": False}
    forged = base64.urlsafe_b64encode(json.dumps(as_member).encode()).rstrip(b"=").decode()
    assert _refused(None) == "missing"
    assert _refused("") == "missing"
    for bad in (
        value + "x",
        f"{forged}.{signature}",
        payload,
        f"{payload}.",
        "é." + signature,
        "x" * 2000,
    ):
        assert _refused(bad) == "tampered", bad
    assert _refused(value, key=session_key("another secret")) == "tampered"
