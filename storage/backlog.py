"""How much delivery work the database holds, for the metrics: counts only, no rows.

Read at each scrape of ``GET /metrics``, so one small aggregate statement each.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from storage.models import PollDelivery, PollResultPost

#: Every state a poll delivery can be in (``ck_poll_delivery_status``); one being sent is
#: still ``pending``.
DELIVERY_STATES = ("pending", "sent", "failed", "skipped")
#: A closed run's results post that has not landed: recorded, or under way.
UNPOSTED = ("pending", "posting")


def deliveries_by_state(session: Session) -> dict[str, int]:
    """How many poll deliveries are in each state, every workspace together (0 for none)."""
    statement = select(col(PollDelivery.status), func.count()).group_by(col(PollDelivery.status))
    counts = {state: 0 for state in DELIVERY_STATES}
    for state, count in session.execute(statement):
        counts[state] = int(count)
    return counts


def result_posts_unposted(session: Session) -> int:
    """Closed runs' results posts still to land in their channel, every workspace together."""
    statement = select(func.count()).where(col(PollResultPost.status).in_(UNPOSTED))
    return int(session.execute(statement).scalar_one())
