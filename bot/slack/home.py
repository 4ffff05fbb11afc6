"""The App Home tab, and the events debtpulse listens to."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.core.ranking import OPEN_STATUSES, current_ranking
from bot.runtime import Runtime
from bot.slack import views
from storage import polls, register

HOME_TOP = 10


def publish_home(event: dict[str, Any], context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    runtime: Runtime = context["runtime"]
    user = event["user"]
    team = context["team"]
    with runtime.transaction(write=False) as session:
        ranking = current_ranking(
            session, team_id=team, now=runtime.clock(), settings=runtime.score_settings
        )
        waiting = polls.open_runs_without(session, team_id=team, user_id=user)
        owned = [
            item
            for item in register.list_items(session, team_id=team, statuses=OPEN_STATUSES)
            if item.owner == user
        ]
    titles = {t.id: t.survey.title for t in runtime.catalog.values() if t.survey is not None}
    open_polls = [
        f"{titles.get(run.survey_id, run.survey_id)} (closes {run.closes_at:%a %d %b %H:%M} UTC)"
        if run.closes_at
        else titles.get(run.survey_id, run.survey_id)
        for run in waiting
    ]
    context.client.views_publish(
        user_id=user,
        view=views.home_view(
            top=ranking.items[:HOME_TOP],
            records=ranking.records,
            open_polls=open_polls,
            owned=owned,
        ),
    )


def ignore(ack: Ack) -> None:
    """Events debtpulse does not act on still get a 200, so Slack does not retry them."""
    ack()


def register_listeners(app: App) -> None:
    app.event("app_home_opened")(publish_home)
    app.event(re.compile(".*"))(ignore)
