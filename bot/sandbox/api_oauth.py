"""oauth.v2.access: finishing an install, as Slack does after the user clicks "Allow", and
refreshing a rotating token; auth.revoke.

A test (or the demo) calls ``FakeSlack.authorize_install(team_id=…)`` to get the ``code``
Slack would put on the redirect; exchanging it with the right client id and secret issues a
new bot token for that team, once.

With token rotation on (``FakeSlack.enable_oauth(…, token_rotation=True)``), as Slack does:
the bot token (``xoxe.xoxb-…``) expires 12 hours after it was issued (a call with it then
answers ``token_expired``) and comes with a refresh token (``xoxe-1-…``). Exchanging that
(``grant_type=refresh_token``) issues a new token and a new refresh token; the refresh token
works once (again: ``invalid_refresh_token``), and the old access token keeps working until
its own expiry. An uninstall ends every token and refresh token of the team.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass, field

from bot.sandbox.records import JsonDict
from bot.sandbox.state import ApiError, ApiRequest, SlackState

METHOD = "oauth.v2.access"
TOKEN_LIFETIME_S = 12 * 3600
"""How long a rotating token lasts (``expires_in``), as Slack issues them."""


@dataclass(frozen=True)
class PendingInstall:
    team_id: str
    team_name: str
    user_id: str
    scopes: tuple[str, ...]


@dataclass
class OAuthApp:
    client_id: str
    client_secret: str
    app_id: str = "A0DEBTPULSE"
    token_rotation: bool = False
    refresh_tokens: dict[str, PendingInstall] = field(default_factory=dict)
    """The refresh tokens not used yet, and the install each renews."""


def basic_credentials(encoded: str) -> JsonDict:
    try:
        client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return {}
    return {"client_id": client_id, "client_secret": client_secret}


def authorize(state: SlackState, install: PendingInstall) -> str:
    code = "code-" + secrets.token_hex(8)
    with state.lock:
        state.oauth_codes[code] = install
    return code


def access(state: SlackState, params: JsonDict) -> JsonDict:
    app: OAuthApp | None = state.oauth_app
    if app is None or params.get("client_id") != app.client_id:
        raise ApiError("invalid_client_id")
    if params.get("client_secret") != app.client_secret:
        raise ApiError("bad_client_secret")
    grant = str(params.get("grant_type") or "authorization_code")
    with state.lock:
        if grant == "refresh_token":
            install = app.refresh_tokens.pop(str(params.get("refresh_token", "")), None)
            if install is None:
                raise ApiError("invalid_refresh_token")
        elif grant == "authorization_code":
            install = state.oauth_codes.pop(str(params.get("code", "")), None)
            if install is None:
                raise ApiError("invalid_code")
        else:
            raise ApiError("invalid_grant_type")
        return _issue(state, app, install)


def _issue(state: SlackState, app: OAuthApp, install: PendingInstall) -> JsonDict:
    """A new bot token for ``install``'s team (and, rotating, its refresh token)."""
    secret = secrets.token_hex(6)
    token = f"xoxe.xoxb-1-{install.team_id.lower()}-{secret}"
    if not app.token_rotation:
        token = f"xoxb-{install.team_id.lower()}-{secret}"
    # the installing team's own workspace when the fake holds it, else the first one
    record = state.tenancy.named(install.team_id).add_token(
        token, scopes=install.scopes, team_id=install.team_id, bot_id="B0BOT"
    )
    body: JsonDict = {
        "ok": True,
        "app_id": app.app_id,
        "authed_user": {"id": install.user_id},
        "scope": ",".join(install.scopes),
        "token_type": "bot",
        "access_token": token,
        "bot_user_id": "U0BOT",
        "team": {"id": install.team_id, "name": install.team_name},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if app.token_rotation:
        record.expires_at = state.clock() + TOKEN_LIFETIME_S
        refresh = "xoxe-1-" + secrets.token_hex(16)
        app.refresh_tokens[refresh] = install
        body |= {"refresh_token": refresh, "expires_in": TOKEN_LIFETIME_S}
    return body


def end_team(state: SlackState, team_id: str) -> None:
    """The app uninstalled from ``team_id``: every token and refresh token of it ends."""
    with state.lock:
        for workspace in state.tenancy.by_team.values():
            for record in workspace.tokens.values():
                if record.team_id == team_id or (
                    record.team_id is None and workspace.team_id == team_id
                ):
                    record.inactive = True
        app: OAuthApp | None = state.oauth_app
        if app is not None:
            for refresh, install in list(app.refresh_tokens.items()):
                if install.team_id == team_id:
                    del app.refresh_tokens[refresh]


def revoke(state: SlackState, request: ApiRequest) -> JsonDict:
    """auth.revoke: the calling token stops working (``test=true``: it does not)."""
    test = str(request.params.get("test", "")).lower() in ("1", "true")
    if not test:
        request.token.revoked = True
    return {"ok": True, "revoked": not test}
