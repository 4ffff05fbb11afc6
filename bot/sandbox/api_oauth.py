"""oauth.v2.access: finishing an install, as Slack does after the user clicks "Allow".

A test (or the demo) calls ``FakeSlack.authorize_install(team_id=…)`` to get the ``code``
Slack would put on the redirect; exchanging it with the right client id and secret issues a
new bot token for that team, once.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass

from bot.sandbox.records import JsonDict
from bot.sandbox.state import ApiError, SlackState

METHOD = "oauth.v2.access"


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
    with state.lock:
        install = state.oauth_codes.pop(str(params.get("code", "")), None)
        if install is None:
            raise ApiError("invalid_code")
        token = f"xoxb-{install.team_id.lower()}-{secrets.token_hex(6)}"
        state.workspace.add_token(
            token, scopes=install.scopes, team_id=install.team_id, bot_id="B0BOT"
        )
    return {
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
