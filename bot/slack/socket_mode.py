"""Socket Mode's connection: Bolt's built-in handler, without a stall at each refresh.

Slack asks a Socket Mode app to reconnect every few hours (``disconnect``,
``refresh_requested``). slack_sdk's built-in client (3.x) opens the new connection first, then
closes the old one — and that close waits for the old connection's reader, blocked in a
``recv`` with a 3-second timeout, while holding the lock every acknowledgement is sent
under. For about 3 s after each refresh nothing is acknowledged, so a click or command
arriving then misses Slack's 3-second window and the person sees an error.

Here the old connection's socket is shut down before it is closed: the reader wakes at once
and the switch takes milliseconds (``tests/e2e/test_socket_mode.py`` shows it against the
fake Slack, which keeps Slack's 3 s).

The first connection's refusal (a wrong ``SLACK_APP_TOKEN``) is raised for ``debtpulse socket``
to say in one line; slack_sdk's own log of it is left out.
"""

from __future__ import annotations

import contextlib
import logging
import socket

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler as BoltSocketModeHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.builtin.connection import Connection

PING_INTERVAL_S = 10  # Bolt's default


def _close_promptly(connection: Connection) -> None:
    """Make ``connection.close()`` shut its socket down first, waking its reader."""
    close = connection.close

    def close_promptly() -> None:
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed by the peer
                sock.shutdown(socket.SHUT_RDWR)
        close()

    connection.close = close_promptly  # type: ignore[method-assign]


class PromptRefreshClient(SocketModeClient):
    """slack_sdk's built-in Socket Mode client whose connections close without the stall."""

    def connect(self) -> None:
        super().connect()
        if self.current_session is not None:
            _close_promptly(self.current_session)


class _RefusalReportedByCaller(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to retrieve WSS URL")


class SocketModeHandler(BoltSocketModeHandler):
    """Bolt's built-in Socket Mode handler, on :class:`PromptRefreshClient`."""

    def __init__(self, app: App, app_token: str) -> None:
        # What Bolt's __init__ does, with the client above: calling it would also start a
        # second client's threads.
        self.app = app
        self.app_token = app_token
        self.client = PromptRefreshClient(
            app_token=app_token,
            logger=app.logger,
            web_client=app.client,
            proxy=app.client.proxy,
            ping_interval=PING_INTERVAL_S,
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

    def connect(self) -> None:
        """Open the first connection; a refusal raises ``SlackApiError`` without a log line."""
        quiet = _RefusalReportedByCaller()
        self.client.logger.addFilter(quiet)
        try:
            super().connect()
        finally:
            self.client.logger.removeFilter(quiet)
