"""A workspace's install, uninstall and revoked tokens, as Slack tells them.

``app_uninstalled`` and ``tokens_revoked`` (Events API) stop the workspace's work before the
event is acknowledged (the listener runs in the request's thread); Bolt skips its token
check for them, the token being gone already. A completed OAuth install makes the
workspace active again, then shows Bolt's own success page.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from sqlalchemy.exc import SQLAlchemyError

from bot.runtime import Runtime
from bot.services import team_lifecycle
from storage.models import TeamLifecycle

logger = logging.getLogger(__name__)


def app_uninstalled(context: BoltContext) -> None:
    team_lifecycle.workspace_gone(
        context["runtime"],
        context["team"],
        state=TeamLifecycle.uninstalled,
        reason="Slack: app_uninstalled",
    )


def tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
    tokens = event.get("tokens") or {}
    runtime: Runtime = context["runtime"]
    if tokens.get("bot"):
        team_lifecycle.workspace_gone(
            runtime,
            context["team"],
            state=TeamLifecycle.tokens_revoked,
            reason="Slack: tokens_revoked (bot token)",
        )
    users = [str(user) for user in tokens.get("oauth") or []]
    if users:
        team_lifecycle.user_tokens_revoked(runtime, context["team"], users)


def install_callbacks(runtime: Runtime) -> CallbackOptions:
    """Bolt's OAuth callbacks: on success the workspace is recorded active (a failure to
    record is logged: a newer install counts as active all the same), then Bolt's page."""

    def success(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        team = installation.team_id or installation.enterprise_id
        if team:
            try:
                team_lifecycle.installed(runtime, team, installer=installation.user_id)
            except SQLAlchemyError:
                logger.exception("could not record the install of %s", team)
        return args.default.success(args)

    def failure(args: FailureArgs) -> BoltResponse:
        return args.default.failure(args)

    return CallbackOptions(success=success, failure=failure)


def register_listeners(app: App) -> None:
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
