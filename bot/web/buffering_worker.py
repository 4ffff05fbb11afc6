"""The gunicorn worker of ``debtpulse serve``: threads run only whole requests.

gunicorn's threaded worker hands a connection to a thread as soon as its first bytes
arrive, and the thread then reads the rest of the request with blocking reads. A client
that sends its request slowly (on purpose or over a bad link) keeps that thread for as long
as it likes, and a few such clients hold every thread: Slack's next request waits past its
3-second limit. This worker reads each request in its event loop instead, without a
thread, and gives a thread only a request that has fully arrived (headers and body). A
connection that has not sent a whole request within :data:`REQUEST_DEADLINE` seconds is
answered ``408`` and closed, so slow clients cost memory and a file descriptor each,
never a thread.

Requests larger than debtpulse accepts are not buffered: once their headers are in, the
application refuses them by their ``Content-Length`` without reading the body.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import time
from functools import partial
from typing import Any

from gunicorn import http
from gunicorn.workers.gthread import ThreadWorker

#: How long a client may take to send one whole request, from its first byte (or, on a
#: kept-alive connection, from the moment it became readable). Slack sends in milliseconds.
REQUEST_DEADLINE = 10.0
#: Headers larger than this are refused (``431``) without a thread.
MAX_HEADER_BYTES = 64 * 1024
#: Bodies up to this size are read in the event loop; a larger declared body goes to the
#: application once the headers are in (it refuses it by its length, unread).
MAX_BUFFERED_BODY = 1024 * 1024 + 1
_READ = 64 * 1024

COMPLETE = "complete"  # a whole request is buffered
MORE = "more"  # wait for more bytes
HAND_OVER = "hand over"  # let gunicorn's parser read (and judge) the rest
TOO_LARGE = "too large"  # headers over MAX_HEADER_BYTES


def framing(buffer: bytes | bytearray) -> str:
    """Whether ``buffer`` (the bytes a connection sent so far) holds a whole request."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return TOO_LARGE if len(buffer) > MAX_HEADER_BYTES else MORE
    if end > MAX_HEADER_BYTES:
        return TOO_LARGE
    length: int | None = None
    chunked = False
    for line in bytes(buffer[:end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"transfer-encoding":
            chunked = chunked or b"chunked" in value.lower()
        elif name == b"content-length":
            text = value.strip()
            if not text.isdigit() or (length is not None and length != int(text)):
                return HAND_OVER  # malformed: gunicorn answers 400
            length = int(text)
    body = end + 4
    if chunked:
        return _chunks_complete(buffer, body)
    if length is None or length == 0:
        return COMPLETE
    if length > MAX_BUFFERED_BODY:
        return HAND_OVER
    return COMPLETE if len(buffer) - body >= length else MORE


def _chunks_complete(buffer: bytes | bytearray, at: int) -> str:
    """Walk a chunked body from ``at``: complete once the last chunk and trailers are in."""
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return MORE
        size_text = bytes(buffer[at:line_end]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return HAND_OVER
        if size == 0:
            # the last chunk, then trailers (if any) and an empty line
            return COMPLETE if buffer.find(b"\r\n\r\n", line_end) >= 0 else MORE
        at = line_end + 2 + size + 2
        if at - 4 > MAX_BUFFERED_BODY:
            return HAND_OVER
        if len(buffer) < at:
            return MORE


class _Reading:
    """A connection whose request is still arriving."""

    __slots__ = ("conn", "data", "deadline")

    def __init__(self, conn: Any, data: bytes) -> None:
        self.conn = conn
        self.data = bytearray(data)
        self.deadline = time.monotonic() + REQUEST_DEADLINE


class BufferingWorker(ThreadWorker):
    """gunicorn's threaded worker, reading each request whole before a thread takes it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading: dict[int, _Reading] = {}

    def enqueue_req(self, conn: Any) -> None:
        """Every path to a thread comes here (a new connection, a kept-alive one that became
        readable, pipelined bytes after a response): read the request first."""
        if getattr(conn, "buffered", False) or self.cfg.is_ssl:
            conn.buffered = False
            super().enqueue_req(conn)
            return
        early = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        conn.sock.setblocking(False)
        entry = _Reading(conn, early)
        self.reading[id(conn)] = entry
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, entry))
        if early:
            self._judge(entry)

    def _readable(self, entry: _Reading, _sock: Any) -> None:
        try:
            data = entry.conn.sock.recv(_READ)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(entry)
            return
        if not data:  # the client went away before finishing its request
            self._drop(entry)
            return
        entry.data += data
        self._judge(entry)

    def _judge(self, entry: _Reading) -> None:
        state = framing(entry.data)
        if state == MORE:
            return
        if state == TOO_LARGE:
            self._refuse(entry, b"431 Request Header Fields Too Large")
            return
        self._stop_reading(entry)
        conn = entry.conn
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(bytes(entry.data))
        conn.data_ready = True
        conn.buffered = True
        self.enqueue_req(conn)

    def _stop_reading(self, entry: _Reading) -> None:
        self.reading.pop(id(entry.conn), None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(entry.conn.sock)

    def _drop(self, entry: _Reading) -> None:
        self._stop_reading(entry)
        self.nr_conns -= 1
        entry.conn.close()

    def _refuse(self, entry: _Reading, status: bytes) -> None:
        try:
            entry.conn.sock.send(
                b"HTTP/1.1 " + status + b"\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            )
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EPIPE, errno.ECONNRESET):
                self.log.debug("Could not answer a slow client: %s", exc)
        self._drop(entry)

    def murder_pending(self) -> None:
        """Also answer ``408`` to connections whose request did not arrive in time."""
        super().murder_pending()
        now = time.monotonic()
        for entry in [e for e in self.reading.values() if e.deadline <= now]:
            self._refuse(entry, b"408 Request Timeout")


__all__ = ["BufferingWorker", "framing"]
