"""Per-request concerns, as Bolt middleware: runtime, team, lead check, redelivery.

Listeners find ``context["runtime"]`` (database transactions, settings), ``context["team"]``
and ``context["is_lead"]`` ready, and never see a redelivered event or a retried
interaction. The runtime is the team's own (``Runtime.for_team``): its settings are the
team's effective ones (``bot.services.team_settings``, kept in memory for a few seconds, so
a request costs no query for them), and so are its leads.

Slack retries Events API deliveries (the same ``event_id``, with ``X-Slack-Retry-Num``); those
are recognised by ``event_id``, recorded in the database, so a retry after a restart is
caught too. Slash commands and interactions (clicks, modal submissions) are never retried by
Slack itself; one that arrives with ``X-Slack-Retry-Num`` is a replay of a request already
delivered, and is acknowledged without acting again: no second item, upload or confirmation.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.services import team_settings
from storage import events

logger = logging.getLogger(__name__)
USERGROUP_TTL_S = 300.0


def _team_of(context: BoltContext, body: dict[str, Any]) -> str | None:
    team = context.team_id or body.get("team_id")
    if not team and isinstance(body.get("team"), dict):
        team = body["team"].get("id")
    return str(team) if team else None


class LeadDirectory:
    """Who counts as a lead of one workspace: its leads' user ids (the team's ``leads``
    setting, DEBTPULSE_LEADS, or the installer), or members of a listed usergroup."""

    def __init__(self, leads: list[str]) -> None:
        self.leads = tuple(leads)
        self.users = {lead for lead in leads if not lead.startswith("S")}
        self.groups = [lead for lead in leads if lead.startswith("S")]
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def is_lead(self, user: str | None, client: Any) -> bool:
        if not user:
            return False
        if user in self.users:
            return True
        return any(user in self._members(group, client) for group in self.groups)

    def _members(self, group: str, client: Any) -> frozenset[str]:
        with self._lock:
            cached = self._cache.get(group)
            if cached and time.monotonic() - cached[0] < USERGROUP_TTL_S:
                return cached[1]
        try:
            members = frozenset(client.usergroups_users_list(usergroup=group).get("users", []))
        except SlackApiError as exc:
            logger.warning("could not list usergroup %s: %s", group, exc.response.get("error"))
            members = frozenset()
        with self._lock:
            self._cache[group] = (time.monotonic(), members)
        return members


class TeamContexts:
    """Each request's runtime, its team's own, and each team's lead directory (so the
    members of its usergroups stay cached while its leads do not change). A team's runtime is
    made again only when its settings changed (they come from memory: no query per request)
    or the process's parts it shares did."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._made: dict[str, tuple[Runtime, LeadDirectory]] = {}

    def of(self, team: str) -> tuple[Runtime, LeadDirectory]:
        process = self.runtime
        settings = team_settings.effective(process, team)
        made = self._made.get(team)
        if made is not None:
            view, leads = made
            if (
                view.settings is settings
                and view.engine is process.engine
                and view.clock is process.clock
                and view.__dict__.get("roi") is process.__dict__.get("roi")
            ):
                return made
        if made is None or made[1].leads != tuple(settings.leads):
            leads = LeadDirectory(settings.leads)
        else:
            leads = made[1]
        view = process.for_team(team, settings=settings)
        self._made[team] = (view, leads)
        return view, leads


def _forget(runtime: Runtime, team: str, event_id: str) -> None:
    try:
        with runtime.transaction() as session:
            events.forget_delivery(session, team_id=team, event_id=event_id)
    except Exception:
        logger.exception("event %s failed and could not be forgotten: a retry is ignored", event_id)


def install(app: App, runtime: Runtime) -> None:
    """Register the middleware on ``app``, in order."""
    teams = TeamContexts(runtime)

    def prepare(
        context: BoltContext, body: dict[str, Any], request: BoltRequest, next: Callable[[], Any]
    ) -> Any:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        retry = request.headers.get("x-slack-retry-num") or []
        if not event_id and any(attempt not in ("", "0") for attempt in retry):
            kind = body.get("type") or body.get("command") or "request"
            logger.info("a retried %s was acknowledged and not acted on again", kind)
            return BoltResponse(status=200, body="")
        team = _team_of(context, body) or runtime.default_team
        team_runtime, leads = teams.of(team)
        context["runtime"] = team_runtime
        context["team"] = team
        context["is_lead"] = leads.is_lead(context.user_id, context.client)
        if event_id:
            with runtime.transaction() as session:
                first = events.first_delivery(
                    session, team_id=context["team"], event_id=str(event_id), at=runtime.clock()
                )
            if not first:
                logger.info("event %s delivered again: already handled", event_id)
                return BoltResponse(status=200, body="")
        return next()

    app.use(prepare)  # one middleware: each one costs Bolt a call per request

    def listener_failed(error: Exception, body: dict[str, Any], context: BoltContext) -> None:
        """A listener's error, logged as Bolt does; when it was an event's (an uninstall,
        say), the event is forgotten again, so Slack's retry of it acts instead of being
        taken for a redelivery of an event handled already."""
        logger.exception("a listener failed", exc_info=error)
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        team = context.get("team")
        if event_id and team:
            _forget(runtime, str(team), str(event_id))

    app.error(listener_failed)
