"""Signing in to the web dashboard: the one-time link ``/debt dashboard`` sends, and the
session it starts.

A link is ``{base}/dash/signin?t=TOKEN``: TOKEN is 256 random bits, stored as its SHA-256
only (``storage/dash_links.py``) with the workspace, the person and whether they are a lead
(decided when the link is made). It signs in once, within :data:`LINK_TTL`, for a workspace
this deployment serves. The session is a signed cookie (``bot/core/dash_session.py``) that
lasts :data:`SESSION_TTL`; its key is derived from ``DEBTPULSE_DASHBOARD_SECRET``, or from
``SLACK_SIGNING_SECRET`` when that is not set. Every page checks it and, again, that the
workspace is still served.

``/debt dashboard``, ``debtpulse demo --serve`` and the tests call :func:`issue_link`; the web
layer (``bot/web/dash/``) calls :func:`sign_in` and :func:`read_session`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Literal

from bot.config import ConfigError
from bot.core.dash_session import DashSession, SessionRefused, decode, encode, session_key
from bot.runtime import Runtime
from bot.services import team_settings, workspaces
from storage import dash_links

#: A link signs in within this long of being made.
LINK_TTL = timedelta(minutes=10)
#: A session lasts this long (the cookie's Max-Age and the expiry it carries).
SESSION_TTL = timedelta(hours=12)
#: Links older than this are deleted when a new one is made (then they read as not valid).
KEEP_LINKS = timedelta(days=30)
#: How far another process's clock may be behind the one that made a link.
CLOCK_SKEW = timedelta(minutes=1)
SIGNIN_PATH = "/dash/signin"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)

LinkProblem = Literal["forged", "other_workspace", "reused", "expired"]
SessionProblem = Literal["missing", "tampered", "expired", "other_workspace"]


class SignInRefused(Exception):
    """A sign-in link that signs nobody in, and why."""

    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem)
        self.problem: LinkProblem = problem


class NotSignedIn(Exception):
    """A request without a valid session: no cookie, a tampered or expired one, or one for a
    workspace this deployment no longer serves."""

    def __init__(self, problem: SessionProblem) -> None:
        super().__init__(problem)
        self.problem: SessionProblem = problem


def link_hash(token: str) -> str:
    """The hex SHA-256 stored for a link's token."""
    return hashlib.sha256(token.encode("utf-8", errors="surrogatepass")).hexdigest()


def base_url(runtime: Runtime) -> str:
    """Where people reach the dashboard: ``DEBTPULSE_PUBLIC_URL``, else this machine's
    ``PORT``."""
    settings = runtime.settings
    return settings.public_url or f"http://localhost:{settings.port}"


def cookie_key(runtime: Runtime) -> bytes:
    """The key session cookies are signed with (derived, never the secret itself)."""
    settings = runtime.settings
    secret = settings.dashboard_secret or settings.slack_signing_secret
    if secret is None:
        raise ConfigError(
            "DEBTPULSE_DASHBOARD_SECRET",
            "required for the dashboard when SLACK_SIGNING_SECRET is not set",
        )
    return session_key(secret.get_secret_value())


def serves(runtime: Runtime, team: str) -> bool:
    """Whether this deployment serves ``team`` now: with OAuth, an installed workspace; with
    one bot token, that token's workspace; and in both cases not uninstalled or revoked
    since (``bot.services.workspaces.active_teams``)."""
    try:
        return bool(team) and team in workspaces.active_teams(runtime.process)
    except LookupError:  # the token's workspace cannot be told (Slack unreachable at start)
        return False


def team_view(runtime: Runtime, team: str) -> Runtime:
    """The runtime a signed-in workspace's pages read with: its effective settings (its own
    minimum group, time zone, …); its pages need no Slack token."""
    process = runtime.process
    return process.for_team(team, settings=team_settings.effective(process, team))


def issue_link(
    runtime: Runtime, *, team: str, user: str, is_lead: bool, base: str | None = None
) -> str:
    """A new one-time sign-in link for ``user`` of ``team`` (the full URL, on ``base`` or
    :func:`base_url`); its token is stored hashed, in one transaction that also forgets
    links older than :data:`KEEP_LINKS`."""
    token = secrets.token_urlsafe(32)
    now = runtime.clock()
    with runtime.transaction() as session:
        dash_links.forget_before(session, before=now - KEEP_LINKS)
        dash_links.add(
            session,
            token_hash=link_hash(token),
            team_id=team,
            user_id=user,
            is_lead=is_lead,
            created_at=now,
        )
    return f"{(base or base_url(runtime)).rstrip('/')}{SIGNIN_PATH}?t={token}"


def sign_in(runtime: Runtime, *, token: str | None, team: str | None = None) -> DashSession:
    """Use the link of ``token`` (``team``: the link's ``team`` parameter, when it has one):
    the session it starts, or :class:`SignInRefused` saying why not."""
    if token is None or not _TOKEN.match(token):
        raise SignInRefused("forged")
    now = runtime.clock()
    with runtime.transaction() as session:  # a refusal rolls it back: nothing is spent
        found = dash_links.by_hash(session, token_hash=link_hash(token))
        if found is None or found.id is None:
            raise SignInRefused("forged")
        if team is not None and team != found.team_id:
            raise SignInRefused("other_workspace")
        if not serves(runtime, found.team_id):
            raise SignInRefused("other_workspace")
        if found.used_at is not None:
            raise SignInRefused("reused")
        if not found.created_at - CLOCK_SKEW <= now <= found.created_at + LINK_TTL:
            raise SignInRefused("expired")
        if not dash_links.use(session, link_id=found.id, at=max(now, found.created_at)):
            raise SignInRefused("reused")
    return DashSession(
        team=found.team_id, user=found.user_id, is_lead=found.is_lead, expires=now + SESSION_TTL
    )


def session_cookie(runtime: Runtime, session: DashSession) -> str:
    """The signed cookie value of ``session``."""
    return encode(session, cookie_key(runtime))


def read_session(runtime: Runtime, cookie: str | None) -> DashSession:
    """The session a request's cookie holds, for a workspace still served; otherwise
    :class:`NotSignedIn`."""
    try:
        signed_in = decode(cookie, cookie_key(runtime), now=runtime.clock())
    except SessionRefused as refused:
        raise NotSignedIn(refused.problem) from None
    if not serves(runtime, signed_in.team):
        raise NotSignedIn("other_workspace")
    return signed_in
