"""A local fake Slack for debtpulse's end-to-end tests and ``debtpulse demo``.

Two halves, standard library and ``slack_sdk`` only:

* ``FakeSlack`` — the Slack Web API on 127.0.0.1 (``fake_slack``, ``server``, ``api_*``),
  with Block Kit validation (``blockkit``), a per-channel posting rate and injected
  failures (``faults``), and a record of everything (``records``, ``state``);
* ``SlackDriver`` — Slack's requests to the bot's real endpoint, correctly signed
  (``driver``, ``transport``, ``payloads``), clicking what the fake shows (``finder``).

The workspace (users, channels, user groups, tokens) is set up in code (``workspace``);
time can be driven by hand (``clock.ManualClock``).
"""

from bot.sandbox.clock import Clock, ManualClock
from bot.sandbox.driver import SlackDriver
from bot.sandbox.fake_slack import FakeSlack
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
from bot.sandbox.transport import DriverResponse, SlackTimeoutError, Tamper, sign
from bot.sandbox.workspace import (
    BOT_TOKEN,
    BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    DEFAULT_USER_ID,
    TEAM_ID,
    Workspace,
)

__all__ = [
    "BOT_TOKEN",
    "BOT_USER_ID",
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_USER_ID",
    "TEAM_ID",
    "BlockRejection",
    "Call",
    "Clock",
    "DriverResponse",
    "Ephemeral",
    "FakeSlack",
    "Found",
    "ManualClock",
    "Message",
    "ResponseUrlPost",
    "SlackDriver",
    "SlackTimeoutError",
    "Tamper",
    "UploadedFile",
    "ViewRecord",
    "Workspace",
    "sign",
]
