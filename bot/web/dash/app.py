"""The dashboard's routes under ``/dash``: sign-in and sign-out, the session check, then
the pages of the signed-in workspace.

Every refusal is a page saying what happened and what to do, with nothing of any
workspace's data: a sign-in link that is forged or for another workspace (403), expired or
used already (410); a missing, tampered or expired session (401); a non-lead asking for a
lead's page (403).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from bot.config import ConfigError
from bot.runtime import Runtime
from bot.services import dashboard
from bot.web.dash import pages
from bot.web.dash.http import Request, Response, session_cookie
from bot.web.dash.render import render, stylesheet

logger = logging.getLogger(__name__)
PREFIX = "/dash"
STYLESHEET = "/dash/static/dash.css"
ITEMS = "/dash/items/"
ASK_AGAIN = "Ask for a new one with /debt dashboard in Slack."
OPEN_IN_BROWSER = "Open this link in your browser to sign in; it signs in once."
LINK_REFUSALS = {
    "forged": (
        403,
        "This sign-in link is not valid",
        "debtpulse did not make this link, or it was not copied whole.",
    ),
    "other_workspace": (
        403,
        "This sign-in link is for another workspace",
        "It was made for a Slack workspace this dashboard does not serve, or no longer serves.",
    ),
    "reused": (410, "This sign-in link was used already", "Each link signs in once."),
    "expired": (
        410,
        "This sign-in link has expired",
        "A link signs in within 10 minutes of being made.",
    ),
}
SESSION_REFUSALS = {
    "missing": "You are not signed in.",
    "tampered": "Your session is not valid.",
    "expired": "Your session has expired: a session lasts 12 hours.",
    "other_workspace": "Your session is for a workspace this dashboard no longer serves.",
}


def _message(
    status: int, heading: str, *paragraphs: str, again: bool = False, **extra: Any
) -> Response:
    body = render(
        "message.html",
        signed=None,
        here="",
        heading=heading,
        paragraphs=list(paragraphs),
        sign_in_again=again,
        back=None,
    )
    return Response(status, body, **extra)


def _clear(request: Request) -> list[tuple[str, str]]:
    return [("Set-Cookie", session_cookie("", max_age=0, secure=request.https))]


def _sign_in(runtime: Runtime, request: Request) -> Response:
    try:
        signed = dashboard.sign_in(
            runtime, token=request.query.get("t"), team=request.query.get("team")
        )
    except dashboard.SignInRefused as refused:
        status, heading, why = LINK_REFUSALS[refused.problem]
        return _message(status, heading, why, ASK_AGAIN)
    value = dashboard.session_cookie(runtime, signed)
    max_age = int(dashboard.SESSION_TTL.total_seconds())
    cookie = session_cookie(value, max_age=max_age, secure=request.https)
    body = b'<!doctype html><title>Signed in</title><p><a href="/dash">Continue</a></p>'
    return Response(303, body, headers=[("Location", PREFIX), ("Set-Cookie", cookie)])


def _sign_out(request: Request) -> Response:
    if not request.same_origin():
        return _message(403, "Not signed out", "The request came from another site.")
    return _message(
        200,
        "Signed out",
        "You are signed out of the dashboard on this browser.",
        again=True,
        headers=_clear(request),
    )


def _signed_in_page(runtime: Runtime, request: Request) -> Response:
    try:
        signed = dashboard.read_session(runtime, request.cookie)
    except dashboard.NotSignedIn as refused:
        headers = [] if refused.problem == "missing" else _clear(request)
        return _message(
            401, "Please sign in", SESSION_REFUSALS[refused.problem], again=True, headers=headers
        )
    page = pages.Page(signed, dashboard.team_view(runtime, signed.team))
    path = request.path.rstrip("/") or PREFIX
    try:
        if path == PREFIX:
            return pages.ranking(page, dict(request.query))
        if path == "/dash/polls":
            return pages.polls(page)
        if path == "/dash/roi":
            return pages.roi_view(page, dict(request.query))
        if path == "/dash/register.csv":
            return pages.register_csv(page)
        if path.startswith(ITEMS) and "/" not in path[len(ITEMS) :]:
            return pages.item(page, unquote(path[len(ITEMS) :]))
    except pages.BadInput as bad:
        return page.message(400, "That request could not be read", str(bad))
    return page.message(404, "Not found", "The dashboard has no such page.")


def _route(runtime: Runtime, request: Request) -> Response:
    if request.path == STYLESHEET:
        return Response(
            200, stylesheet(), content_type="text/css; charset=utf-8", cache="public, max-age=3600"
        )
    if request.path == "/dash/signout":
        if request.method != "POST":
            return _message(
                405,
                "Use the Sign out button",
                "Signing out is a POST.",
                headers=[("Allow", "POST")],
            )
        return _sign_out(request)
    if request.method not in ("GET", "HEAD"):
        return _message(
            405,
            "Not allowed",
            "The dashboard's pages are read with GET.",
            headers=[("Allow", "GET, HEAD")],
        )
    if request.path == "/dash/signin":
        if request.is_preview():
            return _message(200, "Sign in to the debtpulse dashboard", OPEN_IN_BROWSER)
        return _sign_in(runtime, request)
    return _signed_in_page(runtime, request)


def serve(
    runtime: Runtime, environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    """Answer a request under ``/dash``."""
    request = Request.of(environ)
    try:
        response = _route(runtime, request)
    except ConfigError as exc:
        response = _message(503, "The dashboard is not configured", str(exc))
    except Exception:
        logger.exception("dashboard: %s %s failed", request.method, request.path)
        response = _message(
            500, "Something went wrong", "Something went wrong on our side; please try again."
        )
    return response.start(start_response, head=request.method == "HEAD")
