"""A local fake Slack for debtpulse's end-to-end tests and ``debtpulse demo``.

Two halves, standard library and ``slack_sdk`` only:

* ``FakeSlack`` — the Slack Web API on 127.0.0.1 (``fake_slack``, ``server``, ``api_*``),
  with Block Kit validation (``blockkit``), Slack's rate limits (each method's tier, and
  ``chat.postMessage`` per channel and per workspace) and injected failures (``faults``),
  and a record of everything (``records``, ``state``);
* ``SlackDriver`` — Slack's requests to the bot's real endpoint, correctly signed
  (``driver``, ``transport``, ``payloads``), clicking what the fake shows (``finder``);
  ``SocketModeDriver`` sends the same requests as Socket Mode envelopes (``socket_driver``).

An app in Socket Mode connects through ``apps.connections.open`` to the fake's WebSocket
(``fake_socket_mode``, ``socket_links``, ``socket_records``, ``websocket``): hello,
envelopes, acknowledgements, retries of unacknowledged events, ``disconnect`` and
reconnects (``FakeSlack.socket_mode``).

The workspace (users, channels, user groups, tokens) is set up in code (``workspace``);
a fake holds several (``FakeSlack.add_workspace``, ``tenancy``), each with its own team,
people, channels, tokens and rate limits. Time can be driven by hand (``clock.ManualClock``).
"""

from bot.sandbox.clock import Clock, ManualClock
from bot.sandbox.driver import SlackDriver
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.fake_socket_mode import FakeSocketMode
from bot.sandbox.finder import Found
from bot.sandbox.records import (
    BlockRejection,
    Call,
    Ephemeral,
    Message,
    ResponseUrlPost,
    UploadedFile,
    ViewRecord,
)
from bot.sandbox.socket_driver import SocketModeDriver
from bot.sandbox.socket_records import Envelope, SocketConnection
from bot.sandbox.transport import DriverResponse, SlackTimeoutError, Tamper, sign
from bot.sandbox.workspace import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    DEFAULT_USER_ID,
    TEAM_ID,
    Workspace,
)

__all__ = [
    "APP_TOKEN",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_USER_ID",
    "TEAM_ID",
    "BlockRejection",
    "Call",
    "Clock",
    "DriverResponse",
    "Envelope",
    "Ephemeral",
    "FakeSlack",
    "FakeSocketMode",
    "Found",
    "ManualClock",
    "Message",
    "ResponseUrlPost",
    "SlackDriver",
    "SlackTimeoutError",
    "SocketConnection",
    "SocketModeDriver",
    "Tamper",
    "UploadedFile",
    "ViewRecord",
    "Workspace",
    "sign",
]
