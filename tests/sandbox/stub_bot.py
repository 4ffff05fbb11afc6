"""A tiny stand-in for the bot's HTTP endpoint: verifies Slack signatures, records requests.

Answers 401 to requests whose signature does not verify (as Bolt does), otherwise what
``reply`` returns, after ``delay`` seconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

SECRET = "debtpulse-test-signing-secret"


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: str
    verified: bool

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body))

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.form()["payload"])
        return data

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


Reply = Callable[[Received], tuple[int, str]]


class StubBot:
    def __init__(self) -> None:
        self.verifier = SignatureVerifier(SECRET)
        self.received: list[Received] = []
        self.reply: Reply = lambda _: (200, "")
        self.delay = 0.0
        self.url = ""

    @property
    def last(self) -> Received:
        return self.received[-1]


def _handler(bot: StubBot) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            headers = dict(self.headers.items())
            verified = bot.verifier.is_valid_request(body, headers)
            received = Received(headers=headers, body=body, verified=verified)
            bot.received.append(received)
            time.sleep(bot.delay)
            status, text = bot.reply(received) if verified else (401, "invalid signature")
            data = text.encode()
            kind = "application/json" if text.startswith("{") else "text/plain"
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the driver gave up waiting

    return Handler


@contextmanager
def running_stub_bot() -> Iterator[StubBot]:
    bot = StubBot()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(bot))
    server.daemon_threads = True
    server.block_on_close = False
    bot.url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield bot
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
