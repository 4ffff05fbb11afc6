"""``/debt dashboard`` through the Bolt app: anyone gets a one-time sign-in link, shown to
them alone; it signs them in to their workspace's dashboard, a lead with the lead parts."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit
from wsgiref.util import setup_testing_defaults

from bot.web.wsgi import make_wsgi_app
from tests.listeners.conftest import (
    GENERAL,
    LEAD,
    MEMBER,
    Harness,
    InProcessDriver,
    ack_json,
    shown_text,
)

LINK = re.compile(r"http://localhost:3000/dash/signin\?t=[A-Za-z0-9_-]{43}")


def _get(harness: Harness, url: str, cookie: str | None = None) -> tuple[str, dict[str, str], str]:
    """GET ``url`` from the WSGI app ``serve`` runs: status, headers, body."""
    parts = urlsplit(url)
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ |= {"PATH_INFO": parts.path, "QUERY_STRING": parts.query}
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    seen: dict[str, Any] = {}

    def start(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    app = make_wsgi_app(harness.runtime, harness.app)
    body = b"".join(app(environ, start)).decode()
    return seen["status"], seen["headers"], body


def _link(harness: Harness, driver: InProcessDriver, user: str) -> str:
    ack = driver.slash(text="dashboard", channel=GENERAL)
    assert ack.status == 200 and "dash/signin" not in ack.body_text  # answered after the ack
    (reply,) = harness.ephemerals_via(user, "response_url")
    shown = shown_text(reply.text, reply.blocks)
    assert "signs you in once, within 10 minutes" in shown
    assert "Your session lasts 12 hours" in shown
    (link,) = set(LINK.findall(shown))
    assert link not in reply.text  # the notification's fallback text leaves it out
    (post,) = [p for p in harness.fake.response_url_posts if link in json.dumps(p.payload)]
    assert post.payload["response_type"] == "ephemeral"
    assert harness.fake.messages() == []  # nothing in a channel or a DM
    return link


def test_a_member_gets_a_link_that_signs_them_in_without_lead_parts(
    harness: Harness, member: InProcessDriver
) -> None:
    link = _link(harness, member, MEMBER)

    status, headers, _ = _get(harness, link)
    assert status == "303 See Other"
    cookie = headers["Set-Cookie"].split(";")[0]
    status, _, page = _get(harness, "http://localhost:3000/dash", cookie)
    assert status == "200 OK" and "<h1>Debt ranking</h1>" in page
    assert f"<code>{MEMBER}</code>" in page and "(lead)" not in page
    assert _get(harness, "http://localhost:3000/dash/register.csv", cookie)[0] == "403 Forbidden"
    assert _get(harness, link)[0] == "410 Gone"  # once only


def test_a_lead_gets_a_link_with_the_lead_parts(harness: Harness, lead: InProcessDriver) -> None:
    link = _link(harness, lead, LEAD)
    (reply,) = harness.ephemerals_via(LEAD, "response_url")
    assert "as a lead, the register as CSV" in shown_text(reply.text, reply.blocks)

    cookie = _get(harness, link)[1]["Set-Cookie"].split(";")[0]
    status, headers, _ = _get(harness, "http://localhost:3000/dash/register.csv", cookie)
    assert status == "200 OK" and headers["Content-Type"].startswith("text/csv")


def test_dashboard_takes_no_arguments_and_help_lists_it(
    harness: Harness, member: InProcessDriver
) -> None:
    usage = ack_json(member.slash(text="dashboard now", channel=GENERAL))
    assert "too many arguments for `dashboard`" in usage["text"]
    assert "/debt dashboard" in usage["text"]
    helped = json.dumps(ack_json(member.slash(text="help", channel=GENERAL)))
    assert "`/debt dashboard`" in helped
