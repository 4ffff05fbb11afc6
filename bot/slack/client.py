"""The Web API client: ``SLACK_API_URL`` and slack_sdk's retry handlers.

slack_sdk's rate-limit handler reads ``Retry-After`` with ``int()``, so a value such as
``"1.5"`` or an HTTP date would raise inside the retry. :class:`SafeRateLimitHandler` reads it
leniently and caps the wait, so a persistent 429 ends in an error the caller can report
instead of a long or endless wait.

Every request is counted for ``GET /metrics`` (:mod:`bot.slack.call_metrics`) by the retry
handlers themselves, since they see every attempt of every client made here — also the
per-request copies Bolt makes of the app's client, which share its handlers: a handler that
retries counts ``ratelimited`` or ``retried``, and :class:`CallCounter`, last in the list,
counts how each other attempt ended and never retries.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.slack import call_metrics

MAX_RETRY_AFTER_S = 30.0
RATE_LIMIT_RETRIES = 3
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2
TIMEOUT_S = 10


def retry_after_seconds(raw: str | None, *, now: float | None = None) -> float:
    """Seconds to wait for a ``Retry-After`` value: a number, an HTTP date, or junk (1 s)."""
    if raw is None:
        return 1.0
    try:
        seconds = float(raw.strip())
    except ValueError:
        try:
            when = parsedate_to_datetime(raw).timestamp()
        except (TypeError, ValueError, IndexError):
            return 1.0
        seconds = when - (time.time() if now is None else now)
    if math.isnan(seconds):
        return 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def retry_after_header(headers: Mapping[str, Any]) -> str | None:
    """The ``Retry-After`` header of a response, whatever its case (a list: its first)."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    value = value[0] if isinstance(value, list) and value else value
    return value if isinstance(value, str) else None


class SafeRateLimitHandler(RateLimitErrorRetryHandler):
    """Waits out a 429 like slack_sdk's handler, but never fails on an odd Retry-After."""

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error or RuntimeError("rate limited without a response")
        call_metrics.count(request.url, call_metrics.RATELIMITED)
        state.next_attempt_requested = True
        time.sleep(retry_after_seconds(retry_after_header(response.headers)) + random.random() / 4)
        state.increment_current_attempt()


class _CountsRetries(RetryHandler):
    """A retry handler that counts each retry it makes as ``retried``."""

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        call_metrics.count(request.url, call_metrics.RETRIED)
        super().prepare_for_next_attempt(
            state=state, request=request, response=response, error=error
        )


class CountedServerErrorRetryHandler(_CountsRetries, ServerErrorRetryHandler):
    """slack_sdk's handler for 500 and 503, counting its retries."""


class CountedConnectionErrorRetryHandler(_CountsRetries, ConnectionErrorRetryHandler):
    """slack_sdk's handler for connection errors, counting its retries."""


def _error_code(response: HttpResponse) -> object:
    """The ``error`` of a response's JSON body (parsed already for a 200, else its bytes)."""
    body = response.body
    if body is None and response.data and response.data.lstrip().startswith(b"{"):
        try:
            body = json.loads(response.data)
        except ValueError:
            body = None
    return body.get("error") if isinstance(body, dict) else None


class CallCounter(RetryHandler):
    """Last of the handlers: counts how an attempt that no handler retries ended, and never
    retries itself (a 200 with ``"ok": false`` is Slack's refusal, counted by its code)."""

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None:
            outcome = call_metrics.CONNECTION_ERROR
        elif response.status_code == 200 and (response.body or {}).get("ok", True) is not False:
            outcome = call_metrics.OK
        else:
            outcome = call_metrics.refusal(response.status_code, _error_code(response))
        call_metrics.count(request.url, outcome)
        return False


def retry_handlers() -> list[RetryHandler]:
    return [
        SafeRateLimitHandler(max_retry_count=RATE_LIMIT_RETRIES),
        CountedServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        CountedConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
        CallCounter(),
    ]


def make_client(
    *, base_url: str, token: str | None = None, retries: bool = True, **kwargs: Any
) -> WebClient:
    """A WebClient for ``base_url`` (``SLACK_API_URL``) with the retry handlers attached.

    ``retries=False``: no retry at all (only the counting), for a caller that handles each
    429, server error and connection error itself (the poll fan-out: a handler waiting out
    ``Retry-After`` would hold its thread, and a 429 on one message must not delay the others).
    """
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=kwargs.pop("timeout", TIMEOUT_S),
        retry_handlers=retry_handlers() if retries else [CallCounter()],
        **kwargs,
    )
