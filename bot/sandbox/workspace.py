"""The workspace the fake Slack pretends to be: team, users, channels, user groups, tokens.

Configured in code::

    ws = Workspace()                      # team T0TEST, bot U0BOT, token xoxb-test
    ws.add_user("U0ALICE", name="alice", tz="Europe/Berlin")
    ws.add_channel("C0DEBT", name="debt", members=["U0BOT", "U0ALICE"])
    ws.add_usergroup("S0LEADS", handle="leads", users=["U0ALICE"])
    ws.add_token("xoxb-narrow", scopes={"chat:write"})
    ws.add_app_token("xapp-other", scopes=set())  # an app-level token without a scope

A fake holds several workspaces (``FakeSlack.add_workspace``), each with its own team,
people, channels, tokens and rate limits; a token sees only its own workspace::

    other = Workspace(team_id="T0OTHER", team_domain="other", bot_token=None, app_token=None)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

TEAM_ID = "T0TEST"
TEAM_DOMAIN = "debtpulse-test"
APP_ID = "A0DEBTPULSE"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-1-A0DEBTPULSE-1-test"
"""The app-level token (``connections:write``) Socket Mode connects with."""
APP_SCOPES = frozenset({"connections:write"})
DEFAULT_USER_ID = "U0USER"
DEFAULT_CHANNEL_ID = "C0GENERAL"

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
"""The Slack app manifest debtpulse is installed from; the fake's bot token gets its scopes."""


def manifest_bot_scopes(path: Path = MANIFEST) -> frozenset[str]:
    """The bot scopes ``manifest.yml`` grants (``oauth_config.scopes.bot``), nothing more.

    The sandbox imports only the standard library and slack_sdk, so this reads the one
    block list it needs by indentation (``tests/sandbox`` checks it against a YAML parser).
    """
    path_wanted = ["oauth_config", "scopes", "bot"]
    stack: list[tuple[int, str]] = []
    scopes: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        text = line.strip()
        while stack and stack[-1][0] >= indent and not text.startswith("- "):
            stack.pop()
        if text.startswith("- "):
            if [key for _, key in stack] == path_wanted:
                scopes.append(text[2:].strip().strip("\"'"))
        elif text.endswith(":"):
            stack.append((indent, text[:-1].strip()))
    if not scopes:
        raise ValueError(f"{path}: no oauth_config.scopes.bot list")
    return frozenset(scopes)


BOT_SCOPES: frozenset[str] = manifest_bot_scopes()
"""Exactly what an install from the manifest grants: a call needing more is refused."""


@dataclass
class User:
    id: str
    name: str
    real_name: str = ""
    tz: str = "Europe/London"
    is_bot: bool = False
    deleted: bool = False
    is_admin: bool = False
    email: str | None = None


@dataclass
class Channel:
    id: str
    name: str
    members: list[str] = field(default_factory=list)
    is_private: bool = False
    is_im: bool = False
    is_archived: bool = False


@dataclass
class Usergroup:
    id: str
    handle: str
    name: str = ""
    users: list[str] = field(default_factory=list)
    disabled: bool = False


@dataclass
class Token:
    token: str
    scopes: frozenset[str]
    user_id: str = BOT_USER_ID
    bot_id: str | None = BOT_ID
    revoked: bool = False
    inactive: bool = False
    """The app was uninstalled or the workspace deactivated: Slack says ``account_inactive``."""
    team_id: str | None = None
    """The team the token was installed in (OAuth installs); None: the workspace's team."""
    expires_at: float | None = None
    """When a rotating token expires (the fake's clock): Slack says ``token_expired`` after."""
    kind: str = "bot"
    """``bot`` (``xoxb-``), or ``app`` for an app-level token (``xapp-``), which Slack takes
    only for ``apps.connections.open``; any other method answers it ``not_allowed_token_type``."""


class Workspace:
    """One team's users, channels, user groups and the tokens that may call the API."""

    def __init__(
        self,
        *,
        team_id: str = TEAM_ID,
        team_domain: str = TEAM_DOMAIN,
        bot_token: str | None = BOT_TOKEN,
        app_token: str | None = APP_TOKEN,
    ) -> None:
        """``bot_token`` / ``app_token``: the tokens the workspace starts with (None: none,
        as for a workspace that gets its bot token by installing over OAuth). Every workspace
        a fake holds needs tokens of its own."""
        self.team_id = team_id
        self.team_domain = team_domain
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, Usergroup] = {}
        self.tokens: dict[str, Token] = {}
        self.add_user(BOT_USER_ID, name="debtpulse", real_name="debtpulse", is_bot=True)
        if bot_token is not None:
            self.add_token(bot_token, scopes=BOT_SCOPES)
        if app_token is not None:
            self.add_app_token(app_token, scopes=APP_SCOPES)

    @classmethod
    def default(cls) -> Workspace:
        """The bot, one person (``U0USER``) and ``#general`` (``C0GENERAL``) with both in it."""
        ws = cls()
        ws.add_user(DEFAULT_USER_ID, name="user", real_name="Test User")
        ws.add_channel(DEFAULT_CHANNEL_ID, name="general", members=[BOT_USER_ID, DEFAULT_USER_ID])
        return ws

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "Europe/London",
        is_bot: bool = False,
        deleted: bool = False,
        is_admin: bool = False,
        email: str | None = None,
    ) -> User:
        username = name or user_id.lower()
        user = User(
            id=user_id,
            name=username,
            real_name=real_name if real_name is not None else username.title(),
            tz=tz,
            is_bot=is_bot,
            deleted=deleted,
            is_admin=is_admin,
            email=email,
        )
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        members: Iterable[str] = (),
        is_private: bool = False,
        is_archived: bool = False,
    ) -> Channel:
        channel = Channel(
            id=channel_id,
            name=name or channel_id.lower(),
            members=list(dict.fromkeys(members)),
            is_private=is_private,
            is_archived=is_archived,
        )
        self.channels[channel_id] = channel
        return channel

    def add_usergroup(
        self,
        usergroup_id: str,
        *,
        handle: str,
        name: str | None = None,
        users: Iterable[str] = (),
        disabled: bool = False,
    ) -> Usergroup:
        group = Usergroup(
            id=usergroup_id,
            handle=handle,
            name=name or handle,
            users=list(dict.fromkeys(users)),
            disabled=disabled,
        )
        self.usergroups[usergroup_id] = group
        return group

    def add_token(
        self,
        token: str,
        *,
        scopes: Iterable[str],
        user_id: str = BOT_USER_ID,
        bot_id: str | None = BOT_ID,
        team_id: str | None = None,
    ) -> Token:
        record = Token(
            token=token, scopes=frozenset(scopes), user_id=user_id, bot_id=bot_id, team_id=team_id
        )
        self.tokens[token] = record
        return record

    def add_app_token(self, token: str, *, scopes: Iterable[str] = APP_SCOPES) -> Token:
        """An app-level token (``xapp-…``), as made under the app's Basic Information."""
        record = Token(token=token, scopes=frozenset(scopes), user_id="", bot_id=None, kind="app")
        self.tokens[token] = record
        return record

    def im_for(self, user_id: str) -> Channel:
        """The bot's direct-message channel with ``user_id``, created on first use."""
        channel_id = "D" + user_id[1:]
        channel = self.channels.get(channel_id)
        if channel is None:
            channel = Channel(
                id=channel_id,
                name=user_id,
                members=[BOT_USER_ID, user_id],
                is_private=True,
                is_im=True,
            )
            self.channels[channel_id] = channel
        return channel

    def im_user(self, channel: Channel) -> str | None:
        """The person at the other end of a direct-message channel."""
        if not channel.is_im:
            return None
        return next((m for m in channel.members if m != BOT_USER_ID), None)
