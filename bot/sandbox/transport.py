"""Signed delivery to the bot's endpoint, the way Slack delivers: v0 signatures, 3 s limit."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

SLACK_TIMEOUT = 3.0
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class SlackTimeoutError(TimeoutError):
    """The bot did not acknowledge within Slack's 3 seconds."""


@dataclass(frozen=True)
class Tamper:
    """Ways to spoil a request, for security tests of request verification."""

    secret: str | None = None
    timestamp_offset: int = 0
    append_after_signing: str | None = None
    omit_signature: bool = False
    omit_timestamp: bool = False
    timestamp_text: str | None = None
    """Sent (and signed) as the timestamp instead of the current time, e.g. ``"abc"``."""


@dataclass(frozen=True)
class DriverResponse:
    """The bot's HTTP answer; ``status`` is 0 and ``timed_out`` set when none came in time."""

    status: int
    headers: dict[str, str]
    body_text: str
    elapsed: float
    timed_out: bool = False
    ack_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.timed_out

    def json(self) -> Any:
        return json.loads(self.body_text)


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 signature: HMAC-SHA256 over ``v0:{timestamp}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SignedSender:
    """POSTs bodies to ``bot_url`` signed with ``signing_secret``."""

    def resend_last(self, *, retry_num: int = 1) -> DriverResponse:
        """The last request again, as a Slack retry: the same body with ``X-Slack-Retry-Num``."""
        if self.last_sent is None:
            raise LookupError("nothing was sent yet")
        body, content_type = self.last_sent
        return self.send(body, content_type=content_type, retry_num=retry_num)

    def __init__(
        self,
        bot_url: str,
        signing_secret: str,
        *,
        timeout: float = SLACK_TIMEOUT,
        raise_on_timeout: bool = False,
    ) -> None:
        self.bot_url = bot_url
        self.signing_secret = signing_secret
        self.timeout = timeout
        self.raise_on_timeout = raise_on_timeout
        self.last_sent: tuple[str, str] | None = None  # (body, content type), for resend_last

    def signed(
        self,
        body: str,
        *,
        content_type: str,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        tamper: Tamper | None = None,
    ) -> tuple[str, dict[str, str]]:
        """``body`` (spoiled after signing if ``tamper`` says so) and the headers Slack sends
        with it: its signature and timestamp, and a retry's number and reason."""
        tamper = tamper or Tamper()
        timestamp = tamper.timestamp_text or str(int(time.time()) + tamper.timestamp_offset)
        signature = sign(tamper.secret or self.signing_secret, timestamp, body)
        if tamper.append_after_signing is not None:
            body += tamper.append_after_signing
        headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0"}
        if not tamper.omit_timestamp:
            headers["X-Slack-Request-Timestamp"] = timestamp
        if not tamper.omit_signature:
            headers["X-Slack-Signature"] = signature
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return body, headers

    def send(
        self,
        body: str,
        *,
        content_type: str,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        tamper: Tamper | None = None,
    ) -> DriverResponse:
        """POST ``body`` signed as Slack signs it; flag (or raise) if no answer in time."""
        self.last_sent = (body, content_type)
        body, headers = self.signed(
            body,
            content_type=content_type,
            retry_num=retry_num,
            retry_reason=retry_reason,
            tamper=tamper,
        )
        request = urllib.request.Request(
            self.bot_url, data=body.encode(), headers=headers, method="POST"
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                status, answer_headers = answer.status, dict(answer.headers.items())
                text = answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status, answer_headers = error.code, dict(error.headers.items())
            text = error.read().decode("utf-8", "replace")
        except TimeoutError as exc:
            return self._timed_out(started, exc)
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                return self._timed_out(started, exc)
            raise
        elapsed = time.monotonic() - started
        if elapsed > self.timeout:
            return self._timed_out(started, None, status=status, text=text)
        return DriverResponse(status, answer_headers, text, elapsed)

    def _timed_out(
        self, started: float, cause: Exception | None, *, status: int = 0, text: str = ""
    ) -> DriverResponse:
        elapsed = time.monotonic() - started
        if self.raise_on_timeout:
            message = f"the bot did not answer within {self.timeout} s ({elapsed:.2f} s)"
            raise SlackTimeoutError(message) from cause
        return DriverResponse(status, {}, text, elapsed, timed_out=True)
