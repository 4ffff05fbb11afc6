"""The demo's running system: the fake Slack, a fresh database and the real app over HTTP.

Everything listens on 127.0.0.1 only. The bot is the real WSGI app ``debtpulse serve`` runs
(Bolt behind ``bot.web.wsgi``), served by a threaded ``wsgiref`` server in this process, with
a ``Runtime`` whose clock is the simulation's. Settings are built in code from the fake's
values and fresh random secrets; the environment and any ``.env`` file are ignored, so a
developer's own Slack settings can never leak into the demo.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.config import Settings
from bot.demo.clock import SimClock
from bot.demo.truth import Engineer
from bot.runtime import Runtime, build_runtime
from bot.sandbox import BOT_TOKEN, BOT_USER_ID, FakeSlack, SlackDriver, Workspace
from bot.teams import resolve_team
from storage import db

TEAM_ID = "T0DEMO"
LEAD_ID = "U0LEAD"
POLL_CHANNEL = "C0DEBTPULSE"
DIGEST_CHANNEL = "C0DEBTDIGEST"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def workspace(engineers: Sequence[Engineer]) -> Workspace:
    """The simulated workspace: the bot, a lead, the engineers, a poll and a digest channel."""
    ws = Workspace(team_id=TEAM_ID, team_domain="debtpulse-demo")
    ws.add_user(LEAD_ID, name="ines", real_name="Ines (team lead)")
    for engineer in engineers:
        ws.add_user(engineer.user_id, name=engineer.name, real_name=engineer.name.title())
    everyone = [BOT_USER_ID, LEAD_ID, *(e.user_id for e in engineers)]
    ws.add_channel(POLL_CHANNEL, name="debt-pulse", members=everyone)
    ws.add_channel(DIGEST_CHANNEL, name="debt-digest", members=everyone)
    return ws


def demo_settings(fake: FakeSlack, database_url: str) -> Settings:
    """The settings as given in code only (``Settings(...)`` reads no environment variable
    and no ``.env``)."""
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": secrets.token_hex(16),
        "SLACK_API_URL": fake.base_url,
        "DATABASE_URL": database_url,
        "DEBTPULSE_ANON_SECRET": secrets.token_hex(16),
        "DEBTPULSE_SIGNALS_TOKEN": secrets.token_urlsafe(24),
        "DEBTPULSE_POLL_CHANNEL": POLL_CHANNEL,
        "DEBTPULSE_DIGEST_CHANNELS": DIGEST_CHANNEL,
        "DEBTPULSE_LEADS": LEAD_ID,
    }
    return Settings(**values)


def secret(value: Any) -> str:
    """The plain value of a setting's SecretStr (the demo's own random secrets)."""
    assert value is not None
    return str(value.get_secret_value())


@dataclass
class Stack:
    """The running pieces; ``close()`` stops the servers and releases the database."""

    fake: FakeSlack
    runtime: Runtime
    clock: SimClock
    server: WSGIServer
    thread: threading.Thread
    database_url: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @property
    def signals_token(self) -> str:
        return secret(self.runtime.settings.signals_token)

    def driver(self, user: str) -> SlackDriver:
        """Slack's side for ``user``: signed requests to ``/slack/events``."""
        return SlackDriver(
            f"{self.url}/slack/events",
            secret(self.runtime.settings.slack_signing_secret),
            fake=self.fake,
            default_user=user,
            default_channel=POLL_CHANNEL,
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self.fake.stop()
        self.runtime.engine.dispose()


def start_fake(engineers: Sequence[Engineer]) -> FakeSlack:
    # No posting rate limit: the simulation posts a week's worth of messages in a second.
    return FakeSlack(workspace=workspace(engineers), post_rate=None).start()


def migrate(database: Path) -> str:
    """A fresh SQLite database at ``database``, migrated to the newest schema; its URL."""
    url = f"sqlite:///{database}"
    engine = db.make_engine(url)
    try:
        db.upgrade(engine)
    finally:
        engine.dispose()
    return url


def build(fake: FakeSlack, database_url: str, clock: SimClock) -> Runtime:
    """The runtime ``debtpulse serve`` would build, on the simulated clock."""
    settings = demo_settings(fake, database_url)
    settings.require_slack()
    engine = db.make_engine(settings.database_url)
    team = resolve_team(settings, engine, None)  # auth.test against the fake
    runtime = build_runtime(settings, engine=engine, default_team=team, clock=clock)
    runtime.require_anon_secret()
    return runtime


def serve(
    fake: FakeSlack, runtime: Runtime, clock: SimClock, database_url: str, *, port: int = 0
) -> Stack:
    """Serve the real WSGI app on 127.0.0.1 (``port``, or a free one) in a background
    thread."""
    from bot.listeners.app import build_app
    from bot.web.wsgi import make_wsgi_app

    app = make_wsgi_app(runtime, build_app(runtime))
    server = make_server(
        "127.0.0.1", port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-wsgi", daemon=True
    )
    thread.start()
    return Stack(fake, runtime, clock, server, thread, database_url)
