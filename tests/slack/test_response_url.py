"""Replies to a response_url reuse one kept-alive connection, and survive a stale one."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.slack import response_url
from bot.slack.response_url import reply


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.bodies: list[dict[str, Any]] = []
        self.connections: set[int] = set()
        self.status = 200
        self.close_after_each = False


class Handler(BaseHTTPRequestHandler):
    server: Recorder
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.bodies.append(json.loads(self.rfile.read(length)))
        self.server.connections.add(self.client_address[1])  # the client's port
        self.send_response(self.server.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        if self.server.close_after_each:
            self.close_connection = True


@pytest.fixture
def server() -> Iterator[Recorder]:
    recorder = Recorder()
    thread = threading.Thread(target=recorder.serve_forever, daemon=True)
    thread.start()
    yield recorder
    recorder.shutdown()
    recorder.server_close()


class FakeRespond:
    """Stands in for Bolt's ``Respond``: its url, and what it was asked to send."""

    def __init__(self, url: str) -> None:
        self.response_url = url
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **message: Any) -> None:
        self.calls.append(message)


def url_of(server: Recorder) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/actions/T1/1/abc"


def test_replies_reuse_one_connection(server: Recorder) -> None:
    respond = FakeRespond(url_of(server))
    for n in range(5):
        reply(respond, response_type="ephemeral", text=f"answer {n}")  # type: ignore[arg-type]
    assert [b["text"] for b in server.bodies] == [f"answer {n}" for n in range(5)]
    assert server.bodies[0]["response_type"] == "ephemeral"
    assert len(server.connections) == 1
    assert respond.calls == []


def test_a_connection_the_server_closed_is_replaced_without_a_second_copy(
    server: Recorder,
) -> None:
    server.close_after_each = True  # the server closes after answering, without saying so
    respond = FakeRespond(url_of(server))
    for n in range(3):
        reply(respond, text=f"answer {n}")  # type: ignore[arg-type]
    assert [b["text"] for b in server.bodies] == ["answer 0", "answer 1", "answer 2"]


def test_a_refused_reply_is_logged_not_raised(
    server: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    server.status = 404
    reply(FakeRespond(url_of(server)), text="late")  # type: ignore[arg-type]
    assert "refused (HTTP 404)" in caplog.text


def test_behind_a_proxy_bolts_respond_is_used(
    server: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    respond = FakeRespond(url_of(server))
    reply(respond, text="via proxy")  # type: ignore[arg-type]
    assert respond.calls == [{"text": "via proxy"}]
    assert server.bodies == []


def test_an_idle_connection_is_not_reused(
    server: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    respond = FakeRespond(url_of(server))
    reply(respond, text="first")  # type: ignore[arg-type]
    monkeypatch.setattr(response_url, "REUSE_WITHIN_S", 0.0)
    reply(respond, text="second")  # type: ignore[arg-type]
    assert len(server.connections) == 2
