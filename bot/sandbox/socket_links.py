"""The app's Socket Mode connections, as Slack's side sees them: tickets, handshakes,
``hello``, pings and pongs, ``disconnect`` and close frames (``fake_socket_mode`` sends the
envelopes over them)."""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO, TypeVar

from bot.sandbox import websocket
from bot.sandbox.socket_records import LINK_HOST, TICKET_TTL, SocketConnection
from bot.sandbox.state import SlackState
from bot.sandbox.workspace import APP_ID

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Link:
    """A live connection's socket."""

    sock: socket.socket
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    close_sent: bool = False


class SocketLinks:
    """The WebSocket connections one app opened with tickets from ``apps.connections.open``."""

    def __init__(self, state: SlackState, *, ticket_ttl: float = TICKET_TTL) -> None:
        self._state = state
        self._changed = state.changed
        self.ticket_ttl = ticket_ttl
        self.refused: list[str] = []
        """Why each refused WebSocket handshake was refused (bad ticket, not a handshake)."""
        self._tickets: dict[str, float] = {}
        self._connections: dict[int, SocketConnection] = {}
        self._links: dict[int, Link] = {}
        self._serial = itertools.count(1)
        self._stop = threading.Event()

    # -- what the envelopes need (FakeSocketMode) ---------------------------------------------

    def _on_text(self, conn: SocketConnection, data: bytes) -> None:
        """A text message from the app."""

    def _flush(self) -> None:
        """A connection became ready."""

    def _drop_links(self) -> None:
        """Drop every connection, as a vanished server would."""
        self._stop.set()
        with self._changed:
            links = list(self._links.values())
            self._changed.notify_all()
        for link in links:
            with contextlib.suppress(OSError):  # already gone
                link.sock.shutdown(socket.SHUT_RDWR)

    def _forget_links(self) -> None:
        """Forget tickets, refusals and closed connections (with the lock held)."""
        self._tickets.clear()
        self.refused.clear()
        self._connections = {k: c for k, c in self._connections.items() if not c.closed}

    # -- apps.connections.open and the handshake ----------------------------------------------

    def new_url(self) -> str:
        ticket = secrets.token_hex(16)
        with self._changed:
            self._tickets[ticket] = time.monotonic()
        root = self._state.root_url.removeprefix("http://").rstrip("/")
        return f"ws://{root}/link/?ticket={ticket}&app_id={APP_ID}"

    def admit(self, ticket: str) -> str | None:
        """Why a handshake with ``ticket`` is refused, or None: the ticket is used up."""
        with self._changed:
            issued = self._tickets.pop(ticket, None)
        if issued is None:
            problem = "invalid_ticket"
        elif time.monotonic() - issued > self.ticket_ttl:
            problem = "expired_ticket"
        else:
            return None
        self.refuse(problem)
        return problem

    def refuse(self, problem: str) -> None:
        with self._changed:
            self.refused.append(problem)
            self._changed.notify_all()

    def serve(self, sock: socket.socket, stream: BinaryIO) -> None:
        """Run one connection after its handshake, until it closes (in the server's thread)."""
        link = Link(sock)
        with self._changed:
            conn = SocketConnection(id=next(self._serial), opened_at=self._state.clock())
            self._connections[conn.id] = conn
            self._links[conn.id] = link
            open_count = sum(1 for c in self._connections.values() if not c.closed)
        hello = {
            "type": "hello",
            "num_connections": open_count,
            "debug_info": {
                "host": LINK_HOST,
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": APP_ID},
        }
        if self._send(link, websocket.TEXT, json.dumps(hello).encode()):
            with self._changed:
                conn.ready = True
                self._changed.notify_all()
            self._flush()
        code: int | None = None
        by = "app"
        try:
            reader = websocket.MessageReader(stream)
            while not self._stop.is_set():
                frame = reader.next()
                if frame.opcode == websocket.CLOSE:
                    code = int.from_bytes(frame.payload[:2], "big") if frame.payload else 1005
                    if not link.close_sent:
                        self._send(link, websocket.CLOSE, frame.payload[:2], closing=True)
                    else:
                        by = "slack"
                    break
                self._on_frame(conn, link, frame)
        except websocket.ProtocolError as exc:
            log.info("fake socket mode: connection %s broke the protocol: %s", conn.id, exc)
            self._send(link, websocket.CLOSE, websocket.close_payload(1002, str(exc)), closing=True)
            code, by = websocket.PROTOCOL_ERROR, "slack"
        except (websocket.ConnectionClosed, OSError):
            by = "slack" if link.close_sent or self._stop.is_set() else "app"
        finally:
            with self._changed:
                conn.closed, conn.close_code, conn.closed_by = True, code, by
                self._links.pop(conn.id, None)
                self._changed.notify_all()

    def _on_frame(self, conn: SocketConnection, link: Link, frame: websocket.Frame) -> None:
        if frame.opcode == websocket.PING:
            with self._changed:
                conn.pings += 1
            self._send(link, websocket.PONG, frame.payload)
        elif frame.opcode == websocket.PONG:
            with self._changed:
                conn.pongs += 1
                self._changed.notify_all()
        elif frame.opcode == websocket.TEXT:
            self._on_text(conn, frame.payload)
        else:
            with self._changed:
                conn.other_messages.append(frame.payload)

    def _send(self, link: Link, opcode: int, payload: bytes, *, closing: bool = False) -> bool:
        with link.send_lock:
            if link.close_sent:
                return False
            try:
                link.sock.sendall(websocket.encode_frame(opcode, payload))
            except OSError:
                return False
            if closing:
                link.close_sent = True
            return True

    # -- what tests do ------------------------------------------------------------------------

    def disconnect(
        self, reason: str = "refresh_requested", *, connection: int | None = None
    ) -> list[int]:
        """Tell the app's open connections (or one) to reconnect; the ids told.

        Slack's reasons: ``warning`` (closing soon), ``refresh_requested`` (reconnect now),
        ``link_disabled`` (Socket Mode was turned off for the app).
        """
        with self._changed:
            told = [
                c
                for c in self._connections.values()
                if not c.closed and c.disconnect_reason is None and connection in (None, c.id)
            ]
            for conn in told:
                conn.disconnect_reason = reason
            links = [(c.id, self._links.get(c.id)) for c in told]
            self._changed.notify_all()
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": LINK_HOST}}
        for _, link in links:
            if link is not None:
                self._send(link, websocket.TEXT, json.dumps(message).encode())
        return [conn_id for conn_id, _ in links]

    def close(self, code: int = websocket.GOING_AWAY, *, connection: int | None = None) -> None:
        """Close the open connections (or one) with a close frame, as Slack ends a link."""
        with self._changed:
            links = [link for conn_id, link in self._links.items() if connection in (None, conn_id)]
        for link in links:
            self._send(link, websocket.CLOSE, websocket.close_payload(code), closing=True)

    def ping(self, payload: bytes = b"slack") -> None:
        """Ping every open connection (the app must pong)."""
        with self._changed:
            links = list(self._links.values())
        for link in links:
            self._send(link, websocket.PING, payload)

    @property
    def connections(self) -> list[SocketConnection]:
        with self._changed:
            return [copy.deepcopy(c) for c in self._connections.values()]

    def _wait(self, predicate: Callable[[], T | None], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate()
                if result is not None:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"fake Socket Mode: {what} within {timeout} s")
                self._changed.wait(min(remaining, 0.1))

    def wait_connected(self, *, newer_than: int = 0, timeout: float = 10.0) -> SocketConnection:
        """The newest connection ready for envelopes, once there is one newer than that id."""

        def ready() -> SocketConnection | None:
            usable = [c for c in self._connections.values() if c.usable and c.id > newer_than]
            return copy.deepcopy(max(usable, key=lambda c: c.id)) if usable else None

        return self._wait(ready, timeout, "no connection was ready")
