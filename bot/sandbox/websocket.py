"""The server side of RFC 6455 WebSockets, standard library only, for the Socket Mode fake.

Enough of the protocol for a Socket Mode client: the opening handshake, text frames (also
fragmented), ping and pong, and the closing handshake. Client frames must be masked and
server frames are not, as the RFC requires; a frame breaking the rules ends the connection
with close code 1002.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass
from email.message import Message
from typing import BinaryIO

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CONTROL = frozenset({CLOSE, PING, PONG})
KNOWN = frozenset({CONTINUATION, TEXT, BINARY, *CONTROL})

NORMAL_CLOSURE = 1000
GOING_AWAY = 1001
PROTOCOL_ERROR = 1002
MAX_MESSAGE = 16 * 1024 * 1024
"""The largest message accepted; Slack's own limit on a Socket Mode message is far lower."""


class ProtocolError(Exception):
    """The peer broke RFC 6455; the connection is closed with code 1002."""


class ConnectionClosed(Exception):
    """The peer went away without a closing handshake (end of stream)."""


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key``."""
    digest = hashlib.sha1((key.strip() + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def handshake_problem(method: str, headers: Message[str, str]) -> str | None:
    """Why an HTTP request is not a valid WebSocket opening handshake, or None if it is.

    ``headers`` as ``http.server`` parses them (names case-insensitive)."""
    if method != "GET":
        return "a WebSocket handshake is a GET"
    if (headers.get("Upgrade") or "").strip().lower() != "websocket":
        return "Upgrade: websocket is missing"
    connection = {p.strip().lower() for p in (headers.get("Connection") or "").split(",")}
    if "upgrade" not in connection:
        return "Connection: Upgrade is missing"
    if (headers.get("Sec-WebSocket-Version") or "").strip() != "13":
        return "Sec-WebSocket-Version must be 13"
    key = (headers.get("Sec-WebSocket-Key") or "").strip()
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError(key)
    except ValueError:
        return "Sec-WebSocket-Key must be 16 bytes in base64"
    return None


def encode_frame(opcode: int, payload: bytes = b"") -> bytes:
    """One unmasked, final frame (servers never mask)."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload


def close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode("utf-8")[:123]


@dataclass(frozen=True)
class Frame:
    opcode: int
    payload: bytes
    fin: bool = True


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise ConnectionClosed("the peer closed the stream")
        data += chunk
    return data


def read_frame(stream: BinaryIO) -> Frame:
    """The next frame from a client, unmasked."""
    first, second = _read_exactly(stream, 2)
    fin, opcode = bool(first & 0x80), first & 0x0F
    if first & 0x70:
        raise ProtocolError("reserved bits set without an extension")
    if opcode not in KNOWN:
        raise ProtocolError(f"unknown opcode {opcode:#x}")
    if not second & 0x80:
        raise ProtocolError("a client frame must be masked")
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", _read_exactly(stream, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", _read_exactly(stream, 8))
    if opcode in CONTROL and (length > 125 or not fin):
        raise ProtocolError("a control frame must be final and at most 125 bytes")
    if length > MAX_MESSAGE:
        raise ProtocolError(f"a frame of {length} bytes")
    mask = _read_exactly(stream, 4)
    masked = _read_exactly(stream, length)
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(masked))
    return Frame(opcode=opcode, payload=payload, fin=fin)


class MessageReader:
    """Whole messages from a client's frames: text reassembled, control frames as they come."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self._parts: list[bytes] = []
        self._opcode: int | None = None

    def next(self) -> Frame:
        """The next control frame, or the next complete data message (as one final frame)."""
        while True:
            frame = read_frame(self.stream)
            if frame.opcode in CONTROL:
                return frame
            if frame.opcode == CONTINUATION:
                if self._opcode is None:
                    raise ProtocolError("a continuation frame without a message to continue")
            elif self._opcode is not None:
                raise ProtocolError("a new message before the last one was finished")
            else:
                self._opcode = frame.opcode
            self._parts.append(frame.payload)
            if sum(len(p) for p in self._parts) > MAX_MESSAGE:
                raise ProtocolError("a message over the size limit")
            if frame.fin:
                opcode, payload = self._opcode, b"".join(self._parts)
                self._opcode, self._parts = None, []
                return Frame(opcode=opcode, payload=payload)
