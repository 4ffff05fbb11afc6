"""Respondent keys for anonymous surveys: a keyed hash per run, never the raw user id.

HMAC-SHA256 over ``run id + user id`` with ``DEBTPULSE_ANON_SECRET``: the same person in the
same run maps to the same key (so a re-answer replaces), but keys cannot be linked to a
person without the secret, nor across runs even with it short of trying every user id.

``person_key`` is the other key: one per person and team (a different HMAC domain), kept
only beside a *held* answer (``held_answer``), so a group of distinct people can be counted
across runs before answers are released; a released answer keeps no key at all.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from functools import lru_cache

PREFIX = "anon:"


def respondent_key(*, secret: str, run_id: int, user_id: str) -> str:
    digest = hmac.new(secret.encode(), f"{run_id}:{user_id}".encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:40]


def day_only(moment: datetime) -> datetime:
    """The UTC day of ``moment``: anonymous answers keep no time of day."""
    day = moment.astimezone(UTC)
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def person_key(*, secret: str | None, team_id: str, user_id: str) -> tuple[str, str]:
    """(key id, person key) for counting distinct respondents of an item across runs.

    With a secret: an HMAC of team + user id, and a key id naming the secret (so counts made
    under an earlier secret are never added to later ones). Without one — no survey can then
    be anonymous — the user id itself, under key id ``"plain"``.
    """
    if not secret:
        return "plain", user_id
    digest = hmac.new(
        secret.encode(), f"person:{team_id}:{user_id}".encode(), hashlib.sha256
    ).hexdigest()
    return _key_id(secret), "person:" + digest[:40]


@lru_cache(maxsize=4)
def _key_id(secret: str) -> str:
    return hmac.new(secret.encode(), b"key-id", hashlib.sha256).hexdigest()[:12]


def participant(*, secret: str | None, run_id: int, anonymous: bool, user_id: str) -> str:
    """How a run records that ``user_id`` answered it: the user id for a named run, the
    per-run key for an anonymous one (so no user id is written when someone answers)."""
    if not anonymous:
        return user_id
    if not secret:
        return ""  # nobody can answer an anonymous run without the secret: matches no row
    return respondent_key(secret=secret, run_id=run_id, user_id=user_id)
