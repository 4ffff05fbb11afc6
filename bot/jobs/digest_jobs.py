"""Jobs the scheduler runs for digests. Module-level functions taking plain values."""

from __future__ import annotations

from datetime import datetime

from bot.runtime import Runtime


def post_digest(runtime: Runtime, digest_id: str, scheduled_for: datetime) -> None:
    """Post the digest ``digest_id`` for the slot ``scheduled_for`` (once)."""
    raise NotImplementedError("the digest is not written yet")
