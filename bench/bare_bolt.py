"""A bare Bolt app that only acks, in a module of its own: gunicorn loads
``bench.bare_bolt:app()`` and nothing else of debtpulse, so its worker's memory is Bolt's
floor (``bench/memory.py``)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

EVENTS = "/slack/events"


def app() -> Callable[..., Iterable[bytes]]:
    """``POST /slack/events`` through Bolt's WSGI adapter (every action and view submission
    acked, nothing else done) and ``GET /healthz``."""
    from slack_bolt import Ack, App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    bolt = App(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=WebClient(token="xoxb-test", base_url=os.environ["SLACK_API_URL"]),
        token_verification_enabled=False,
    )

    @bolt.action(re.compile(".*"))
    def just_ack(ack: Ack) -> None:
        ack()

    @bolt.view(re.compile(".*"))
    def just_ack_view(ack: Ack) -> None:
        ack()

    slack = SlackRequestHandler(bolt, path=EVENTS)

    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        return slack(environ, start_response)

    return application
