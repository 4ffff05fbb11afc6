"""How debtpulse's Web API calls went, counted per method and outcome for ``GET /metrics``.

Every request the client (:mod:`bot.slack.client`) makes is counted once, by what came back:
``ok``; ``ratelimited`` (a 429, retried or not); ``retried`` (a server or connection error the
client's retry handler tried again); ``server_error`` and ``connection_error`` (the last
attempt failed so); or Slack's error code. Labels stay bounded: a method name debtpulse's own
code chose (anything else counts as ``other``), and an error code from :data:`KNOWN_ERRORS`
(anything else counts as ``other``). No label holds a user, a channel or a message.

This sits in the Slack layer so the client can count; the other metrics live in
:mod:`bot.services.telemetry`.
"""

from __future__ import annotations

import re

from prometheus_client import Counter

OK = "ok"
RATELIMITED = "ratelimited"
RETRIED = "retried"
SERVER_ERROR = "server_error"
CONNECTION_ERROR = "connection_error"
OTHER = "other"

#: The Web API error codes counted under their own name (each from Slack's method pages).
KNOWN_ERRORS = frozenset(
    {
        "account_inactive",
        "already_in_channel",
        "cannot_dm_bot",
        "cant_update_message",
        "channel_not_found",
        "edit_window_closed",
        "expired_trigger_id",
        "fatal_error",
        "hash_conflict",
        "internal_error",
        "invalid_arguments",
        "invalid_auth",
        "invalid_blocks",
        "invalid_trigger_id",
        "is_archived",
        "message_not_found",
        "missing_scope",
        "msg_too_long",
        "no_permission",
        "no_text",
        "not_allowed_token_type",
        "not_authed",
        "not_in_channel",
        "request_timeout",
        "restricted_action",
        "service_unavailable",
        "token_expired",
        "token_revoked",
        "too_many_attachments",
        "trigger_expired",
        "user_disabled",
        "user_not_found",
        "user_not_visible",
        "users_not_found",
        "view_too_large",
        "not_found",
        "invalid_user_combination",
        "channel_is_archived",
    }
)

_METHOD = re.compile(r"^[a-z]+(\.[a-zA-Z0-9]+){1,3}$")

SLACK_API_CALLS = Counter(
    "debtpulse_slack_api_calls",
    "Slack Web API requests, by method and by what came back.",
    ["method", "outcome"],
)


def method_label(method: str) -> str:
    """``chat.postMessage`` as it is; a path or anything not shaped like a method: other."""
    name = method.rsplit("/", 1)[-1].split("?", 1)[0]
    return name if _METHOD.match(name) else OTHER


def refusal(status: int | None, error: object) -> str:
    """The outcome of a call Slack refused: HTTP ``status`` and the body's ``error``."""
    if status == 429 or error in ("ratelimited", "rate_limited"):
        return RATELIMITED
    if isinstance(error, str) and error in KNOWN_ERRORS:
        return error
    if status is not None and status >= 500:
        return SERVER_ERROR
    return OTHER


def count(method: str, outcome: str) -> None:
    """One request of ``method`` ended with ``outcome`` (one of this module's outcomes or a
    code of :data:`KNOWN_ERRORS`)."""
    SLACK_API_CALLS.labels(method_label(method), outcome).inc()
