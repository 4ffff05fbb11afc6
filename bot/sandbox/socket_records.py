"""What the fake's Socket Mode sends and records: envelopes and connections.

An envelope is one request for the app (``slash_commands``, ``interactive``, ``events_api``)
and what became of it; a connection is one WebSocket the app opened, as the fake saw it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.records import JsonDict

SLASH_COMMANDS, INTERACTIVE, EVENTS_API = "slash_commands", "interactive", "events_api"
ENVELOPE_TYPES = frozenset({SLASH_COMMANDS, INTERACTIVE, EVENTS_API})
PENDING, SENT, ACKED, EXPIRED, RETRIED = "pending", "sent", "acked", "expired", "retried"
RETRY_REASON = "timeout"
MAX_RETRIES = 3
TICKET_TTL = 30.0
LINK_HOST = "applink-fake.slack.invalid"
_ACCEPTS_RESPONSE = frozenset({"view_submission", "block_suggestion"})


@dataclass
class Envelope:
    """One request for the app over Socket Mode, and what became of it."""

    envelope_id: str
    type: str
    payload: JsonDict
    accepts_response_payload: bool
    retry_attempt: int | None
    retry_reason: str | None
    deadline: float
    """``time.monotonic()`` by which Slack wants the acknowledgement."""
    state: str = PENDING
    """``pending`` (waiting for a connection), ``sent``, then ``acked``, ``expired`` (never
    acknowledged in time) or ``retried`` (an Events API envelope sent again as ``retried_as``)."""
    connection: int | None = None
    """The connection it was sent on."""
    acked_on: int | None = None
    """The connection the acknowledgement came on (any of the app's)."""
    ack_payload: JsonDict | None = None
    retry_of: str | None = None
    retried_as: str | None = None
    late_acks: int = 0

    @property
    def acked(self) -> bool:
        return self.state == ACKED

    def message(self) -> JsonDict:
        """The envelope as sent on the WebSocket."""
        out: JsonDict = {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.retry_attempt is not None:
            out["retry_attempt"] = self.retry_attempt
            out["retry_reason"] = self.retry_reason or ""
        return out


@dataclass
class SocketConnection:
    """One WebSocket the app opened, as the fake saw it."""

    id: int
    opened_at: float
    ready: bool = False
    """``hello`` was sent: envelopes may be sent on it."""
    disconnect_reason: str | None = None
    """Told ``disconnect`` with this reason: nothing new is sent on it."""
    closed: bool = False
    close_code: int | None = None
    """The close frame's code; None when the stream ended without one."""
    closed_by: str | None = None
    """``app`` or ``slack``."""
    pings: int = 0
    pongs: int = 0
    other_messages: list[Any] = field(default_factory=list)
    """Text messages from the app that were not acknowledgements."""

    @property
    def usable(self) -> bool:
        return self.ready and not self.closed and self.disconnect_reason is None


def default_accepts_response(kind: str, payload: JsonDict) -> bool:
    """Slack takes a response payload in the ack for commands, view submissions, options."""
    if kind == SLASH_COMMANDS:
        return True
    return kind == INTERACTIVE and payload.get("type") in _ACCEPTS_RESPONSE
