"""Slow clients cannot take `debtpulse serve` down: threads only ever run whole requests.

Sixty-four connections that send their request a byte at a time hold no thread, so Slack's
signed requests are still answered at once (Slack gives up after 3 s); a client that never
finishes its request is answered 408 and closed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox import FakeSlack, SlackDriver
from storage import db
from tests.e2e.conftest import LEAD, SECRET, free_port, server_env, start_server

SLOW_CLIENTS = 64
#: Slack's own limit for an answer; the slow clients are still sending when it is measured.
SLACK_DEADLINE = 3.0


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FakeSlack, int, Path]]:
    database_url = f"sqlite:///{tmp_path / 'debtpulse.db'}"
    db.upgrade(db.make_engine(database_url))
    log = tmp_path / "serve.log"
    port = free_port()
    with FakeSlack(post_rate=None) as fake:
        fake.workspace.add_user(LEAD, name="lead")
        process = start_server(env=server_env(fake, database_url), port=port, log=log)
        try:
            yield fake, port, log
        finally:
            process.terminate()
            process.wait(timeout=15)


class SlowClients:
    """Connections that each send a signals request one byte per ``pause`` seconds."""

    def __init__(self, port: int, count: int, pause: float = 0.25) -> None:
        self.sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
        body = b'{"signals": []}'
        self.request = (
            b"POST /api/signals HTTP/1.1\r\nHost: debtpulse\r\n"
            b"Content-Type: application/json\r\nAuthorization: Bearer slow\r\n"
            + b"Content-Length: %d\r\n\r\n" % len(body)
            + body
        )
        self.pause = pause
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)

    def _trickle(self) -> None:
        for index in range(len(self.request) - 1):  # never the last byte
            if self.stop.wait(self.pause):
                return
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(self.request[index : index + 1])

    def __enter__(self) -> SlowClients:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def test_sixty_four_slow_clients_do_not_delay_a_signed_slash_command(
    served: tuple[FakeSlack, int, Path],
) -> None:
    fake, port, _ = served
    driver = SlackDriver(
        f"http://127.0.0.1:{port}/slack/events", SECRET, fake=fake, default_user=LEAD
    )
    with SlowClients(port, SLOW_CLIENTS) as slow:
        time.sleep(1.5)  # every slow connection has sent its first bytes and waits
        for _ in range(3):
            started = time.monotonic()
            answer = driver.slash("/debt", "help")
            took = time.monotonic() - started
            assert answer.status == 200
            assert "/debt top" in answer.body_text
            assert took < SLACK_DEADLINE, f"answered after {took:.1f} s"
        assert slow.thread.is_alive()  # the slow clients were still sending throughout


def test_a_request_that_never_finishes_is_answered_408_and_closed(
    served: tuple[FakeSlack, int, Path],
) -> None:
    _, port, _ = served
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /api/signals HTTP/1.1\r\nHost: debtpulse\r\nContent-Length: 10\r\n\r\n")
        sock.settimeout(30)
        started = time.monotonic()
        answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408")
        assert sock.recv(4096) == b""  # and closed
        assert time.monotonic() - started < 25


def test_oversized_headers_are_refused_without_a_thread(
    served: tuple[FakeSlack, int, Path],
) -> None:
    _, port, _ = served
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(10)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: debtpulse\r\n")
        try:
            for _ in range(80):
                sock.sendall(b"X-Filler: " + b"a" * 1000 + b"\r\n")
        except OSError:
            pass  # the server may close the connection while we are still sending
        answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 431")


def test_kept_alive_and_chunked_requests_still_work(served: tuple[FakeSlack, int, Path]) -> None:
    _, port, _ = served
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(10)
        reader = sock.makefile("rb")
        for _ in range(3):  # one connection, three requests
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: debtpulse\r\n\r\n")
            status = reader.readline()
            assert status.startswith(b"HTTP/1.1 200"), status
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            reader.read(length)
        # a chunked body, sent in pieces, is read whole and reaches the app
        sock.sendall(
            b"POST /api/signals HTTP/1.1\r\nHost: debtpulse\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/json\r\nAuthorization: Bearer wrong\r\n\r\n"
        )
        sock.sendall(b'4\r\n{"si\r\n')
        time.sleep(0.3)
        sock.sendall(b'b\r\ngnals": []}\r\n0\r\n\r\n')
        status = reader.readline()
        assert status.startswith(b"HTTP/1.1 401"), status  # the app judged it: wrong token
