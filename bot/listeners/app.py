"""The Bolt app factory: one set of listeners for HTTP, Socket Mode and OAuth installs.

``build_app`` registers middleware and listeners and does nothing at import time.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.logger import get_bolt_logger
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.listeners import (
    commands,
    home,
    inbox,
    lifecycle,
    middleware,
    modals,
    poll_listeners,
    team_config,
)
from bot.runtime import Runtime
from bot.services import bot_tokens
from bot.slack.client import make_client

#: Bot scopes the code needs — and only those (manifest.yml lists the same).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "files:write",
    "users:read",
    "usergroups:read",
    "channels:read",
    "groups:read",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
OAUTH_STATE_TTL_S = 600
#: Threads for the work listeners do after their acknowledgement (Bolt's lazy listeners:
#: /debt commands, App Home, opening the answer modal). Listeners run in the request's own
#: thread (``process_before_response``): an answer is acknowledged as soon as it is
#: committed, without a hand-off to another thread and Bolt's 10 ms polling for the ack.
LISTENER_THREADS = 32


def _oauth_settings(runtime: Runtime) -> OAuthSettings:
    settings = runtime.settings
    assert settings.slack_client_id and settings.slack_client_secret and settings.slack_state_secret
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        # the process's one store, which the scheduled jobs read each team's token from
        installation_store=bot_tokens.installation_store(runtime),
        token_rotation_expiration_minutes=bot_tokens.ROTATE_BEFORE_MINUTES,
        callback_options=lifecycle.install_callbacks(runtime),
        state_store=SQLAlchemyOAuthStateStore(
            expiration_seconds=OAUTH_STATE_TTL_S, engine=runtime.engine
        ),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        state_validation_enabled=True,
    )


class _SameTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that it goes unused when a client is
    given — ours, built from that very token (with retries and the API URL). Not a problem
    for the operator's log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


class _RejectedRequestDetails(logging.Filter):
    """Bolt logs a request with a bad signature in full: its body holds user ids and, for a
    modal, the answers. Keep the line (an operator wants to see rejections), drop the body."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Invalid request signature detected"):
            record.msg = "Invalid request signature detected (the request is not logged)"
            record.args = ()
        return True


_REJECTED = _RejectedRequestDetails()


def build_app(runtime: Runtime, *, logger: logging.Logger | None = None) -> App:
    """The Bolt app for ``runtime``: single-workspace token, or OAuth when configured."""
    settings = runtime.settings
    settings.require_slack()
    assert settings.slack_signing_secret is not None
    signing_secret = settings.slack_signing_secret.get_secret_value()
    if settings.oauth_enabled:
        oauth_settings = _oauth_settings(runtime)
        # Bolt refreshes an expiring token at a request with a rotator of its own, against
        # slack.com whatever the API URL, and unlocked; ours serialises refreshes per team
        # with the scheduled jobs'.
        assert isinstance(oauth_settings.authorize, InstallationStoreAuthorize)
        oauth_settings.authorize.token_rotator = bot_tokens.rotator(runtime)
        app = App(
            signing_secret=signing_secret,
            oauth_settings=oauth_settings,
            client=make_client(base_url=settings.slack_api_url),
            logger=logger,
            listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS),
            process_before_response=True,
        )
    else:
        assert settings.slack_bot_token is not None
        notice = _SameTokenNotice()
        (logger or get_bolt_logger(App)).addFilter(notice)
        app = App(
            signing_secret=signing_secret,
            client=make_client(
                base_url=settings.slack_api_url,
                token=settings.slack_bot_token.get_secret_value(),
            ),
            logger=logger,
            listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS),
            process_before_response=True,
            # No workspace at start means auth.test could not reach Slack (a refused token
            # already stopped the process). Bolt would call it again here and fail the whole
            # process; unverified, it asks with the first request instead, as posting does.
            token_verification_enabled=bool(runtime.default_team),
        )
        (logger or get_bolt_logger(App)).removeFilter(notice)
    verification = logging.getLogger("slack_bolt.RequestVerification")
    if _REJECTED not in verification.filters:
        verification.addFilter(_REJECTED)
    middleware.install(app, runtime)
    # Bolt tries listeners in this order: answers, by far the most frequent requests, first.
    poll_listeners.register_listeners(app)
    commands.register_listeners(app)
    modals.register_listeners(app)
    team_config.register_listeners(app)
    inbox.register_listeners(app)
    lifecycle.register_listeners(app)
    home.register_listeners(app)
    return app
