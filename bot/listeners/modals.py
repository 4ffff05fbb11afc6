"""Modal submissions: ``/debt add`` and ``/debt assess``.

Field problems go back into the modal (``response_action: errors`` keyed by block id);
a valid submission is written in one transaction, audited, and confirmed to the submitter.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, App, BoltContext

from bot.runtime import Runtime
from bot.services import register as register_service
from bot.services.register_csv import RegisterRow
from bot.slack import register_views
from bot.slack.blocks import is_user_id
from bot.slack.people import not_a_person
from bot.slack.replies import tell
from storage import register
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


def submitted_values(view: dict[str, Any]) -> dict[str, str]:
    """``{block_id: value}`` from a view submission's state (text, selects, users)."""
    values: dict[str, str] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        for action in actions.values():
            kind = action.get("type")
            if kind == "plain_text_input":
                value = action.get("value")
            elif kind == "static_select":
                value = (action.get("selected_option") or {}).get("value")
            elif kind == "users_select":
                value = action.get("selected_user")
            else:
                value = None
            if value not in (None, ""):
                values[block_id] = str(value).strip()
    return values


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


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
    ack()
    now = runtime.clock()
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
        tell(
            context.client,
            channel=_metadata(view).get("channel"),
            user=user,
            text=":x: The new item could not be saved; nothing was added. Please try again.",
        )
        return
    tell(
        context.client,
        channel=_metadata(view).get("channel"),
        user=user,
        text=f":white_check_mark: Added *{item.key}* {esc(item.title)}.",
    )


def handle_assess(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    runtime: Runtime = context["runtime"]
    user = body["user"]["id"]
    meta = _metadata(view)
    values = submitted_values(view)
    missing = {name: "Choose a rating from 1 to 5." for name in RATINGS if name not in values}
    if not context["is_lead"]:
        missing = {"impact": "Only team leads can assess debt items."}
    if missing:
        ack(response_action="errors", errors=missing)
        return
    ratings = {name: int(values[name]) for name in RATINGS}
    if any(not 1 <= v <= 5 for v in ratings.values()):
        ack(
            response_action="errors",
            errors={n: "1 to 5" for n, v in ratings.items() if not 1 <= v <= 5},
        )
        return
    with runtime.transaction() as session:
        item = register.get_item(session, team_id=context["team"], key=str(meta.get("key", "")))
        if item is None:
            ack(response_action="errors", errors={"impact": "This item no longer exists."})
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
    tell(context.client, channel=meta.get("channel"), user=user, text=text)


def register_listeners(app: App) -> None:
    app.view(register_views.ADD_CALLBACK)(handle_add)
    app.view(register_views.ASSESS_CALLBACK)(handle_assess)
