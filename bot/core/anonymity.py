"""Respondent keys for anonymous surveys: a keyed hash per run, never the raw user id.

HMAC-SHA256 over ``run id + user id`` with ``DEBTPULSE_ANON_SECRET``: the same person in the
same run maps to the same key (so a re-answer replaces), but keys cannot be linked to a
person without the secret, nor across runs even with it short of trying every user id.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

PREFIX = "anon:"


def respondent_key(*, secret: str, run_id: int, user_id: str) -> str:
    digest = hmac.new(secret.encode(), f"{run_id}:{user_id}".encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:40]


def day_only(moment: datetime) -> datetime:
    """The UTC day of ``moment``: anonymous answers keep no time of day."""
    day = moment.astimezone(UTC)
    return day.replace(hour=0, minute=0, second=0, microsecond=0)
