"""The dashboard through the real ``debtpulse serve`` process: ``/debt dashboard`` sent as Slack
signs it, the link from the reply followed with the cookie it sets, the ranking found."""

from __future__ import annotations

import http.client
import json
import re
import time
from urllib.parse import urlsplit

import pytest

from bot.sandbox import SlackDriver
from tests.e2e.conftest import LEAD, SECRET, Stack

pytestmark = pytest.mark.e2e
LINK = re.compile(r"https?://[^\s|>\"]+/dash/signin\?t=[A-Za-z0-9_-]{43}")


def _get(stack: Stack, path: str, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    port = urlsplit(stack.url).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read().decode()


def test_a_lead_signs_in_from_slack_and_sees_the_ranking(e2e: Stack) -> None:
    lead = SlackDriver(e2e.driver.bot_url, SECRET, fake=e2e.fake, default_user=LEAD)
    assert lead.slash(text="dashboard").ok

    def link() -> str | None:
        posts = [json.dumps(p.payload) for p in e2e.fake.response_url_posts]
        found = [m.group(0) for text in posts for m in LINK.finditer(text)]
        return found[-1] if found else None

    url = e2e.fake.wait_for(link, timeout=10)
    (post,) = [p for p in e2e.fake.response_url_posts if url in json.dumps(p.payload)]
    assert post.payload["response_type"] == "ephemeral"
    parts = urlsplit(url)

    status, headers, _ = _get(e2e, f"{parts.path}?{parts.query}")
    assert status == 303 and headers["Location"] == "/dash"
    assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Lax" in headers["Set-Cookie"]
    cookie = headers["Set-Cookie"].split(";")[0]

    status, _, page = _get(e2e, "/dash", cookie)
    assert status == 200
    assert "<h1>Debt ranking</h1>" in page and "(lead)" in page
    assert _get(e2e, "/dash")[0] == 401
    assert _get(e2e, f"{parts.path}?{parts.query}")[0] == 410

    token = parts.query.removeprefix("t=")
    deadline = time.monotonic() + 10  # the access log is written after each response
    while "/dash/signin?t=[redacted]" not in e2e.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    logged = e2e.log.read_text()
    assert "/dash/signin?t=[redacted]" in logged  # the request is logged…
    assert token not in logged and cookie.split("=", 1)[1] not in logged  # …its secrets not
