"""Each workspace's bot token from slack_sdk's installation store (OAuth installs), refreshed
before it expires.

With token rotation on (the app's setting at api.slack.com), a bot token lasts 12 hours and
its refresh token makes the next one, once. The store is built once per process and shared
with Bolt's OAuth flow (``bot/listeners/app.py``), which saves installs into it. Refreshing is
one team at a time across threads and processes (``storage.locks``): whoever waited reads
the installation again and uses the token saved meanwhile, instead of spending the refresh
token a second time. Bolt refreshes with the same rotator for incoming requests, so a
request and a scheduled job never race either.

A refresh Slack refuses changes nothing; it is logged with Slack's error code (never a
token) and raised as :class:`TokenRefreshFailed`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.slack.client import make_client
from storage import locks

if TYPE_CHECKING:
    from slack_sdk import WebClient
    from sqlalchemy import Engine

    from bot.runtime import Runtime

logger = logging.getLogger(__name__)

#: A token is refreshed when it expires within this many minutes (Bolt's own default), so a
#: job handed a token has at least this long to use it.
ROTATE_BEFORE_MINUTES = 120


class WorkspaceUnavailable(LookupError):
    """No usable bot token for a workspace; the message says why and what to do."""

    def __init__(self, team: str, message: str) -> None:
        self.team = team
        super().__init__(message)


class TokenRefreshFailed(WorkspaceUnavailable):
    """Slack refused to refresh a workspace's expiring token (or could not be reached)."""


class SerialTokenRotator(TokenRotator):
    """slack_sdk's rotator, one refresh per team at a time, the result saved before the lock
    is let go; a caller that waited gets the installation saved meanwhile."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        client: WebClient,
        store: SQLAlchemyInstallationStore,
        engine: Engine,
    ) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret, client=client)
        self.store = store
        self.engine = engine

    def perform_token_rotation(
        self, *, installation: Installation, minutes_before_expiration: int = 120
    ) -> Installation | None:
        """None when no token of ``installation`` expires within the minutes (Bolt asks at
        every request: no lock is taken then); else the installation to use from now on."""
        if not _expiring(installation, minutes_before_expiration):
            return None
        team = installation.team_id or installation.enterprise_id or ""
        with locks.held(self.engine, f"debtpulse.token-rotation:{team}"):
            current = self.store.find_installation(
                enterprise_id=installation.enterprise_id,
                team_id=installation.team_id,
                is_enterprise_install=installation.is_enterprise_install,
            )
            if current is None:  # uninstalled meanwhile
                return None
            refreshed = super().perform_token_rotation(
                installation=current, minutes_before_expiration=minutes_before_expiration
            )
            if refreshed is None:  # no refresh due, or another caller made it meanwhile
                return current if current.bot_token != installation.bot_token else None
            self.store.save(refreshed)
            logger.info("bot token of %s refreshed", team)
            return refreshed


_STORES: dict[
    tuple[int, str, str], tuple[Engine, SQLAlchemyInstallationStore, SerialTokenRotator]
] = {}
_STORES_LOCK = threading.Lock()


def _built(runtime: Runtime) -> tuple[SQLAlchemyInstallationStore, SerialTokenRotator]:
    settings = runtime.settings
    if not (settings.slack_client_id and settings.slack_client_secret):
        raise RuntimeError("the installation store serves OAuth installs (SLACK_CLIENT_ID)")
    engine = runtime.engine
    key = (id(engine), settings.slack_client_id, settings.slack_api_url)
    with _STORES_LOCK:
        found = _STORES.get(key)
        if found is None or found[0] is not engine:
            store = SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)
            rotator = SerialTokenRotator(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret.get_secret_value(),
                client=make_client(base_url=settings.slack_api_url),
                store=store,
                engine=engine,
            )
            found = _STORES[key] = (engine, store, rotator)
        return found[1], found[2]


def installation_store(runtime: Runtime) -> SQLAlchemyInstallationStore:
    """The process's installation store for ``runtime``'s database (built on first use)."""
    return _built(runtime)[0]


def rotator(runtime: Runtime) -> SerialTokenRotator:
    """The process's token rotator, for Bolt's requests and the scheduled jobs alike."""
    return _built(runtime)[1]


def installed_bot_token(runtime: Runtime, team: str) -> str:
    """``team``'s bot token from the installation store, refreshed first when it expires
    within :data:`ROTATE_BEFORE_MINUTES`. Raises WorkspaceUnavailable when the team has no
    installation, TokenRefreshFailed when Slack refuses the refresh."""
    store, serial = _built(runtime)
    installation = store.find_installation(enterprise_id=None, team_id=team)
    if installation is None or not installation.bot_token:
        raise WorkspaceUnavailable(
            team, f"workspace {team} has no installation: install the app there again"
        )
    if not _expiring(installation, ROTATE_BEFORE_MINUTES):
        return installation.bot_token
    try:
        refreshed = serial.perform_token_rotation(
            installation=installation, minutes_before_expiration=ROTATE_BEFORE_MINUTES
        )
    except SlackTokenRotationError as exc:
        error = _error_code(exc.api_error)
        logger.error("Slack refused to refresh the bot token of %s (%s)", team, error)
        raise TokenRefreshFailed(
            team,
            f"Slack refused to refresh the bot token of workspace {team} ({error}): "
            "install the app there again",
        ) from None
    except OSError as exc:
        kind = type(exc).__name__
        logger.error("could not reach Slack to refresh the bot token of %s (%s)", team, kind)
        raise TokenRefreshFailed(
            team, f"could not reach Slack to refresh the bot token of workspace {team} ({kind})"
        ) from None
    if refreshed is None:  # uninstalled meanwhile
        raise WorkspaceUnavailable(
            team, f"workspace {team} has no installation: install the app there again"
        )
    assert refreshed.bot_token is not None
    return refreshed.bot_token


def _expiring(installation: Installation, minutes: int) -> bool:
    soon = time.time() + minutes * 60
    return any(
        expires_at is not None and expires_at <= soon
        for expires_at in (installation.bot_token_expires_at, installation.user_token_expires_at)
    )


def _error_code(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "unknown_error")) if exc.response else "unknown_error"
