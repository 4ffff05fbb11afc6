"""Signing in to the dashboard over real HTTP: a link signs in once within 10 minutes and sets
the session cookie with its attributes; every refused link or session gets a page saying
which it was, with nothing of any workspace's data."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.core.dash_session import DashSession
from bot.services import dashboard
from bot.services import register as register_service
from storage.models import DashboardLink
from tests.factories import TEAM
from tests.jobs.conftest import Clock
from tests.web.dash_world import (
    LEAD,
    MEMBER,
    NOW,
    TITLES,
    Dash,
    Reply,
    runtime_for,
    seed,
    served,
)

PAGES = ("/dash", "/dash/items/DEBT-1", "/dash/polls", "/dash/roi", "/dash/register.csv")
OTHER_SECRET = "a workspace's secret title"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def dash(engine: Engine, clock: Clock) -> Iterator[Dash]:
    runtime = runtime_for(engine, clock)
    seed(runtime)
    with runtime.transaction() as session:  # another workspace in the same database
        register_service.save_item(
            session,
            team_id="T0OTHER",
            key="DEBT-9",
            fields={"title": OTHER_SECRET},
            actor="U0ELSE",
            reason="theirs",
            now=NOW,
        )
    with served(runtime) as served_dash:
        yield served_dash


def assert_no_data(body: str) -> None:
    """Nothing of either workspace: no item, title, score or table."""
    for shown in ("DEBT-", OTHER_SECRET, *TITLES.values(), "<table", "data-key"):
        assert shown not in body, shown


def test_a_link_signs_in_once_and_sets_the_session_cookie(dash: Dash) -> None:
    link = dash.link(user=LEAD)
    assert link.startswith("/dash/signin?t=")

    signed_in = dash.get(link)

    assert signed_in.status == 303
    assert signed_in.headers["Location"] == "/dash"
    (cookie_header,) = dash_cookies(signed_in)
    attributes = [part.strip() for part in cookie_header.split(";")]
    assert attributes[0].startswith("debtpulse_dash=")
    assert set(attributes[1:]) == {"Path=/dash", "Max-Age=43200", "HttpOnly", "SameSite=Lax"}
    assert signed_in.headers["Referrer-Policy"] == "no-referrer"

    ranking = dash.get("/dash", cookie=signed_in.cookie())
    assert ranking.status == 200
    assert '<tr data-key="DEBT-1">' in ranking.body
    assert f"Workspace <code>{TEAM}</code>" in ranking.body
    assert OTHER_SECRET not in ranking.body and "DEBT-9" not in ranking.body

    again = dash.get(link)
    assert again.status == 410
    assert "This sign-in link was used already" in again.body
    assert again.cookie() is None
    assert_no_data(again.body)


def dash_cookies(reply: Reply) -> list[str]:
    headers = reply.headers.get_all("Set-Cookie") or []
    return [h for h in headers if h.startswith("debtpulse_dash=")]


def test_behind_https_the_cookie_is_secure(dash: Dash) -> None:
    forwarded = dash.get(dash.link(), **{"X-Forwarded-Proto": "https"})
    (cookie_header,) = dash_cookies(forwarded)
    assert "Secure" in [part.strip() for part in cookie_header.split(";")]
    plain = dash.get(dash.link())
    (cookie_header,) = dash_cookies(plain)
    assert "Secure" not in cookie_header


def test_every_refused_link_says_which_it_was_and_shows_nothing(dash: Dash, clock: Clock) -> None:
    token = dash.link().split("t=")[1]
    expired = dash.link()
    clock.now = NOW + timedelta(minutes=10, seconds=1)
    cases = {
        "/dash/signin?t=" + "A" * 43: (403, "This sign-in link is not valid"),
        "/dash/signin?t=not-a-token": (403, "This sign-in link is not valid"),
        "/dash/signin": (403, "This sign-in link is not valid"),
        expired: (410, "This sign-in link has expired"),
        dash.link(team="T0OTHER"): (403, "This sign-in link is for another workspace"),
        f"/dash/signin?t={token}&team=T0OTHER": (403, "This sign-in link is for another workspace"),
    }
    for path, (status, heading) in cases.items():
        reply = dash.get(path)
        assert (reply.status, reply.cookie()) == (status, None), path
        assert f"<h1>{heading}</h1>" in reply.body, path
        assert "/debt dashboard" in reply.body
        assert_no_data(reply.body)
    # no refused link was spent
    with dash.runtime.transaction(write=False) as session:
        used = session.exec(select(DashboardLink.used_at)).all()
    assert set(used) == {None}


def test_a_link_works_until_its_tenth_minute(dash: Dash, clock: Clock) -> None:
    link = dash.link()
    clock.now = NOW + timedelta(minutes=10)
    assert dash.get(link).status == 303


def test_pages_without_a_valid_session_ask_to_sign_in_again(dash: Dash, clock: Clock) -> None:
    good = dash.sign_in()
    payload, signature = good.split(".")
    other_key = runtime_for(dash.runtime.engine, SLACK_SIGNING_SECRET="another-secret")
    forged = dashboard.session_cookie(
        other_key, DashSession(TEAM, LEAD, True, NOW + timedelta(hours=1))
    )
    gone = dashboard.session_cookie(
        dash.runtime, DashSession("T0OTHER", LEAD, True, NOW + timedelta(hours=1))
    )
    cookies = {
        None: "You are not signed in.",
        payload[:-2] + "xx." + signature: "Your session is not valid.",
        good + "x": "Your session is not valid.",
        "garbage": "Your session is not valid.",
        forged: "Your session is not valid.",
        gone: "Your session is for a workspace this dashboard no longer serves.",
    }
    for cookie, why in cookies.items():
        for path in PAGES:
            reply = dash.get(path, cookie=cookie)
            assert reply.status == 401, (cookie, path)
            assert why in reply.body and "Sign in again from Slack with" in reply.body
            assert "<code>/debt dashboard</code>" in reply.body
            assert_no_data(reply.body)
    assert dash.get("/dash", cookie=good).status == 200
    clock.now = NOW + timedelta(hours=12)
    expired = dash.get("/dash", cookie=good)
    assert expired.status == 401
    assert "Your session has expired" in expired.body
    assert_no_data(expired.body)
    assert "Max-Age=0" in dash_cookies(expired)[0]  # the stale cookie is cleared


def test_a_member_is_refused_the_register_csv_and_a_lead_gets_it(dash: Dash) -> None:
    member = dash.sign_in(user=MEMBER, is_lead=False)
    refused = dash.get("/dash/register.csv", cookie=member)
    assert refused.status == 403
    assert "The register download is for team leads." in refused.body
    assert_no_data(refused.body)
    assert "/dash/register.csv" not in dash.get("/dash", cookie=member).body  # not offered

    lead = dash.sign_in(user=LEAD, is_lead=True)
    csv = dash.get("/dash/register.csv", cookie=lead)
    assert csv.status == 200
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in csv.headers["Content-Disposition"]
    assert "DEBT-1,Flaky data ingestion" in csv.body and "DEBT-9" not in csv.body


def test_signing_out_clears_the_cookie(dash: Dash) -> None:
    cookie = dash.sign_in()
    out = dash.request("POST", "/dash/signout", cookie=cookie)
    assert out.status == 200 and "<h1>Signed out</h1>" in out.body
    assert "Max-Age=0" in dash_cookies(out)[0]
    assert dash.get("/dash/signout").status == 405
    elsewhere = dash.request(
        "POST", "/dash/signout", cookie=cookie, headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status == 403 and not dash_cookies(elsewhere)


def test_pages_are_read_only_and_unknown_ones_are_not_found(dash: Dash) -> None:
    cookie = dash.sign_in()
    assert dash.request("POST", "/dash", cookie=cookie).status == 405
    missing = dash.get("/dash/nothing-here", cookie=cookie)
    assert missing.status == 404 and "The dashboard has no such page." in missing.body
    unknown = dash.get("/dash/items/DEBT-9", cookie=cookie)  # another workspace's key
    assert unknown.status == 404 and OTHER_SECRET not in unknown.body
    css = dash.get("/dash/static/dash.css")
    assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")


def test_a_link_preview_does_not_use_the_link(dash: Dash) -> None:
    link = dash.link()
    unfurled = dash.get(link, **{"User-Agent": "Slackbot-LinkExpanding 1.0"})
    assert unfurled.status == 200 and unfurled.cookie() is None
    assert dash.request("HEAD", link).status == 200
    assert dash.get(link).status == 303  # still unused


def test_of_two_requests_racing_with_one_link_one_signs_in(dash: Dash) -> None:
    link = dash.link()
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda _: dash.get(link), range(4)))
    assert sorted(reply.status for reply in replies) == [303, 410, 410, 410]
    assert sum(reply.cookie() is not None for reply in replies) == 1
