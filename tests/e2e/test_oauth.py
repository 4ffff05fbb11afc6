"""Multi-workspace OAuth install through the real serve process, and team isolation."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import Message

import pytest
from sqlalchemy import text

from bot.sandbox import FakeSlack, SlackDriver
from storage import db
from tests.e2e.conftest import LEAD, SECRET, free_port, server_env, start_server

pytestmark = pytest.mark.e2e
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret"


class OAuthStack:
    def __init__(self, fake: FakeSlack, url: str, database_url: str) -> None:
        self.fake, self.url, self.database_url = fake, url, database_url

    def get(self, path: str, cookie: str | None = None) -> tuple[int, str, Message]:
        request = urllib.request.Request(self.url + path)
        if cookie:
            request.add_header("Cookie", cookie)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers

    def begin(self) -> tuple[str, str]:
        """Open /slack/install: returns (state, cookie) as a browser would keep them."""
        status, body, headers = self.get("/slack/install")
        assert status == 200, body
        cookie = headers["Set-Cookie"].split(";")[0]
        state = cookie.split("=", 1)[1]
        assert f"state={state}" in body and "slack.com/oauth/v2/authorize" in body
        return state, cookie

    def finish(self, state: str, cookie: str, code: str) -> tuple[int, str]:
        status, body, _ = self.get(f"/slack/oauth_redirect?code={code}&state={state}", cookie)
        return status, body

    def installed_teams(self) -> list[str]:
        with db.make_engine(self.database_url).connect() as conn:
            rows = conn.execute(text("SELECT team_id FROM slack_installations ORDER BY team_id"))
            return [row[0] for row in rows]

    def driver(self, team: str) -> SlackDriver:
        driver = SlackDriver(f"{self.url}/slack/events", SECRET, fake=self.fake, default_user=LEAD)
        driver.team = team
        return driver


@pytest.fixture(scope="module")
def oauth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OAuthStack]:
    folder = tmp_path_factory.mktemp("oauth")
    database_url = f"sqlite:///{folder / 'debtpulse.db'}"
    db.upgrade(db.make_engine(database_url))
    with FakeSlack(post_rate=None) as fake:
        fake.workspace.add_user(LEAD, name="lead")
        fake.enable_oauth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        env = server_env(
            fake,
            database_url,
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET=CLIENT_SECRET,
            SLACK_STATE_SECRET="state-secret",
        )
        env.pop("SLACK_BOT_TOKEN")
        port = free_port()
        process = start_server(env=env, port=port, log=folder / "serve.log")
        try:
            yield OAuthStack(fake, f"http://127.0.0.1:{port}", database_url)
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_install_stores_the_workspace_and_states_are_single_use(oauth: OAuthStack) -> None:
    state, cookie = oauth.begin()
    code = oauth.fake.authorize_install(team_id="T0ALPHA", user=LEAD)
    status, body = oauth.finish(state, cookie, code)
    assert status == 200, body
    assert oauth.installed_teams() == ["T0ALPHA"]
    # the same state again (with a fresh code) is refused and installs nothing
    status, body = oauth.finish(state, cookie, oauth.fake.authorize_install(team_id="T0EVIL"))
    assert status >= 400
    assert "T0EVIL" not in oauth.installed_teams()


def test_an_expired_state_is_refused(oauth: OAuthStack) -> None:
    state, cookie = oauth.begin()
    with db.make_engine(oauth.database_url).begin() as conn:
        conn.execute(
            text("UPDATE slack_oauth_states SET expire_at = :past WHERE state = :state"),
            {"past": datetime.utcnow() - timedelta(minutes=1), "state": state},
        )
    status, _ = oauth.finish(state, cookie, oauth.fake.authorize_install(team_id="T0LATE"))
    assert status >= 400
    assert "T0LATE" not in oauth.installed_teams()


def _reply(fake: FakeSlack, needle: str, since: int) -> str:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for post in fake.response_url_posts[since:]:
            payload = json.dumps(post.payload)
            if needle in payload:
                return payload
        time.sleep(0.05)
    raise AssertionError(f"no reply with {needle!r}")


def test_one_workspace_never_sees_anothers_data(oauth: OAuthStack) -> None:
    for team in ("T0ALPHA", "T0BETA"):
        if team not in oauth.installed_teams():
            state, cookie = oauth.begin()
            assert oauth.finish(state, cookie, oauth.fake.authorize_install(team_id=team))[0] == 200
    alpha, beta = oauth.driver("T0ALPHA"), oauth.driver("T0BETA")
    alpha.slash(text="add")
    oauth.fake.wait_for(lambda: oauth.fake.open_modal(LEAD), timeout=5)
    alpha.submit_modal({"title": "Alpha-only secret debt"})
    oauth.fake.wait_for(
        lambda: (
            any("Added" in e.text for e in oauth.fake.ephemerals(user=LEAD))
            or oauth.fake.messages(channel="D" + LEAD[1:])
        ),
        timeout=5,
    )
    start = len(oauth.fake.response_url_posts)
    beta.slash(text="top")
    assert "No open debt items" in _reply(oauth.fake, "debt items", start)
    start = len(oauth.fake.response_url_posts)
    alpha.slash(text="top")
    assert "Alpha-only secret debt" in _reply(oauth.fake, "Alpha-only", start)
    # every call for a team used that team's own bot token
    tokens = {c.token for c in oauth.fake.calls if c.method == "views.open"}
    assert all(re.match(r"xoxb-t0alpha-", t or "") for t in tokens)
