"""Slack calls booked in the database: one budget per workspace and method, whichever
process books, and a method held only when Slack refuses it several times in a row."""

from __future__ import annotations

from unittest.mock import MagicMock

from sqlalchemy import Engine

from bot.services.pacing import HOLD_AFTER_REFUSALS, Pacer
from bot.slack.rate_limits import POST_MESSAGE, POSTS_PER_WORKSPACE, TIERS
from storage import db

NOW = 1_800_000_000.0


def book(engine: Engine, pacer: Pacer, method: str, **kw: str) -> float:
    with db.session_scope(engine) as session:
        return pacer.book(session, team=kw.pop("team", "T1"), method=method, **kw)


def test_two_processes_share_one_budget_per_workspace_and_method(engine: Engine) -> None:
    one, other = Pacer(clock=lambda: NOW), Pacer(clock=lambda: NOW)  # two processes' pacers
    limit = POSTS_PER_WORKSPACE
    starts = [book(engine, (one, other)[n % 2], POST_MESSAGE) for n in range(limit.burst + 4)]
    assert starts[: limit.burst] == [NOW] * limit.burst
    gaps = [b - a for a, b in zip(starts[limit.burst - 1 :], starts[limit.burst :], strict=False)]
    assert all(abs(gap - limit.interval) < 1e-6 for gap in gaps)
    # another workspace, and another method, have budgets of their own
    assert book(engine, one, POST_MESSAGE, team="T2") == NOW
    assert book(engine, one, "users.list") == NOW
    tier_2 = TIERS[2]
    for _ in range(tier_2.burst - 1):
        book(engine, other, "users.list")
    assert book(engine, one, "users.list") == NOW + tier_2.interval


def test_a_post_to_the_same_channel_waits_a_second_in_this_process(engine: Engine) -> None:
    pacer = Pacer(clock=lambda: NOW)
    starts = [book(engine, pacer, POST_MESSAGE, channel="C1") for _ in range(4)]
    assert starts == [NOW, NOW, NOW, NOW + 1.0]  # a burst of 3, then one a second
    assert book(engine, pacer, POST_MESSAGE, channel="C2") == NOW


def test_a_method_is_held_only_after_several_refusals_in_a_row(engine: Engine) -> None:
    pacer = Pacer(clock=lambda: NOW)
    runtime = MagicMock()
    runtime.transaction = lambda **_: db.session_scope(engine)
    for _ in range(HOLD_AFTER_REFUSALS - 1):
        assert not pacer.refused(runtime, team="T1", method=POST_MESSAGE, retry_after=30)
    pacer.went_through(team="T1", method=POST_MESSAGE)  # a call in between went through
    for _ in range(HOLD_AFTER_REFUSALS - 1):
        assert not pacer.refused(runtime, team="T1", method=POST_MESSAGE, retry_after=30)
    assert book(engine, pacer, POST_MESSAGE) == NOW  # nothing held so far
    assert pacer.refused(runtime, team="T1", method=POST_MESSAGE, retry_after=30)
    assert book(engine, pacer, POST_MESSAGE) == NOW + 30  # Slack's own limit: everyone waits
