"""The fake's Socket Mode, driven by slack_sdk's own built-in client: tokens, tickets, hello,
envelopes and acknowledgements, retries of what was not acknowledged, disconnect, close."""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import socket
import struct
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.sandbox import (
    APP_TOKEN,
    BOT_TOKEN,
    FakeSlack,
    ManualClock,
    SocketModeDriver,
    Tamper,
    websocket,
)
from bot.sandbox.socket_records import EXPIRED, RETRIED
from bot.sandbox.state import SLACK_TIERS
from tests.sandbox.test_errors import error, refusal

FAST_TIERS = {**SLACK_TIERS, "tier1": 600.0}  # reconnect as often as a test needs
EVENT = {"type": "event_callback", "event_id": "Ev0SM1", "event": {"type": "app_home_opened"}}
Listener = Callable[[SocketModeClient, SocketModeRequest], None]


def ack_all(client: SocketModeClient, request: SocketModeRequest) -> None:
    payload = {"text": "seen"} if request.accepts_response_payload else None
    client.send_socket_mode_response(
        SocketModeResponse(envelope_id=request.envelope_id, payload=payload)
    )


@pytest.fixture
def socket_slack() -> Iterator[FakeSlack]:
    with FakeSlack(tier_rates=FAST_TIERS, ack_timeout=10.0) as fake:
        yield fake


@pytest.fixture
def connect(socket_slack: FakeSlack) -> Iterator[Callable[..., SocketModeClient]]:
    """Connect slack_sdk's built-in client to the fake, acknowledging with ``listener``."""
    clients: list[SocketModeClient] = []

    def connected(listener: Listener = ack_all, **options: object) -> SocketModeClient:
        web = WebClient(base_url=socket_slack.base_url, retry_handlers=[])
        client = SocketModeClient(app_token=APP_TOKEN, web_client=web, **options)
        client.socket_mode_request_listeners.append(listener)
        clients.append(client)
        client.connect()
        socket_slack.socket_mode.wait_connected()
        return client

    yield connected
    for client in clients:
        # slack_sdk's close waits for its reader's 3-second recv timeout unless woken
        session = client.current_session
        if session is not None and session.sock is not None:
            with contextlib.suppress(OSError):
                session.sock.shutdown(socket.SHUT_RDWR)
        client.close()


# -- apps.connections.open --------------------------------------------------------------------


def test_an_app_level_token_gets_a_one_time_websocket_url(socket_slack: FakeSlack) -> None:
    answer = WebClient(base_url=socket_slack.base_url).apps_connections_open(app_token=APP_TOKEN)
    url = urlsplit(answer["url"])
    assert url.scheme == "ws" and url.netloc == urlsplit(socket_slack.root_url).netloc
    assert url.path == "/link/" and "ticket=" in url.query and "app_id=A0DEBTPULSE" in url.query


def test_connections_open_refuses_what_slack_refuses(socket_slack: FakeSlack) -> None:
    def opened_with(token: str) -> str:
        return error(
            WebClient(base_url=socket_slack.base_url).apps_connections_open, app_token=token
        )

    assert opened_with(BOT_TOKEN) == "not_allowed_token_type"  # the bot token by mistake
    assert opened_with("xapp-1-A0DEBTPULSE-1-revoked") == "invalid_auth"
    socket_slack.workspace.add_app_token("xapp-no-scope", scopes=())
    body = refusal(
        WebClient(base_url=socket_slack.base_url).apps_connections_open, app_token="xapp-no-scope"
    )
    assert (body["error"], body["needed"]) == ("missing_scope", "connections:write")
    # an app-level token is for Socket Mode only
    as_app = WebClient(token=APP_TOKEN, base_url=socket_slack.base_url)
    assert error(as_app.chat_postMessage, channel="C0GENERAL", text="x") == (
        "not_allowed_token_type"
    )


def test_connections_open_is_tier_1() -> None:
    clock = ManualClock(start=1_750_000_000.0)
    with FakeSlack(clock=clock) as fake:
        client = WebClient(base_url=fake.base_url, retry_handlers=[])
        assert client.apps_connections_open(app_token=APP_TOKEN)["ok"]
        body = refusal(client.apps_connections_open, app_token=APP_TOKEN)
        assert body["error"] == "ratelimited"
        assert fake.calls_to("apps.connections.open")[-1].status == 429
        clock.advance(60)
        assert client.apps_connections_open(app_token=APP_TOKEN)["ok"]


def _handshake(slack: FakeSlack, query: str, **headers: str) -> int:
    """The HTTP status a WebSocket handshake for ``/link/?query`` is answered with."""
    host, port = urlsplit(slack.root_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sent = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": key,
        "Sec-WebSocket-Version": "13",
    }
    try:
        connection.request("GET", f"/link/?{query}", headers=sent | headers)
        answer = connection.getresponse()
        if answer.status != 101:
            answer.read()
        return answer.status
    finally:
        connection.close()


def test_a_ticket_opens_one_connection_and_a_handshake_must_be_one(
    socket_slack: FakeSlack,
) -> None:
    url = WebClient(base_url=socket_slack.base_url).apps_connections_open(app_token=APP_TOKEN)[
        "url"
    ]
    query = urlsplit(url).query
    assert _handshake(socket_slack, query) == 101
    assert _handshake(socket_slack, query) == 401  # used up
    assert _handshake(socket_slack, "ticket=made-up") == 401
    assert _handshake(socket_slack, query, Upgrade="h2c") == 400
    assert socket_slack.socket_mode.refused == [
        "invalid_ticket",
        "invalid_ticket",
        "Upgrade: websocket is missing",
    ]


# -- the connection ---------------------------------------------------------------------------


def test_hello_then_envelopes_and_acknowledgements(
    socket_slack: FakeSlack, connect: Callable[..., SocketModeClient]
) -> None:
    seen: list[dict[str, object]] = []
    client = connect(on_message_listeners=[lambda raw: seen.append(json.loads(raw))])
    hub = socket_slack.socket_mode
    command = hub.push("slash_commands", {"command": "/debt", "text": "help"})
    event = hub.push("events_api", EVENT)
    click = hub.push("interactive", {"type": "block_actions", "actions": []})
    assert hub.wait_for_ack(command.envelope_id).ack_payload == {"text": "seen"}
    assert hub.wait_for_ack(event.envelope_id).acked
    assert hub.wait_for_ack(click.envelope_id).ack_payload is None  # accepts no response
    hello, *envelopes = seen
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": "A0DEBTPULSE"}
    as_sent = {e["type"]: e for e in envelopes}
    assert as_sent["events_api"]["retry_attempt"] == 0
    assert as_sent["events_api"]["retry_reason"] == ""
    assert "retry_attempt" not in as_sent["slash_commands"]  # Slack retries only events
    assert as_sent["slash_commands"]["accepts_response_payload"] is True
    assert as_sent["interactive"]["accepts_response_payload"] is False
    assert client.is_connected()


def test_the_fake_answers_pings_and_pings_too(
    socket_slack: FakeSlack, connect: Callable[..., SocketModeClient]
) -> None:
    connect(ping_interval=0.2)
    hub = socket_slack.socket_mode
    socket_slack.wait_for(lambda: hub.connections[-1].pings >= 2, timeout=5)  # the client's
    hub.ping()
    socket_slack.wait_for(lambda: hub.connections[-1].pongs >= 1, timeout=5)  # its answer


def test_an_event_not_acknowledged_in_time_comes_again_and_an_interaction_does_not(
    socket_slack: FakeSlack, connect: Callable[..., SocketModeClient]
) -> None:
    attempts: list[tuple[str, int | None, str | None]] = []

    def ack_retries_only(client: SocketModeClient, request: SocketModeRequest) -> None:
        attempts.append((request.type, request.retry_attempt, request.retry_reason))
        if request.retry_attempt:
            ack_all(client, request)

    connect(ack_retries_only)
    hub = socket_slack.socket_mode
    hub.ack_timeout = 0.5
    event = hub.push("events_api", EVENT)
    click = hub.push("interactive", {"type": "block_actions", "actions": []})
    again = hub.wait_for_ack(event.envelope_id)
    assert again.acked and again.retry_of == event.envelope_id and again.payload == EVENT
    assert hub.envelope(event.envelope_id).state == RETRIED
    assert hub.wait_for_ack(click.envelope_id).state == EXPIRED
    assert sorted(attempts, key=str) == sorted(
        [("events_api", 0, ""), ("events_api", 1, "timeout"), ("interactive", None, None)],
        key=str,
    )


def test_disconnect_makes_the_client_reconnect_and_nothing_is_lost(
    socket_slack: FakeSlack, connect: Callable[..., SocketModeClient]
) -> None:
    connect()
    hub = socket_slack.socket_mode
    first = hub.wait_connected()
    before = [hub.push("interactive", {"type": "block_actions", "n": n}) for n in range(3)]
    assert hub.disconnect("refresh_requested") == [first.id]
    after = [hub.push("interactive", {"type": "block_actions", "n": n}) for n in range(3, 6)]
    second = hub.wait_connected(newer_than=first.id, timeout=10)
    settled = [hub.wait_for_ack(e.envelope_id, timeout=15) for e in before + after]
    assert all(e.acked for e in settled)
    assert {e.connection for e in settled[:3]} == {first.id}
    assert {e.connection for e in settled[3:]} == {second.id}  # none sent on the one told
    assert len(socket_slack.calls_to("apps.connections.open")) == 2
    socket_slack.wait_for(lambda: hub.connections[0].closed, timeout=10)
    told = hub.connections[0]
    assert told.disconnect_reason == "refresh_requested" and told.closed_by == "app"


def test_slack_closing_the_connection_is_a_close_frame(
    socket_slack: FakeSlack, connect: Callable[..., SocketModeClient]
) -> None:
    connect(ping_interval=0.5)  # slack_sdk notices a closed session when it next checks
    hub = socket_slack.socket_mode
    first = hub.wait_connected()
    hub.close(websocket.GOING_AWAY)
    hub.wait_connected(newer_than=first.id, timeout=15)
    closed = next(c for c in hub.connections if c.id == first.id)
    assert closed.closed and closed.closed_by == "slack"


def _raw_connection(slack: FakeSlack) -> socket.socket:
    url = WebClient(base_url=slack.base_url).apps_connections_open(app_token=APP_TOKEN)["url"]
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101")
    assert websocket.accept_key(key).encode() in head
    return sock


def _masked(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", (0x80 if fin else 0) | opcode, 0x80 | len(payload)) + mask + body


def test_fragments_are_one_message_and_an_unmasked_frame_is_a_protocol_error(
    socket_slack: FakeSlack,
) -> None:
    hub = socket_slack.socket_mode
    sock = _raw_connection(socket_slack)
    with sock:
        envelope = hub.push("events_api", EVENT)
        ack = json.dumps({"envelope_id": envelope.envelope_id}).encode()
        sock.sendall(_masked(websocket.TEXT, ack[:10], fin=False))
        sock.sendall(_masked(websocket.CONTINUATION, ack[10:]))
        assert hub.wait_for_ack(envelope.envelope_id).acked
        sock.sendall(struct.pack("!BB", 0x81, 2) + b"{}")  # a client must mask
        socket_slack.wait_for(lambda: hub.connections[-1].closed, timeout=5)
    assert hub.connections[-1].close_code == websocket.PROTOCOL_ERROR


def test_accept_key_is_rfc_6455s() -> None:
    assert websocket.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


# -- the driver over Socket Mode --------------------------------------------------------------


def test_the_socket_mode_driver_shows_a_commands_acknowledgement(
    socket_slack: FakeSlack, connect: Callable[..., SocketModeClient]
) -> None:
    def answer(client: SocketModeClient, request: SocketModeRequest) -> None:
        text = f"you said {request.payload['text']}"
        response = SocketModeResponse(envelope_id=request.envelope_id, payload={"text": text})
        client.send_socket_mode_response(response)

    connect(answer)
    driver = SocketModeDriver(socket_slack, default_user="U0USER")
    response = driver.slash(text="help")
    assert response.ok and json.loads(response.body_text) == {"text": "you said help"}
    shown = socket_slack.ephemerals(user="U0USER")
    assert [e.text for e in shown] == ["you said help"]
    envelope = socket_slack.socket_mode.envelope(driver.last_envelope_id or "")
    assert envelope.type == "slash_commands" and envelope.payload["command"] == "/debt"
    with pytest.raises(ValueError, match="not signed"):
        driver.slash(text="help", tamper=Tamper(secret="x"))


def test_an_unacknowledged_request_times_the_driver_out(
    socket_slack: FakeSlack, connect: Callable[..., SocketModeClient]
) -> None:
    connect(lambda client, request: None)
    driver = SocketModeDriver(socket_slack, timeout=0.5)
    response = driver.slash(text="help")
    assert response.timed_out and not response.ok
