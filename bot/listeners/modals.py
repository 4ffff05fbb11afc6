"""Modal submissions: ``/debt add`` and ``/debt assess``.

Field problems go back into the modal (``response_action: errors`` keyed by block id);
a valid submission is written in one transaction, audited, and confirmed to the submitter.
Every value a client can change (selects, metadata, the view id) is checked here: a crafted
one is answered with a field error, never a 500. A view is acted on once: a submission of a
view already acted on (a replayed request) is recorded by view id (``inbound_event``, as
``view:<id>:<hash>``) and refused, so it adds no second item.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, App, BoltContext
from sqlmodel import Session

from bot.runtime import Runtime
from bot.services import register as register_service
from bot.services.register_csv import RegisterRow
from bot.slack import register_views
from bot.slack.blocks import is_user_id
from bot.slack.confirmations import confirm_later
from bot.slack.people import not_a_person
from bot.slack.replies import tell
from storage import events, register
from surveys import mrkdwn_escape as esc

logger = logging.getLogger(__name__)
TEXT_FIELDS = (
    "title",
    "component",
    "problem",
    "affected_metrics",
    "remediation",
    "expected_impact",
    "success_criterion",
)
RATINGS = ("impact", "likelihood", "detectability")
RATING_VALUES = frozenset("12345")
#: The answer to a submission of a view that was acted on already.
ALREADY_SUBMITTED = "This form was submitted already; it is acted on once."
#: Slack's view ids (``V0123ABCD``) and view hashes (``1712345678.AbCd1234``).
_VIEW_ID = re.compile(r"^[A-Z0-9]{1,20}$")
_VIEW_HASH = re.compile(r"^[A-Za-z0-9._-]{1,38}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{1,40}$")


def view_key(view: dict[str, Any]) -> str | None:
    """The key a view's submission is recorded under (``view:<id>:<hash>``, at most 64
    characters); None for a view id Slack never sends. A replayed request carries the very
    same id and hash; the hash also tells apart views that reuse an id (a fake Slack whose
    ids restart)."""
    view_id, view_hash = view.get("id"), view.get("hash")
    if not isinstance(view_id, str) or not _VIEW_ID.match(view_id):
        return None
    if isinstance(view_hash, str) and _VIEW_HASH.match(view_hash):
        return f"view:{view_id}:{view_hash}"
    return f"view:{view_id}"


def first_submission(session: Session, *, team: str, view: dict[str, Any], at: datetime) -> bool:
    """Record that ``view`` is acted on now (in the caller's transaction); False when it
    was acted on already, or carries no view id Slack would send."""
    key = view_key(view)
    if key is None:
        return False
    return events.first_delivery(session, team_id=team, event_id=key, at=at)


def submitted_values(view: dict[str, Any]) -> dict[str, str]:
    """``{block_id: value}`` from a view submission's state (text, selects, users); parts of
    another shape than Slack's are left out."""
    values: dict[str, str] = {}
    state = view.get("state")
    blocks = state.get("values") if isinstance(state, dict) else None
    for block_id, actions in (blocks if isinstance(blocks, dict) else {}).items():
        for action in actions.values() if isinstance(actions, dict) else ():
            if not isinstance(action, dict):
                continue
            kind = action.get("type")
            if kind == "plain_text_input":
                value = action.get("value")
            elif kind == "static_select":
                chosen = action.get("selected_option")
                value = chosen.get("value") if isinstance(chosen, dict) else None
            elif kind == "users_select":
                value = action.get("selected_user")
            else:
                value = None
            if isinstance(value, str | int) and value != "":
                values[block_id] = str(value).strip()
    return values


def modal_metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except (json.JSONDecodeError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def metadata_channel(meta: dict[str, Any]) -> str | None:
    """The channel a modal was opened from, when its metadata names one."""
    channel = meta.get("channel")
    return channel if isinstance(channel, str) and _CHANNEL_ID.match(channel) else None


def _errors(exc: ValidationError, blocks: set[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        field = str(error["loc"][0]) if error["loc"] else ""
        if not field and ": " in message:
            field, _, message = message.partition(": ")
        errors.setdefault(field if field in blocks else "title", message)
    return errors


def handle_add(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    runtime: Runtime = context["runtime"]
    user = body["user"]["id"]
    if not context["is_lead"]:
        ack(response_action="errors", errors={"title": "Only team leads can add debt items."})
        return
    values = submitted_values(view)
    blocks = {b.get("block_id", "") for b in view.get("blocks", [])}
    fields = {
        name: values[name]
        for name in (*TEXT_FIELDS, "category", "effort", *RATINGS)
        if name in values
    }
    if "owner" in values:
        fields["owner"] = values["owner"]
    try:
        row = RegisterRow.model_validate({"key": "DEBT-0", **fields})
    except ValidationError as exc:
        ack(response_action="errors", errors=_errors(exc, blocks))
        return
    if not row.title:
        ack(response_action="errors", errors={"title": "A title is required."})
        return
    problem = (
        not_a_person(context.client, row.owner) if row.owner and is_user_id(row.owner) else None
    )
    if problem is not None:
        ack(response_action="errors", errors={"owner": f"{problem}: choose a person."})
        return
    now = runtime.clock()
    with runtime.transaction() as session:
        first = first_submission(session, team=context["team"], view=view, at=now)
    if not first:
        logger.info("/debt add: a view submitted again was not acted on")
        ack(response_action="errors", errors={"title": ALREADY_SUBMITTED})
        return
    ack()
    try:
        with runtime.transaction() as session:
            item = register_service.add_item(
                session,
                team_id=context["team"],
                fields=row.item_fields(),
                actor=user,
                reason="/debt add",
                now=now,
            )
            if row.assessment is not None:
                impact, likelihood, detectability = row.assessment
                register_service.assess(
                    session,
                    item=item,
                    impact=impact,
                    likelihood=likelihood,
                    detectability=detectability,
                    actor=user,
                    reason="/debt add",
                    now=now,
                )
    except Exception:
        # The modal is closed already: the lead hears of it here, not from a silent log.
        logger.exception("/debt add: the new item could not be saved")
        confirm_later(
            tell,
            context.client,
            channel=metadata_channel(modal_metadata(view)),
            user=user,
            text=":x: The new item could not be saved; nothing was added. Please try again.",
        )
        return
    confirm_later(
        tell,
        context.client,
        channel=metadata_channel(modal_metadata(view)),
        user=user,
        text=f":white_check_mark: Added *{item.key}* {esc(item.title)}.",
    )


def handle_assess(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    runtime: Runtime = context["runtime"]
    user = body["user"]["id"]
    meta = modal_metadata(view)
    values = submitted_values(view)
    missing = {name: "Choose a rating from 1 to 5." for name in RATINGS if name not in values}
    if not context["is_lead"]:
        missing = {"impact": "Only team leads can assess debt items."}
    if missing:
        ack(response_action="errors", errors=missing)
        return
    off_scale = {
        name: f"Choose a rating from 1 to 5 (not {values[name][:20]!r})."
        for name in RATINGS
        if values[name] not in RATING_VALUES
    }
    if off_scale:
        ack(response_action="errors", errors=off_scale)
        return
    ratings = {name: int(values[name]) for name in RATINGS}
    key = meta.get("key")
    with runtime.transaction() as session:
        item = (
            register.get_item(session, team_id=context["team"], key=key)
            if isinstance(key, str)
            else None
        )
        if item is None:
            ack(response_action="errors", errors={"impact": "This item no longer exists."})
            return
        if not first_submission(session, team=context["team"], view=view, at=runtime.clock()):
            ack(response_action="errors", errors={"impact": ALREADY_SUBMITTED})
            return
        ack()
        changed = register_service.assess(
            session,
            item=item,
            actor=user,
            reason=values.get("note", "/debt assess"),
            now=runtime.clock(),
            **ratings,
        )
        key = item.key
    text = (
        f":white_check_mark: Assessed *{key}*: impact {ratings['impact']}, "
        f"likelihood {ratings['likelihood']}, detectability {ratings['detectability']}."
        if changed
        else f"*{key}* already had that assessment; nothing changed."
    )
    confirm_later(tell, context.client, channel=metadata_channel(meta), user=user, text=text)


def register_listeners(app: App) -> None:
    app.view(register_views.ADD_CALLBACK)(handle_add)
    app.view(register_views.ASSESS_CALLBACK)(handle_assess)
