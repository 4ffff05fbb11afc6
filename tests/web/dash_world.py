"""A workspace for the dashboard's tests, written through the services the app uses, and the
dashboard served over real HTTP (``wsgiref`` on 127.0.0.1) with the real WSGI app.

- DEBT-1 (operational, ``pipeline``): assessed twice (with reasons), answered by 6 people a
  week, signals from two sources; DEBT-2 (experimentation, ``training``): 6 people a week;
  DEBT-3 (operational, ``pipeline``): 3 people a week, so "fewer than 5 people";
  DEBT-4: resolved two weeks ago, with its effort (the ROI page).
- Named weekly runs of ``team-pulse`` in the four weeks before NOW; a ``quick-vote`` survey
  whose participation falls (12, 12, 6: a fatigue warning); snapshots of the last two weeks.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import load_settings
from bot.runtime import Runtime, build_runtime
from bot.services import dashboard, snapshots
from bot.services import register as register_service
from bot.services.ranking import current_ranking
from bot.services.signals_in import parse_jsonl, store_signals
from bot.web.wsgi import make_wsgi_app
from storage import polls, register
from storage.models import DebtItem
from tests.factories import TEAM, make_run
from tests.roi_factories import monday, resolve, weekly_answers

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday
FIRST_WEEK = monday(NOW.date()) - timedelta(weeks=4)
LEAD = "U0LEAD"
MEMBER = "U0MEMBER"
SECRET = "dash-signing-secret"
TITLES = {
    "DEBT-1": "Flaky data ingestion",
    "DEBT-2": "Copy-paste training notebooks",
    "DEBT-3": "Hardcoded features in the recommender",
    "DEBT-4": "Manual model deployment",
}


def runtime_for(engine: Engine, clock: Callable[[], datetime] | None = None, **env: str) -> Runtime:
    """The runtime ``serve`` builds for the posting workspace TEAM, on ``clock`` (NOW)."""
    settings = load_settings(**{"SLACK_SIGNING_SECRET": SECRET, **env})
    return build_runtime(settings, engine=engine, default_team=TEAM, clock=clock or (lambda: NOW))


def _item(session: Session, key: str) -> DebtItem:
    item = register.get_item(session, team_id=TEAM, key=key)
    assert item is not None
    return item


def _assess(
    session: Session, key: str, scores: tuple[int, int, int], why: str, at: datetime
) -> None:
    item = _item(session, key)
    impact, likelihood, detectability = scores
    register_service.assess(
        session,
        item=item,
        impact=impact,
        likelihood=likelihood,
        detectability=detectability,
        actor=LEAD,
        reason=why,
        now=at,
    )


def seed(runtime: Runtime) -> None:
    """Write the workspace above into ``runtime``'s database."""
    with runtime.transaction() as session:
        for key, category, component in (
            ("DEBT-1", "operational", "pipeline"),
            ("DEBT-2", "experimentation", "training"),
            ("DEBT-3", "operational", "pipeline"),
            ("DEBT-4", "operational", "serving"),
        ):
            register_service.save_item(
                session,
                team_id=TEAM,
                key=key,
                fields={"title": TITLES[key], "category": category, "component": component},
                actor=LEAD,
                reason="imported the register",
                now=NOW - timedelta(weeks=6),
            )
        _assess(session, "DEBT-1", (3, 3, 3), "first look", NOW - timedelta(weeks=6))
        _assess(session, "DEBT-1", (5, 4, 3), "two outages in a month", NOW - timedelta(weeks=2))
        _assess(session, "DEBT-2", (2, 3, 2), "first look", NOW - timedelta(weeks=6))
        six, three = [4.0, 4.0, 5.0, 3.0, 4.0, 5.0], [2.0, 3.0, 2.0]
        weekly_answers(session, _item(session, "DEBT-1"), first_week=FIRST_WEEK, weeks=[six] * 4)
        weekly_answers(
            session, _item(session, "DEBT-2"), first_week=FIRST_WEEK, weeks=[[2.0] * 6] * 4
        )
        weekly_answers(session, _item(session, "DEBT-3"), first_week=FIRST_WEEK, weeks=[three] * 4)
        weekly_answers(session, _item(session, "DEBT-4"), first_week=FIRST_WEEK, weeks=[six] * 4)
        signals = "\n".join(
            f'{{"debt_key": "DEBT-1", "kind": "{kind}", "source": "{source}", '
            f'"observed_at": "{(NOW - timedelta(days=days)).isoformat()}", "dedup_key": "s{days}"}}'
            for kind, source, days in (
                ("incident", "pagerduty", 2),
                ("incident", "pagerduty", 9),
                ("alert", "alertmanager", 3),
            )
        )
        store_signals(session, team_id=TEAM, items=parse_jsonl(signals), now=NOW)
        for week, people in enumerate((12, 12, 6)):
            at = NOW - timedelta(weeks=3 - week, hours=1)
            run = make_run(session, "quick-vote", scheduled_for=at)
            for n in range(people):
                polls.record_participation(
                    session, run=run, user_id=f"U0VOTER{n}", answered_on=at.date()
                )
    with runtime.transaction() as session:
        resolve(session, "DEBT-4", on=NOW - timedelta(weeks=2), effort_days=3)
    for weeks_ago in (2, 1):
        at = NOW - timedelta(weeks=weeks_ago)
        with runtime.transaction() as session:
            ranking = current_ranking(
                session, team_id=TEAM, now=at, settings=runtime.score_settings
            )
            snapshots.take_snapshot(session, ranking=ranking, team_id=TEAM, actor="test", at=at)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str

    def cookie(self) -> str | None:
        """The value the session cookie is set to (None: not set)."""
        for header in self.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name == "debtpulse_dash":
                return rest.split(";")[0]
        return None


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


@dataclass
class Dash:
    """The app served on 127.0.0.1: requests as a browser sends them (no redirects
    followed)."""

    runtime: Runtime
    port: int

    def request(
        self,
        method: str,
        path: str,
        *,
        cookie: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = dict(headers or {})
        if cookie is not None:
            sent["Cookie"] = f"debtpulse_dash={cookie}"
        try:
            connection.request(method, path, headers=sent)
            answer = connection.getresponse()
            return Reply(answer.status, answer.headers, answer.read().decode("utf-8"))
        finally:
            connection.close()

    def get(self, path: str, *, cookie: str | None = None, **headers: str) -> Reply:
        return self.request("GET", path, cookie=cookie, headers=headers)

    def link(self, *, user: str = LEAD, is_lead: bool = True, team: str = TEAM) -> str:
        """A sign-in link's path and query, as ``/debt dashboard`` issues it."""
        url = dashboard.issue_link(self.runtime, team=team, user=user, is_lead=is_lead)
        parts = urlsplit(url)
        return f"{parts.path}?{parts.query}"

    def sign_in(self, *, user: str = LEAD, is_lead: bool = True) -> str:
        """A session cookie's value, from a fresh link."""
        reply = self.get(self.link(user=user, is_lead=is_lead))
        assert reply.status == 303, reply
        cookie = reply.cookie()
        assert cookie
        return cookie


@contextmanager
def served(runtime: Runtime) -> Iterator[Dash]:
    app = make_wsgi_app(runtime, bolt_app=None)  # type: ignore[arg-type]  # no Slack routes
    server = make_server("127.0.0.1", 0, app, server_class=_Threading, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Dash(runtime, server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
