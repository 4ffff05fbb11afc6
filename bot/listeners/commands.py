"""The ``/debt`` slash command: parse → check → call core → render → reply.

Quick answers (help, usage, refusals) go back in the acknowledgement itself; anything that
reads or writes the database is acknowledged first and answered through ``respond`` (the
command's response_url), so Slack always gets its answer within 3 seconds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.listeners import inbox, team_config
from bot.runtime import Runtime
from bot.services import (
    dashboard,
    digest_jobs,
    per_team,
    poll_jobs,
    poll_report,
    reviews,
    signal_tokens,
)
from bot.services import register as register_service
from bot.services import roi as roi_service
from bot.services.explain import explain_item
from bot.services.ranking import current_ranking
from bot.slack import (
    blocks,
    dashboard_views,
    digest_views,
    help_views,
    poll_views,
    ranking_views,
    register_views,
    roi_views,
    signals_views,
)
from bot.slack.parse import USAGE, Command, UsageError, parse
from bot.slack.people import not_a_person
from storage import polls, register
from surveys import mrkdwn_escape as esc

logger = logging.getLogger(__name__)
Payload = dict[str, Any]


class Request:
    """What a subcommand handler needs: who, where, the runtime and the Web API client."""

    def __init__(self, *, command: Command, body: dict[str, Any], context: BoltContext) -> None:
        self.command = command
        self.user: str = body.get("user_id", "")
        self.channel: str = body.get("channel_id", "")
        self.trigger_id: str = body.get("trigger_id", "")
        self.team: str = context["team"]
        self.runtime: Runtime = context["runtime"]
        self.is_lead: bool = bool(context.get("is_lead"))
        self.client: WebClient = context.client

    def arg(self, name: str) -> Any:
        return self.command.args.get(name)


def _top(req: Request) -> Payload:
    runtime = req.runtime
    with runtime.transaction(write=False) as session:
        ranking = current_ranking(
            session,
            team_id=req.team,
            now=runtime.clock(),
            settings=runtime.score_settings,
            category=req.arg("category"),
            component=req.arg("component"),
        )
    limit = int(req.arg("limit") or 10)
    scope = " ".join(str(a) for a in (req.arg("category"), req.arg("component")) if a)
    if not ranking.items and scope:
        given = {name: req.arg(name) for name in ("category", "component")}
        filters = [f"{name} `{value}`" for name, value in given.items() if value]
        return blocks.notice(
            f"No open debt items in {' and '.join(filters)}. Usage: {USAGE['top']}"
        )
    title = f"Top {min(limit, len(ranking.items))} debt items" + (f" · {scope}" if scope else "")
    return ranking_views.top_message(ranking.items[:limit], ranking.records, title=title)


def _why(req: Request) -> Payload:
    runtime, key = req.runtime, req.arg("key")
    with runtime.transaction(write=False) as session:
        explanation = explain_item(
            session,
            team_id=req.team,
            key=key,
            now=runtime.clock(),
            settings=runtime.score_settings,
        )
    explained = explanation.explained
    if explained is None:
        if not explanation.found:
            return blocks.notice(f"No debt item `{key}`.")
        return blocks.notice(
            f"`{key}` has status `{explanation.status}`, so it has no score: "
            "only `open` and `in_progress` items are ranked."
        )
    return ranking_views.why_message(explained.ranked, explained.lines, explained.change)


def _roi(req: Request) -> Payload:
    """``roi KEY``: what fixing the item returned. Open to everyone: it shows only figures
    under the anonymity rule (weeks below the minimum group have no value)."""
    runtime = req.runtime
    ctx = roi_service.context_for(runtime, req.team)
    try:
        with runtime.transaction(write=False) as session:
            report = roi_service.item_roi(session, ctx, req.arg("key"))
    except roi_service.RoiRefused as refused:
        return roi_views.roi_refused(refused.message)
    return roi_views.roi_message(report, min_group=ctx.min_group)


def _show(req: Request) -> Payload:
    runtime, key = req.runtime, req.arg("key")
    with runtime.transaction(write=False) as session:
        item = register.get_item(session, team_id=req.team, key=key)
        if item is None:
            return blocks.notice(f"No debt item `{key}`.")
        assessment = register.latest_assessment(session, item=item)
        ranking = current_ranking(
            session, team_id=req.team, now=runtime.clock(), settings=runtime.score_settings
        )
    return register_views.item_message(
        item,
        assessment,
        ranking.find(key),
        effort_spent_days=item.effort_spent_days,
        accepted_until=item.accepted_until,
    )


def _change(req: Request, field: str, value: str) -> Payload:
    runtime, key, why = req.runtime, req.arg("key"), str(req.arg("why") or "")
    with runtime.transaction() as session:
        item = register.get_item(session, team_id=req.team, key=key)
        if item is None:
            return blocks.notice(f"No debt item `{key}`.")
        _, outcome = register_service.save_item(
            session,
            team_id=req.team,
            key=key,
            fields={field: value},
            actor=req.user,
            reason=register_service.command_reason(f"/debt {field}", why),
            now=runtime.clock(),
        )
    shown = f"<@{value}>" if field == "owner" else f"`{value}`"
    if outcome == "unchanged":
        return blocks.notice(f"`{key}` already has {field} {shown}.")
    noted = f" Noted why: {esc(why)}" if why else ""
    return blocks.notice(f":white_check_mark: `{key}` {field} is now {shown}.{noted}")


def _owner(req: Request) -> Payload:
    problem = not_a_person(req.client, req.arg("user"))
    if problem is not None:
        return blocks.notice(f":x: {problem}; the owner was not changed.")
    return _change(req, "owner", req.arg("user"))


def _status(req: Request) -> Payload:
    """``status KEY STATUS``, with the effort of a fix or the review date of accepted debt."""
    runtime, key, why = req.runtime, req.arg("key"), str(req.arg("why") or "")
    try:
        with runtime.transaction() as session:
            change = register_service.set_status(
                session,
                team_id=req.team,
                key=key,
                status=req.arg("status"),
                why=why,
                command="/debt status",
                actor=req.user,
                now=runtime.clock(),
                zone=reviews.team_zone(runtime),
                effort_days=req.arg("effort"),
                accepted_until=req.arg("until"),
            )
    except register_service.StatusRefused as exc:
        return help_views.usage_message(str(exc), USAGE["status"])
    if change is None:
        return blocks.notice(f"No debt item `{key}`.")
    return register_views.status_changed(
        key=change.key,
        status=change.status,
        recorded=change.outcome != "unchanged",
        status_changed=change.status_changed,
        effort_days=change.effort_days,
        accepted_until=change.accepted_until,
        why=why,
    )


def _polls(req: Request) -> Payload:
    with req.runtime.transaction(write=False) as session:
        summaries = polls.recent_runs(session, team_id=req.team)
    rows = []
    for summary in summaries:
        run = summary.run
        when = f"{run.status}, {run.scheduled_for:%Y-%m-%d %H:%M} UTC"
        audience = summary.direct_recipients or None
        rows.append((str(run.id), run.survey_id, when, summary.respondents, audience))
    return poll_views.polls_message(rows)


def _export(req: Request) -> Payload:
    with req.runtime.transaction(write=False) as session:
        csv_text = register_service.export_register(
            session, team_id=req.team, zone=reviews.team_zone(req.runtime)
        )
    count = max(csv_text.count("\n") - 1, 0)
    today = req.runtime.clock().date()
    try:
        dm = req.client.conversations_open(users=req.user)["channel"]["id"]
        req.client.files_upload_v2(
            channel=dm,
            content=csv_text,
            filename=f"debt-register-{today.isoformat()}.csv",
            title=f"Debt register ({count} items, {today.isoformat()})",
            initial_comment="The debt register as CSV (the `debtpulse debt import` layout).",
        )
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown error")
        return blocks.notice(f":x: Could not upload the export ({error}). Nothing was changed.")
    return blocks.notice(f":white_check_mark: Sent the register ({count} items) to your DMs.")


def _poll(req: Request) -> Payload:
    action, target = req.arg("action"), str(req.arg("target"))
    try:
        runtime = _posting(req)
    except LookupError as exc:
        return blocks.notice(f":x: {esc(str(exc.args[0]))}.")
    if action == "close":
        with runtime.transaction(write=False) as session:
            run = polls.run_by_id(session, run_id=int(target), team_id=req.team)
        if run is None:
            return blocks.notice(f"No poll run `#{target}`. See `/debt polls`.")
        closed = poll_jobs.close_poll(runtime, int(target))
        if closed is None:
            return blocks.notice(f"Run `#{target}` was closed already.")
        mark = ":warning:" if closed.problems else ":white_check_mark:"
        return blocks.notice(f"{mark} {esc(poll_report.describe_close(int(target), closed))}")
    try:
        run_id = poll_jobs.open_poll(
            runtime, target, poll_jobs.manual_slot(runtime.clock()), source="manual"
        )
    except LookupError as exc:
        known = ", ".join(sorted(t.id for t in runtime.catalog.values() if t.survey is not None))
        return blocks.notice(f":x: {esc(str(exc.args[0]))}. Surveys: {esc(known)}.")
    if run_id is None:
        return blocks.notice(f"`{esc(target)}` was opened this minute already.")
    reached = poll_report.reach(runtime, run_id)
    mark = ":white_check_mark:" if reached.complete else ":warning:"
    return blocks.notice(f"{mark} {esc(poll_report.describe_open(target, run_id, reached))}")


def _posting(req: Request) -> Runtime:
    """What polls and digests are posted with in the workspace the command was typed in: its
    settings and its own bot token. LookupError when the workspace has none (uninstalled)."""
    return per_team.posting_runtime(req.runtime, req.team)


def _digest(req: Request) -> Payload:
    runtime = req.runtime
    digest_id = digest_jobs.default_digest_id(runtime)
    try:
        if req.arg("action") == "preview":
            return digest_jobs.preview(runtime, digest_id, team=req.team).message
        posting = _posting(req)
        results = digest_jobs.post_digest(
            posting, digest_id, posting.clock(), force=bool(req.command.args.get("force"))
        )
    except (LookupError, RuntimeError) as exc:
        return blocks.notice(f":x: {esc(str(exc.args[0]))}.")
    return digest_views.digest_posted([(r.channel, r.outcome, r.detail) for r in results])


def _signals(req: Request) -> Payload:
    """``signals token [rotate]``: this workspace's own token for ``POST /api/signals``."""
    runtime = req.runtime
    if not req.arg("rotate"):
        with runtime.transaction(write=False) as session:
            info = signal_tokens.current(session, team_id=req.team)
        shown = None if info is None else (info.hint, info.created_at, info.created_by)
        return signals_views.token_status(shown)
    with runtime.transaction() as session:
        issued = signal_tokens.rotate(
            session,
            team_id=req.team,
            actor=req.user,
            reason="/debt signals token rotate",
            now=runtime.clock(),
        )
    old = issued.replaced
    replaced = None if old is None else (old.hint, old.created_at, old.created_by)
    return signals_views.token_issued(issued.token, replaced)


def _dashboard(req: Request) -> Payload:
    """``dashboard``: a one-time sign-in link to the web dashboard, for this person alone."""
    url = dashboard.issue_link(req.runtime, team=req.team, user=req.user, is_lead=req.is_lead)
    return dashboard_views.dashboard_link(
        url,
        is_lead=req.is_lead,
        minutes=int(dashboard.LINK_TTL.total_seconds() // 60),
        hours=int(dashboard.SESSION_TTL.total_seconds() // 3600),
    )


def _inbox(req: Request) -> Payload:
    """``inbox``: the webhook signals no item claimed, by group, to route or ignore."""
    return inbox.inbox_reply(req.runtime, req.team)


HANDLERS: dict[str, Callable[[Request], Payload]] = {
    "top": _top,
    "why": _why,
    "roi": _roi,
    "show": _show,
    "owner": _owner,
    "status": _status,
    "polls": _polls,
    "export": _export,
    "poll": _poll,
    "digest": _digest,
    "signals": _signals,
    "inbox": _inbox,
    "dashboard": _dashboard,
}


def _open_modal(req: Request) -> Payload | None:
    """``add`` and ``assess`` open a modal; returns a reply only when that is not possible."""
    metadata = json.dumps({"channel": req.channel})
    with req.runtime.transaction(write=False) as session:
        if req.command.name == "add":
            view = register_views.add_modal(
                next_key=register.next_key(session, team_id=req.team), metadata=metadata
            )
        else:
            item = register.get_item(session, team_id=req.team, key=req.arg("key"))
            if item is None:
                return blocks.notice(f"No debt item `{req.arg('key')}`.")
            current = register.latest_assessment(session, item=item)
            metadata = json.dumps({"channel": req.channel, "key": item.key})
            view = register_views.assess_modal(item, current, metadata=metadata)
    try:
        req.client.views_open(trigger_id=req.trigger_id, view=view)
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown error")
        return blocks.notice(f":x: Could not open the form ({error}). Please try again.")
    return None


def _refusal(body: dict[str, Any], context: BoltContext) -> Payload | None:
    """What ``/debt`` answers in its acknowledgement (usage, refusal, help); None when the
    command does its work after the acknowledgement."""
    try:
        command = parse(body.get("text", ""))
    except UsageError as exc:
        return help_views.usage_message(exc.message, exc.usage)
    label = command.name + (f" {command.args['action']}" if "action" in command.args else "")
    if command.lead_only and not context["is_lead"]:
        return help_views.refusal(label)
    if command.name == "help":
        return help_views.help_message(is_lead=context["is_lead"])
    return None


def ack_debt(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Acknowledge at once: with the answer when it needs nothing else, empty otherwise."""
    answer = _refusal(body, context)
    if answer is not None:
        ack(response_type="ephemeral", **answer)
    else:
        ack()


def handle_debt(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    """The command's work, after its acknowledgement went out (Bolt runs it on a thread of
    its own); the outcome reaches the user through the response URL."""
    if _refusal(body, context) is not None:
        return  # answered in the acknowledgement
    command = parse(body.get("text", ""))
    label = command.name + (f" {command.args['action']}" if "action" in command.args else "")
    req = Request(command=command, body=body, context=context)
    try:
        if command.name in {"add", "assess"}:
            reply = _open_modal(req)
        elif command.name == "config":
            reply = team_config.open_form(
                req.runtime,
                req.team,
                client=req.client,
                trigger_id=req.trigger_id,
                channel=req.channel,
            )
        else:
            reply = HANDLERS[command.name](req)
    except Exception:
        logger.exception("/debt %s failed", label)
        reply = blocks.notice(":x: Something went wrong on our side; nothing was changed.")
    if reply is not None:
        respond(response_type="ephemeral", replace_original=False, **reply)


def register_listeners(app: App) -> None:
    app.command("/debt")(ack=ack_debt, lazy=[handle_debt])
