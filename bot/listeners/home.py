"""The App Home tab, and the events debtpulse listens to.

A lead of a workspace that cannot run polls yet sees the "Set up debtpulse" steps on top
(``bot.services.workspace_setup``), until every one is done.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.anonymity import participant
from bot.runtime import Runtime
from bot.services.ranking import OPEN_STATUSES, current_ranking
from bot.services.workspace_setup import setup_state
from bot.slack import home_views
from bot.slack.people import channel_members
from storage import polls, register

HOME_TOP = 10
logger = logging.getLogger(__name__)


def publish_home(event: dict[str, Any], context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    publish(
        context["runtime"],
        context["team"],
        event["user"],
        context.client,
        is_lead=bool(context["is_lead"]),
    )


def publish(runtime: Runtime, team: str, user: str, client: WebClient, *, is_lead: bool) -> None:
    """Build ``user``'s App Home and publish it; a lead whose workspace is not set up yet
    sees the steps left first."""
    setup = None
    if is_lead:
        state = setup_state(runtime, team, client)
        setup = None if state.complete else state
    with runtime.transaction(write=False) as session:
        ranking = current_ranking(
            session, team_id=team, now=runtime.clock(), settings=runtime.score_settings
        )
        waiting = polls.open_runs_reaching(
            session,
            team_id=team,
            user_id=user,
            participant=lambda run: participant(
                secret=runtime.anon_secret,
                run_id=run.id or 0,
                anonymous=run.anonymous,
                user_id=user,
            ),
        )
        owned = [
            item
            for item in register.list_items(session, team_id=team, statuses=OPEN_STATUSES)
            if item.owner == user
        ]
    titles = {t.id: t.survey.title for t in runtime.catalog.values() if t.survey is not None}
    open_polls = [
        home_views.HomePoll(
            run_id=run.id or 0,
            title=titles.get(run.survey_id, run.survey_id),
            channel=None if recipient == user else recipient,
            closes_at=run.closes_at,
        )
        for run, recipient in waiting
        if recipient == user or _member_of(client, recipient, user)
    ]
    client.views_publish(
        user_id=user,
        view=home_views.home_view(
            top=ranking.items[:HOME_TOP],
            records=ranking.records,
            open_polls=open_polls,
            owned=owned,
            setup=setup,
        ),
    )


def _member_of(client: WebClient, channel: str, user: str) -> bool:
    """Whether ``user`` is in ``channel`` (a channel poll is for its members only)."""
    try:
        return user in channel_members(client, channel)
    except SlackApiError as exc:  # an unknown or archived channel: not shown
        logger.info("members of %s unknown (%s)", channel, exc.response.get("error"))
        return False


def ignore(ack: Ack) -> None:
    """Events debtpulse does not act on still get a 200, so Slack does not retry them."""
    ack()


def register_listeners(app: App) -> None:
    # acknowledged at once; the Home tab is built and published on a thread of its own
    app.event("app_home_opened")(ack=ignore, lazy=[publish_home])
    app.event(re.compile(".*"))(ignore)
