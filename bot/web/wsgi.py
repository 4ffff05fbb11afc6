"""The WSGI application ``debtpulse serve`` runs: Slack, signals, metrics and a health check.

Routes: ``POST /slack/events`` (slash commands, interactivity, events) and, with OAuth,
``GET /slack/install`` and ``GET /slack/oauth_redirect`` — all through Bolt's WSGI adapter,
which verifies every request's signature; ``POST /api/signals``; ``POST /api/metrics``;
``POST /api/hooks/<source>`` (the webhooks of GitHub, GitLab, Alertmanager, PagerDuty,
Sentry and SonarQube); ``GET /healthz``, ``GET /readyz`` and ``GET /metrics`` (``ops.py``);
the web dashboard under ``/dash`` (``bot/web/dash/``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.listeners.app import INSTALL_PATH, REDIRECT_PATH
from bot.runtime import Runtime
from bot.web import dash, hooks_api, metrics_api, ops, signals_api

logger = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
#: Slack's own requests are a few KB (a large modal's submission tens of KB). Bolt reads the
#: whole body before it checks the signature, so a larger one is refused unread.
MAX_SLACK_BODY = 1024 * 1024
StartResponse = Callable[..., Any]
Environ = dict[str, Any]

_REASONS = {
    200: "OK",
    201: "Created",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    400: "Bad Request",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    503: "Service Unavailable",
}


def _json(start_response: StartResponse, status: int, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        f"{status} {_REASONS.get(status, 'OK')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _body(environ: Environ, max_body: int = signals_api.MAX_BODY) -> bytes:
    """The request body, at most one byte over ``max_body`` (so a larger one is told apart).

    A chunked request (no Content-Length) is read to its end: the server de-chunks it.
    """
    limit = max_body + 1
    stream = environ["wsgi.input"]
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return bytes(stream.read(limit))
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return bytes(stream.read(min(length, limit))) if length > 0 else b""


def _plausible_timestamp(value: str | None) -> bool:
    """Slack's request timestamp is whole seconds: digits only (a missing one is Bolt's to
    refuse). Anything else is refused as a bad signature would be, with a 401."""
    return value is None or (value.isascii() and value.isdigit() and len(value) <= 12)


def make_wsgi_app(
    runtime: Runtime, bolt_app: App
) -> Callable[[Environ, StartResponse], Iterable[bytes]]:
    slack = SlackRequestHandler(bolt_app, path=EVENTS_PATH)
    dash.keep_tokens_out_of_access_logs()
    slack_paths = {EVENTS_PATH}
    if runtime.settings.oauth_enabled:
        slack_paths |= {INSTALL_PATH, REDIRECT_PATH}

    def metrics(environ: Environ, start_response: StartResponse) -> list[bytes]:
        page = ops.metrics(runtime, authorization=environ.get("HTTP_AUTHORIZATION", ""))
        headers = [("Content-Type", page.content_type), ("Content-Length", str(len(page.body)))]
        start_response(
            f"{page.status} {_REASONS.get(page.status, 'OK')}", [*headers, *page.headers]
        )
        return [page.body]

    def application(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path in slack_paths:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return _json(start_response, 400, {"ok": False, "error": "bad Content-Length"})
            if length > MAX_SLACK_BODY:
                return _json(start_response, 413, {"ok": False, "error": "request too large"})
            if not _plausible_timestamp(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")):
                # Bolt would read it as an int and fail with a 500 before any signature check
                return _json(start_response, 401, {"error": "invalid request"})
            return slack(environ, start_response)
        if path == "/healthz":
            return _json(start_response, *ops.health(runtime))
        if path == "/readyz":
            return _json(start_response, *ops.readiness(runtime))
        if path == "/metrics":
            return metrics(environ, start_response)
        if path == "/dash" or path.startswith("/dash/"):
            return dash.serve(runtime, environ, start_response)
        if path == "/api/signals":
            if method != "POST":
                return _json(start_response, 405, {"ok": False, "error": "use POST"})
            team = parse_qs(environ.get("QUERY_STRING", "")).get("team", [None])[0]
            status, payload = signals_api.handle(
                runtime,
                authorization=environ.get("HTTP_AUTHORIZATION", ""),
                body=_body(environ),
                team=team,
            )
            return _json(start_response, status, payload)
        if path == "/api/metrics":
            if method != "POST":
                return _json(start_response, 405, {"ok": False, "error": "use POST"})
            team = parse_qs(environ.get("QUERY_STRING", "")).get("team", [None])[0]
            status, payload = metrics_api.handle(
                runtime,
                authorization=environ.get("HTTP_AUTHORIZATION", ""),
                body=_body(environ, metrics_api.MAX_BODY),
                team=team,
            )
            return _json(start_response, status, payload)
        if path.startswith(hooks_api.PREFIX) and path != hooks_api.PREFIX:
            if method != "POST":
                return _json(start_response, 405, {"ok": False, "error": "use POST"})
            team = parse_qs(environ.get("QUERY_STRING", "")).get("team", [None])[0]
            status, payload = hooks_api.handle(
                runtime,
                source=path.removeprefix(hooks_api.PREFIX),
                headers=hooks_api.headers_of(environ),
                body=_body(environ, hooks_api.MAX_BODY),
                team=team,
            )
            return _json(start_response, status, payload)
        return _json(start_response, 404, {"ok": False, "error": "not found"})

    return application
