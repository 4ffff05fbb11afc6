"""Neighbouring worlds for the dashboard: two databases driven through the same story (see
``tests/core/test_neighbouring_worlds.py``) that differ only in what one person answered in
an anonymous run. While that person's answers are held, every page a lead can open — the
ranking (and a filter), each item, the polls, the return on fixes — is the same to the byte;
once they are released in a group, the ranking and the item show it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock
from wsgiref.util import setup_testing_defaults

import pytest

from bot.core.dash_session import DashSession
from bot.services import dashboard
from bot.web.wsgi import make_wsgi_app
from tests.core import test_neighbouring_worlds as worlds
from tests.core.test_neighbouring_worlds import KEYS, LEAD, Neighbours, Story, World, two_worlds

PAGES = (
    "/dash",
    "/dash?category=operational",
    *(f"/dash/items/{key}" for key in KEYS),
    "/dash/polls",
    "/dash/roi",
)


def call(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []
    body = b"".join(app(environ, lambda line, headers: status.append(line)))
    return status[0], body


def dash_pages(world: World, *, full: bool = True) -> dict[str, str]:
    """Every page above as a signed-in lead of the world's workspace gets it (the status and
    the body)."""
    runtime = world.runtime
    app = make_wsgi_app(runtime, bolt_app=None)  # type: ignore[arg-type]  # no Slack routes
    signed = DashSession(runtime.default_team, LEAD, True, datetime(2100, 1, 1, tzinfo=UTC))
    cookie = dashboard.session_cookie(runtime, signed)
    shown = {}
    for page in PAGES:
        path, _, query = page.partition("?")
        environ: dict[str, Any] = {}
        setup_testing_defaults(environ)
        environ |= {"PATH_INFO": path, "QUERY_STRING": query}
        environ["HTTP_COOKIE"] = f"debtpulse_dash={cookie}"
        status, body = call(app, environ)
        assert status == "200 OK", (page, status, body[:400])
        shown[page] = body.decode("utf-8")
    return shown


@pytest.fixture
def dashboard_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The worlds sign sessions with a dashboard secret, and what a lead sees is the
    dashboard."""
    monkeypatch.setenv("DEBTPULSE_DASHBOARD_SECRET", "neighbouring-dashboard-secret")
    with mock.patch.object(worlds, "lead_outputs", dash_pages):
        yield


def test_one_persons_held_answers_change_no_byte_of_the_dashboard(
    dashboard_only: None, migrated_sqlite_template: Path
) -> None:
    story = Story(  # held across three closes: the person and one other rate DEBT-2
        min_group=3,
        runs=[[{0: 3}, {0: 4}, {0: 2}], [{0: 3}, {0: 4}, {0: 2}], [{0: 3}, {0: 4}, {0: 2, 1: 2}]],
        person=[{0: 5}, {}, {}],
        differs=1,
        person_a={1: 1, 3: 2},
        person_b={1: 5, 2: 4, 3: 5},
        positions=[0, 1, 3],
    )
    with two_worlds(migrated_sqlite_template, story.min_group) as (a, b, clock):
        neighbours = Neighbours(story, a, b, clock)
        neighbours.live()
    assert not neighbours.released
    assert "week 1: U0PERSON answered" in neighbours.compared
    assert "week 1: run closed" in neighbours.compared
    assert "a year on: held answers expired, digest" in neighbours.compared


def test_a_released_answer_does_change_the_ranking_and_the_item(
    dashboard_only: None, migrated_sqlite_template: Path
) -> None:
    story = Story(
        min_group=3,
        runs=[[{0: 3}, {0: 3}, {}]],
        person=[{}],
        differs=0,
        person_a={0: 1},
        person_b={0: 5},
        positions=[1],
    )
    with two_worlds(migrated_sqlite_template, story.min_group) as (a, b, clock):
        neighbours = Neighbours(story, a, b, clock, after_release=True)
        neighbours.live()
    assert neighbours.compared == ["week 0: U0PERSON answered", "week 0: U0OTHER1 answered"]
    differ = neighbours.differed["week 0: run closed"]
    assert "/dash" in differ and "/dash/items/DEBT-1" in differ
