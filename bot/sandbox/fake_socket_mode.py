"""Socket Mode as Slack runs it, for the fake: ``apps.connections.open`` and its WebSocket.

::

    with FakeSlack() as slack:      # the app calls apps.connections.open with its xapp- token
        link = slack.socket_mode.wait_connected()
        envelope = slack.socket_mode.push("events_api", event_callback)
        slack.socket_mode.wait_for_ack(envelope.envelope_id)
        slack.socket_mode.disconnect("refresh_requested")  # the app opens a new connection
        slack.socket_mode.wait_connected(newer_than=link.id)

What Slack does, and so does the fake:

* ``apps.connections.open`` takes an app-level token (``xapp-…`` with ``connections:write``)
  and answers a one-time ``ws://`` URL on the fake's own port (``/link/?ticket=…``);
* a new connection is greeted with ``hello`` (``num_connections``,
  ``connection_info.app_id``, ``debug_info``); pings are answered with pongs;
* a request reaches the app as an envelope (``envelope_id``, ``type``: ``slash_commands``,
  ``interactive`` or ``events_api``, ``payload``, ``accepts_response_payload``; an Events API
  envelope also carries ``retry_attempt`` and ``retry_reason``), sent on the newest
  connection that is ready; with none ready it waits, its time to be acknowledged running;
* the app acknowledges with ``{"envelope_id": …, "payload": …}`` on any of its connections,
  within ``ack_timeout`` (Slack's 3 seconds). An Events API envelope not acknowledged in time
  is sent again as a new envelope with ``retry_attempt`` one higher (at most three retries);
  a slash command or an interaction is not (Slack shows the person an error): it ends
  ``expired``. A late acknowledgement changes nothing;
* ``disconnect(reason)`` sends ``{"type": "disconnect", "reason": …}``: from then on nothing new
  is sent on that connection, and the app is expected to open another; ``close()`` ends
  connections with a close frame.

What the app sent back and when is recorded (``envelopes``, ``connections``). The
connections themselves are ``socket_links``; the records, ``socket_records``.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
import uuid

from bot.sandbox import websocket
from bot.sandbox.records import JsonDict
from bot.sandbox.socket_links import SocketLinks
from bot.sandbox.socket_records import (
    ACKED,
    ENVELOPE_TYPES,
    EVENTS_API,
    EXPIRED,
    MAX_RETRIES,
    PENDING,
    RETRIED,
    RETRY_REASON,
    SENT,
    TICKET_TTL,
    Envelope,
    SocketConnection,
    default_accepts_response,
)
from bot.sandbox.state import ApiRequest, SlackState

log = logging.getLogger(__name__)


def connections_open(state: SlackState, request: ApiRequest) -> JsonDict:
    """``apps.connections.open``: a one-time WebSocket URL (app-level token checked before)."""
    hub: FakeSocketMode = state.socket_mode
    return {"ok": True, "url": hub.new_url()}


class FakeSocketMode(SocketLinks):
    """Slack's side of Socket Mode for one app; reached through ``FakeSlack.socket_mode``."""

    def __init__(
        self,
        state: SlackState,
        *,
        ack_timeout: float = 3.0,
        max_retries: int = MAX_RETRIES,
        ticket_ttl: float = TICKET_TTL,
    ) -> None:
        super().__init__(state, ticket_ttl=ticket_ttl)
        self.ack_timeout = ack_timeout
        self.max_retries = max_retries
        self._envelopes: dict[str, Envelope] = {}
        self._waiting: list[str] = []
        self._deliver_lock = threading.Lock()
        self._sweeper: threading.Thread | None = None

    # -- lifecycle (FakeSlack's) --------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._sweeper = threading.Thread(target=self._sweep, name="fake-socket-mode", daemon=True)
        self._sweeper.start()

    def stop(self) -> None:
        """Stop sweeping and drop every connection (as a vanished server would)."""
        self._drop_links()
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)
            self._sweeper = None

    def reset(self) -> None:
        """Forget envelopes, tickets and closed connections; open connections stay open."""
        with self._changed:
            self._envelopes.clear()
            self._waiting.clear()
            self._forget_links()
            self._changed.notify_all()

    # -- envelopes and acknowledgements -------------------------------------------------------

    def _on_text(self, conn: SocketConnection, data: bytes) -> None:
        try:
            message = json.loads(data.decode("utf-8"))
        except ValueError:
            message = None
        with self._changed:
            envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
            envelope = self._envelopes.get(str(envelope_id)) if envelope_id else None
            if envelope is None or not isinstance(message, dict):
                conn.other_messages.append(message if message is not None else data)
            elif envelope.state in (PENDING, SENT):
                payload = message.get("payload")
                envelope.state, envelope.acked_on = ACKED, conn.id
                envelope.ack_payload = payload if isinstance(payload, dict) else None
            else:
                envelope.late_acks += 1  # after it expired, or a second ack: Slack ignores it
            self._changed.notify_all()

    def _flush(self) -> None:
        """Send the waiting envelopes, in order, on the newest usable connection."""
        with self._deliver_lock:
            with self._changed:
                usable = [c for c in self._connections.values() if c.usable]
                if not usable or not self._waiting:
                    return
                target = max(usable, key=lambda c: c.id)
                link = self._links[target.id]
                batch = [self._envelopes[e] for e in self._waiting]
                self._waiting.clear()
                for envelope in batch:
                    envelope.state, envelope.connection = SENT, target.id
                messages = [json.dumps(e.message()).encode() for e in batch]
                self._changed.notify_all()
            for n, data in enumerate(messages):
                if not self._send(link, websocket.TEXT, data):
                    with self._changed:
                        unsent = [e for e in batch[n:] if e.state == SENT]
                        for e in unsent:
                            e.state, e.connection = PENDING, None
                        self._waiting[:0] = [e.envelope_id for e in unsent]
                        self._changed.notify_all()
                    log.info("fake socket mode: connection %s failed; envelopes wait", target.id)
                    return

    def push(
        self,
        kind: str,
        payload: JsonDict,
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> Envelope:
        """Send the app a request (now, or once a connection is ready); a copy of its record.

        An Events API envelope carries ``retry_attempt`` (0) and ``retry_reason`` (empty)
        unless given; other kinds carry them only when given.
        """
        if kind not in ENVELOPE_TYPES:
            raise ValueError(f"unknown envelope type {kind!r}; one of {sorted(ENVELOPE_TYPES)}")
        if kind == EVENTS_API and retry_attempt is None:
            retry_attempt, retry_reason = 0, retry_reason or ""
        accepts = accepts_response_payload
        if accepts is None:
            accepts = default_accepts_response(kind, payload)
        envelope = Envelope(
            envelope_id=str(uuid.uuid4()),
            type=kind,
            payload=copy.deepcopy(payload),
            accepts_response_payload=accepts,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
            deadline=time.monotonic() + self.ack_timeout,
        )
        with self._changed:
            self._envelopes[envelope.envelope_id] = envelope
            self._waiting.append(envelope.envelope_id)
            snapshot = copy.deepcopy(envelope)
            self._changed.notify_all()
        self._flush()
        return snapshot

    def _sweep(self) -> None:
        """Expire what was not acknowledged in time; send an Events API envelope again."""
        while not self._stop.is_set():
            retried = False
            with self._changed:
                now = time.monotonic()
                open_ = [e.deadline for e in self._envelopes.values() if e.state in (PENDING, SENT)]
                # until the next deadline; any push or ack wakes it sooner
                self._changed.wait(min(max(min(open_) - now, 0.0), 1.0) if open_ else 1.0)
                now = time.monotonic()
                for envelope in list(self._envelopes.values()):
                    if envelope.state not in (PENDING, SENT) or now < envelope.deadline:
                        continue
                    if envelope.envelope_id in self._waiting:
                        self._waiting.remove(envelope.envelope_id)
                    attempt = envelope.retry_attempt or 0
                    if envelope.type == EVENTS_API and attempt < self.max_retries:
                        again = Envelope(
                            envelope_id=str(uuid.uuid4()),
                            type=envelope.type,
                            payload=envelope.payload,
                            accepts_response_payload=envelope.accepts_response_payload,
                            retry_attempt=attempt + 1,
                            retry_reason=RETRY_REASON,
                            deadline=now + self.ack_timeout,
                            retry_of=envelope.envelope_id,
                        )
                        envelope.state, envelope.retried_as = RETRIED, again.envelope_id
                        self._envelopes[again.envelope_id] = again
                        self._waiting.append(again.envelope_id)
                        retried = True
                    else:
                        envelope.state = EXPIRED
                    self._changed.notify_all()
            if retried:
                self._flush()

    # -- what tests read ----------------------------------------------------------------------

    @property
    def envelopes(self) -> list[Envelope]:
        with self._changed:
            return [copy.deepcopy(e) for e in self._envelopes.values()]

    def envelope(self, envelope_id: str) -> Envelope:
        with self._changed:
            return copy.deepcopy(self._envelopes[envelope_id])

    def wait_for_ack(self, envelope_id: str, *, timeout: float = 5.0) -> Envelope:
        """The envelope (or its last retry) once acknowledged or expired."""

        def settled() -> Envelope | None:
            envelope = self._envelopes[envelope_id]
            while envelope.state == RETRIED and envelope.retried_as:
                envelope = self._envelopes[envelope.retried_as]
            return copy.deepcopy(envelope) if envelope.state in (ACKED, EXPIRED) else None

        return self._wait(settled, timeout, f"envelope {envelope_id} was not acknowledged")
