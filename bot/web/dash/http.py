"""The dashboard's side of HTTP: a request read from the WSGI environ, a response to send,
and the session cookie's header. No debtpulse logic here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

COOKIE = "debtpulse_dash"
COOKIE_PATH = "/dash"
#: Every dashboard page: nothing from elsewhere, no framing, no referrer (a sign-in link's
#: token must not leave in a Referer header), no caching of what a session saw.
SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
)
REASONS = {
    200: "OK",
    303: "See Other",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    410: "Gone",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]  # the first value of each parameter
    cookie: str | None  # the session cookie's value, if sent
    https: bool
    origin: str | None
    host: str
    agent: str

    @classmethod
    def of(cls, environ: Mapping[str, Any]) -> Request:
        raw = parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
        forwarded = str(environ.get("HTTP_X_FORWARDED_PROTO", "")).split(",")[0].strip()
        return cls(
            method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
            path=str(environ.get("PATH_INFO", "")),
            query={name: values[0] for name, values in raw.items()},
            cookie=cookie_value(str(environ.get("HTTP_COOKIE", "")), COOKIE),
            https=environ.get("wsgi.url_scheme") == "https" or forwarded.lower() == "https",
            origin=environ.get("HTTP_ORIGIN"),
            host=str(environ.get("HTTP_HOST", "")),
            agent=str(environ.get("HTTP_USER_AGENT", "")),
        )

    def is_preview(self) -> bool:
        """A HEAD request, or Slack fetching a link to preview it: neither may use a
        one-time link."""
        return self.method == "HEAD" or "Slackbot" in self.agent

    def same_origin(self) -> bool:
        """No ``Origin`` header (not a browser's cross-site request), or this host's."""
        if not self.origin:
            return True
        return urlsplit(self.origin).netloc == self.host


def cookie_value(header: str, name: str) -> str | None:
    """The first cookie called ``name`` in a ``Cookie`` header."""
    for part in header.split(";"):
        key, eq, value = part.strip().partition("=")
        if eq and key == name:
            return value.strip().strip('"')
    return None


def session_cookie(value: str, *, max_age: int, secure: bool) -> str:
    """A ``Set-Cookie`` value for the session (``max_age`` 0 clears it)."""
    parts = [f"{COOKIE}={value}", f"Path={COOKIE_PATH}", f"Max-Age={max_age}", "HttpOnly"]
    parts.append("SameSite=Lax")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    cache: str = "no-store"

    def start(self, start_response: Any, *, head: bool = False) -> list[bytes]:
        headers = [
            ("Content-Type", self.content_type),
            ("Content-Length", str(len(self.body))),
            ("Cache-Control", self.cache),
            *SECURITY_HEADERS,
            *self.headers,
        ]
        start_response(f"{self.status} {REASONS.get(self.status, 'OK')}", headers)
        return [] if head else [self.body]
