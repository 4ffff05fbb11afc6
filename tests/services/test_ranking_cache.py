"""The dashboard shows a ranking computed up to 30 seconds earlier only while nothing it
reads has changed: a new signal or a status change shows at once, and the page says when its
ranking was computed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.runtime import Runtime
from bot.services import dash_pages
from bot.services import register as register_service
from bot.services.signals_in import parse_jsonl, store_signals
from tests.factories import TEAM
from tests.web.dash_world import NOW, runtime_for, seed


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def runtime(engine: Engine, clock: Clock) -> Runtime:
    runtime = runtime_for(engine, clock)
    seed(runtime)
    return runtime


def _scores(page: dash_pages.RankingPage) -> dict[str, float]:
    return {b.key: round(b.shown().total, 1) for _, b in page.items}


def test_an_unchanged_ranking_is_shown_again_as_of_when_it_was_computed(
    runtime: Runtime, clock: Clock
) -> None:
    first = dash_pages.ranking_page(runtime, TEAM, category=None, component=None)
    clock.now += timedelta(seconds=20)
    again = dash_pages.ranking_page(runtime, TEAM, category=None, component=None)
    assert again.as_of == first.as_of == NOW
    assert _scores(again) == _scores(first)

    clock.now = NOW + timedelta(seconds=31)  # older than 30 s: computed again
    later = dash_pages.ranking_page(runtime, TEAM, category=None, component=None)
    assert later.as_of == NOW + timedelta(seconds=31)


def test_a_new_signal_or_a_status_change_shows_at_once(runtime: Runtime, clock: Clock) -> None:
    first = dash_pages.ranking_page(runtime, TEAM, category=None, component=None)
    assert "DEBT-1" in _scores(first)

    clock.now += timedelta(seconds=5)
    line = (
        '{"debt_key": "DEBT-2", "kind": "incident", "value": 1, "source": "pagerduty", '
        f'"observed_at": "{(clock.now - timedelta(seconds=1)).isoformat()}", "dedup_key": "PD-9"}}'
    )
    with runtime.transaction() as session:
        store_signals(session, team_id=TEAM, items=parse_jsonl(line), now=clock.now)
    with_signal = dash_pages.ranking_page(runtime, TEAM, category=None, component=None)
    assert with_signal.as_of == clock.now
    assert _scores(with_signal)["DEBT-2"] > _scores(first)["DEBT-2"]

    clock.now += timedelta(seconds=5)
    with runtime.transaction() as session:
        register_service.set_status(
            session,
            team_id=TEAM,
            key="DEBT-1",
            status="resolved",
            why="fixed",
            command="/debt status",
            actor="U0LEAD",
            now=clock.now,
            zone=UTC,
        )
    resolved = dash_pages.ranking_page(runtime, TEAM, category=None, component=None)
    assert "DEBT-1" not in _scores(resolved)
    # the item page reads the same kept ranking: DEBT-1 is no longer ranked there either
    page = dash_pages.item_page(runtime, TEAM, "DEBT-1")
    assert page is not None and page.explained is None
