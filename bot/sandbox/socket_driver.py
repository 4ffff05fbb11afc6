"""``SocketModeDriver``: ``SlackDriver``'s requests, delivered over the fake's Socket Mode.

The same slash commands, clicks, modal submissions and events, each sent to the app
connected through ``apps.connections.open`` as an envelope, the acknowledgement awaited on
the WebSocket and — as the HTTP driver does with the HTTP answer — shown where Slack shows
it::

    driver = SocketModeDriver(slack, default_user="U0LEAD")
    driver.slash(text="poll send weekly")
    driver.click_button(action_id="poll_vote_3", user="U0USER")
    driver.app_home_opened("U0USER")

Nothing is signed in Socket Mode, so there is nothing to tamper with.
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qsl

from bot.sandbox.driver import SlackDriver
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.records import JsonDict
from bot.sandbox.socket_records import EVENTS_API, INTERACTIVE, SLASH_COMMANDS
from bot.sandbox.transport import FORM, SLACK_TIMEOUT, DriverResponse, Tamper
from bot.sandbox.workspace import DEFAULT_CHANNEL_ID, DEFAULT_USER_ID


def envelope_for(body: str, content_type: str) -> tuple[str, JsonDict]:
    """The Socket Mode envelope type and payload for what Slack would POST over HTTP."""
    if content_type == FORM:
        form = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" in form:
            return INTERACTIVE, json.loads(form["payload"])
        return SLASH_COMMANDS, form
    payload = json.loads(body)
    if payload.get("type") != "event_callback":
        raise ValueError(f"Socket Mode delivers no {payload.get('type')!r} request")
    return EVENTS_API, payload


class SocketModeDriver(SlackDriver):
    """Sends what Slack would send, as Socket Mode envelopes; reads what the fake shows."""

    def __init__(
        self,
        fake: FakeSlack,
        *,
        timeout: float = SLACK_TIMEOUT,
        raise_on_timeout: bool = False,
        default_user: str = DEFAULT_USER_ID,
        default_channel: str = DEFAULT_CHANNEL_ID,
    ) -> None:
        super().__init__(
            "socket-mode",
            "",
            fake,
            timeout=timeout,
            raise_on_timeout=raise_on_timeout,
            default_user=default_user,
            default_channel=default_channel,
        )
        self.socket_mode = fake.socket_mode
        self.last_envelope_id: str | None = None

    def send(
        self,
        body: str,
        *,
        content_type: str,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        tamper: Tamper | None = None,
    ) -> DriverResponse:
        """Push ``body`` as an envelope and wait (``timeout``) for its acknowledgement.

        ``retry_num`` becomes the envelope's ``retry_attempt``. The answer is 200 with the
        acknowledgement's payload as JSON (empty without one), or timed out.
        """
        if tamper is not None:
            raise ValueError("Socket Mode requests are not signed: there is nothing to tamper")
        self.last_sent = (body, content_type)
        kind, payload = envelope_for(body, content_type)
        started = time.monotonic()
        envelope = self.socket_mode.push(
            kind,
            payload,
            retry_attempt=retry_num,
            retry_reason=retry_reason if retry_num is not None else None,
        )
        self.last_envelope_id = envelope.envelope_id
        try:
            settled = self.socket_mode.wait_for_ack(envelope.envelope_id, timeout=self.timeout)
        except TimeoutError as exc:
            return self._timed_out(started, exc)
        if not settled.acked:
            return self._timed_out(started, None)
        ack = settled.ack_payload
        text = json.dumps(ack, ensure_ascii=False) if ack else ""
        return DriverResponse(200, {}, text, time.monotonic() - started)
