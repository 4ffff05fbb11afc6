"""Slack's Web API rate limits, as Slack documents them: per method, per workspace, per app.

The tiers allow 1+, 20+, 50+ and 100+ calls a minute (docs.slack.dev/apis/web-api/rate-limits);
each method's page names its tier. ``chat.postMessage`` has a special limit: "1 message per
second to a specific channel", and per workspace "several hundred messages per minute.
Generous burst behavior is also granted" (its reference page). debtpulse paces its own calls
to the low end of each figure, with bursts smaller than Slack grants, so it is not refused for
going too fast; Slack's ``Retry-After`` still rules when it refuses.
"""

from __future__ import annotations

from bot.core.pacing import Limit

POST_MESSAGE = "chat.postMessage"

TIERS: dict[int, Limit] = {
    1: Limit(per_minute=1, burst=1),
    2: Limit(per_minute=20, burst=20),
    3: Limit(per_minute=50, burst=50),
    4: Limit(per_minute=100, burst=100),
}
"""The four tiers at their documented minimum. Slack counts them per minute, so a minute's
calls may go at once: resolving an audience (a few list calls) never waits, and sweeping a
directory of 20,000 people (100 pages) settles at one page every 3 s instead of meeting 429s."""

METHOD_TIERS: dict[str, int] = {
    "users.list": 2,
    "usergroups.users.list": 2,
    "conversations.members": 4,
    "conversations.info": 3,
    "conversations.open": 3,
    "users.info": 4,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "views.publish": 4,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}
"""The tier of each method debtpulse paces (from each method's reference page)."""

POSTS_PER_WORKSPACE = Limit(per_minute=200, burst=16)
"""``chat.postMessage`` per workspace: "several hundred a minute" read at its least (200),
with a burst of 16 (Slack grants a "generous" one)."""

POSTS_PER_CHANNEL = Limit(per_minute=60, burst=3)
"""``chat.postMessage`` per channel: one a second, short bursts."""


def method_limit(method: str) -> Limit | None:
    """The per-workspace limit debtpulse keeps for ``method``; None for one it does not pace."""
    if method == POST_MESSAGE:
        return POSTS_PER_WORKSPACE
    tier = METHOD_TIERS.get(method)
    return TIERS[tier] if tier is not None else None
