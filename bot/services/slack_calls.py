"""Web API calls the scheduled work makes: the client, what an error means, one guarded call.

Polls and digests are posted with the single-workspace token. A call's failure (after the
client's own retry handlers) is logged and reported, never raised into the caller's other work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.slack.client import make_client

logger = logging.getLogger(__name__)
#: Far longer than one send can take (a fan-out's send is one call with a 10 s timeout and
#: no retry inside): a delivery claimed longer ago was interrupted.
SEND_TIMEOUT = timedelta(minutes=10)
#: Errors after which a recipient is skipped for good (recorded, never retried).
PERMANENT = {
    "cannot_dm_bot",
    "user_disabled",
    "user_not_found",
    "user_not_visible",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "account_inactive",
    "invalid_auth",
    "token_revoked",
    "missing_scope",
    "not_allowed_token_type",
    "invalid_blocks",
    "msg_too_long",
    "restricted_action",
    "invalid_user_combination",
}
#: A delivery that keeps failing for other reasons is given up after this many tries.
MAX_TRIES = 10


@lru_cache(maxsize=4096)  # a client per workspace token (rotated tokens age out)
def _client_for(base_url: str, token: str, retries: bool = True) -> WebClient:
    return make_client(base_url=base_url, token=token, retries=retries)


class NoBotToken(LookupError):
    """Scheduled and manual posting (polls, digests) needs the single-workspace token."""


def slack_client(runtime: Runtime, *, retries: bool = True) -> WebClient:
    """The client scheduled and manual posting use; ``retries=False``: one without retry
    handlers, for a caller that handles each refusal itself (the fan-out)."""
    token = runtime.settings.slack_bot_token
    if token is None:
        raise NoBotToken(
            "polls and digests are posted with SLACK_BOT_TOKEN (a single-workspace install); "
            "it is not set"
        )
    return _client_for(runtime.settings.slack_api_url, token.get_secret_value(), retries)


def slack_error(exc: SlackApiError | OSError) -> str:
    """What went wrong, for the log: Slack's error code, or the kind of connection error."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error", "unknown_error"))
    return type(exc).__name__


def try_call(what_failed: str, call: Callable[[], object]) -> str | None:
    """Make one Web API call (after the client's own retries); a failure is logged as
    ``what_failed (error)`` and returned, and does not stop the caller's other work."""
    try:
        call()
    except (SlackApiError, OSError) as exc:
        error = slack_error(exc)
        logger.warning("%s (%s)", what_failed, error, extra={"slack_error": error})
        return error
    return None


def attempt(what_failed: str, call: Callable[[], object]) -> bool:
    """:func:`try_call`, True when the call went through."""
    return try_call(what_failed, call) is None
