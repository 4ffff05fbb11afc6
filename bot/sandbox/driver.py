"""``SlackDriver``: plays Slack's part towards the bot's real HTTP endpoint.

It sends correctly signed slash commands, button clicks, modal submissions and events,
the way Slack does (form bodies with a ``payload`` field for interactions, JSON for
events), waits at most 3 seconds for the acknowledgement, and — when given the
``FakeSlack`` — shows that acknowledgement where Slack would and clicks on what the bot
posted::

    driver = SlackDriver(bot_url, signing_secret, fake=slack)
    driver.slash(text="poll send weekly", user="U0LEAD")
    driver.click_button(action_id="poll_answer", user="U0USER")
    driver.submit_modal({"pain": "4"}, user="U0USER")
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from bot.sandbox import payloads
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.finder import Found
from bot.sandbox.records import JsonDict, ViewRecord
from bot.sandbox.transport import (
    FORM,
    JSON,
    SLACK_TIMEOUT,
    DriverResponse,
    SignedSender,
    Tamper,
)
from bot.sandbox.workspace import DEFAULT_CHANNEL_ID, DEFAULT_USER_ID, TEAM_ID, Workspace


class SlackDriver(SignedSender):
    """Sends what Slack would send, signed; reads and clicks what the fake Slack shows."""

    def __init__(
        self,
        bot_url: str,
        signing_secret: str,
        fake: FakeSlack | None = None,
        *,
        timeout: float = SLACK_TIMEOUT,
        raise_on_timeout: bool = False,
        default_user: str = DEFAULT_USER_ID,
        default_channel: str = DEFAULT_CHANNEL_ID,
    ) -> None:
        super().__init__(
            bot_url, signing_secret, timeout=timeout, raise_on_timeout=raise_on_timeout
        )
        self.fake = fake
        self.default_user = default_user
        self.default_channel = default_channel
        self.team = fake.workspace.team_id if fake else TEAM_ID

    def _send_payload(self, payload: JsonDict, *, tamper: Tamper | None) -> DriverResponse:
        body = urlencode({"payload": json.dumps(payload)})
        return self.send(body, content_type=FORM, tamper=tamper)

    # -- what Slack sends -------------------------------------------------------------------

    def slash(
        self,
        command: str = "/debt",
        text: str = "",
        *,
        user: str | None = None,
        channel: str | None = None,
        team: str | None = None,
        tamper: Tamper | None = None,
    ) -> DriverResponse:
        """A slash command; with a fake, its acknowledgement is shown to the user."""
        user = user or self.default_user
        channel = channel or self.default_channel
        form = payloads.slash_command_form(
            command=command,
            text=text,
            user=user,
            user_name=self._user_name(user),
            channel=channel,
            channel_name=self._channel_name(channel),
            team=team or self.team,
            response_url=self._response_url(channel=channel, user=user),
            trigger_id=self._trigger_id(user),
        )
        response = self.send(urlencode(form), content_type=FORM, tamper=tamper)
        if self.fake is None or not response.ok or not response.body_text.strip():
            return response
        try:
            ack = response.json()
        except ValueError:
            ack = {"text": response.body_text}
        if not isinstance(ack, dict):
            return response
        errors = self.fake.apply_command_ack(
            ack, channel=channel, user=user, team=team or self.team
        )
        return dataclasses.replace(response, ack_errors=errors)

    def block_action(
        self,
        action_id: str,
        value: str | None = None,
        *,
        user: str | None = None,
        block_id: str = "actions",
        action_type: str = "button",
        text: str | None = None,
        selected_option: JsonDict | None = None,
        selected_options: list[JsonDict] | None = None,
        selected_user: str | None = None,
        channel: str | None = None,
        message: JsonDict | None = None,
        ephemeral: bool = False,
        view: JsonDict | None = None,
        tamper: Tamper | None = None,
    ) -> DriverResponse:
        """A ``block_actions`` interaction built from explicit parts.

        With ``view``: a click in a modal or Home tab. Otherwise a click in a message of
        ``channel`` (``message`` its dict, ``ephemeral`` if only the user saw it).
        """
        label = None if text is None else {"type": "plain_text", "text": text, "emoji": True}
        action = payloads.action(
            action_id=action_id,
            block_id=block_id,
            action_type=action_type,
            text=label,
            value=value,
            selected_option=selected_option,
            selected_options=selected_options,
            selected_user=selected_user,
        )
        return self._send_action(
            action,
            user=user or self.default_user,
            channel=channel,
            message=message,
            ephemeral=ephemeral,
            view=view,
            tamper=tamper,
        )

    def click(
        self,
        found: Found,
        *,
        user: str | None = None,
        value: object = None,
        values: list[object] | None = None,
        user_id: str | None = None,
        tamper: Tamper | None = None,
    ) -> DriverResponse:
        """Click a button (or choose in a select) that ``FakeSlack.find_element`` found.

        ``value`` for selects, radio buttons and overflow menus (an option's value or text),
        ``values`` for checkboxes and multi-selects, ``user_id`` for users_select.
        """
        action = payloads.element_action(
            found.element, block_id=found.block_id, value=value, values=values, user_id=user_id
        )
        return self._send_action(
            action,
            user=user or found.user or self.default_user,
            channel=found.channel,
            message=found.message,
            message_ts=found.message_ts,
            ephemeral=found.source == "ephemeral",
            view=found.view,
            tamper=tamper,
        )

    def click_button(
        self,
        action_id: str | None = None,
        *,
        text: str | None = None,
        user: str | None = None,
        channel: str | None = None,
        tamper: Tamper | None = None,
    ) -> DriverResponse:
        """Find a button the user can see (open modal, ephemerals, messages) and click it."""
        found = self._require_fake().find_element(
            action_id=action_id, text=text, element_type="button", user=user, channel=channel
        )
        return self.click(found, user=user, tamper=tamper)

    def choose(
        self,
        action_id: str,
        value: object,
        *,
        user: str | None = None,
        channel: str | None = None,
        tamper: Tamper | None = None,
    ) -> DriverResponse:
        """Pick an option (by value or text) in a select, radio group or overflow menu;
        a list of them for checkboxes and multi-selects; a user id for users_select."""
        found = self._require_fake().find_element(action_id=action_id, user=user, channel=channel)
        if found.type in ("checkboxes", "multi_static_select"):
            several = list(value) if isinstance(value, list | tuple | set) else [value]
            return self.click(found, user=user, values=several, tamper=tamper)
        if found.type == "users_select":
            return self.click(found, user=user, user_id=str(value), tamper=tamper)
        return self.click(found, user=user, value=value, tamper=tamper)

    def fill_modal(
        self, view: ViewRecord | Mapping[str, Any], answers: Mapping[str, object]
    ) -> dict[str, JsonDict]:
        """``state.values`` answering the view's input blocks (keys: block_id)."""
        return payloads.fill_modal(view.view if isinstance(view, ViewRecord) else view, answers)

    def view_submission(
        self,
        view: ViewRecord | JsonDict,
        values: Mapping[str, JsonDict],
        *,
        user: str | None = None,
        tamper: Tamper | None = None,
    ) -> DriverResponse:
        """Submit ``view`` with ``values``; with a fake, the acknowledgement is applied."""
        owner = view.user if isinstance(view, ViewRecord) else None
        body = view.view if isinstance(view, ViewRecord) else view
        user = user or owner or self.default_user
        payload = payloads.view_payload(
            "view_submission", view=body, values=values, user=self._user_ref(user), team=self.team
        )
        response = self._send_payload(payload, tamper=tamper)
        if self.fake is None or not response.ok or "id" not in body:
            return response
        try:
            ack = response.json() if response.body_text.strip() else None
        except ValueError:
            ack = None
        errors = self.fake.apply_view_ack(view_id=body["id"], ack=ack)
        return dataclasses.replace(response, ack_errors=errors)

    def submit_modal(
        self,
        answers: Mapping[str, object],
        *,
        user: str | None = None,
        view: ViewRecord | None = None,
        tamper: Tamper | None = None,
    ) -> DriverResponse:
        """Fill and submit the modal open for ``user`` (or ``view``)."""
        user = user or self.default_user
        record = view or self._require_fake().open_modal(user)
        if record is None:
            raise LookupError(f"no modal is open for {user}")
        values = self.fill_modal(record, answers)
        return self.view_submission(record, values, user=user, tamper=tamper)

    def close_modal(
        self, view: ViewRecord, *, user: str | None = None, tamper: Tamper | None = None
    ) -> DriverResponse | None:
        """The user closes a modal: ``view_closed`` is sent only if it asked to be notified."""
        if self.fake is not None:
            self.fake.close_view(view.id)
        if not view.view.get("notify_on_close"):
            return None
        payload = payloads.view_payload(
            "view_closed",
            view=view.view,
            values={},
            user=self._user_ref(user or view.user),
            team=self.team,
        )
        return self._send_payload(payload, tamper=tamper)

    def event(
        self,
        event: JsonDict,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        tamper: Tamper | None = None,
    ) -> DriverResponse:
        """An Events API ``event_callback``; reuse ``event_id`` with ``retry_num`` for retries."""
        envelope = payloads.event_callback(event, team=self.team, event_id=event_id)
        return self.send(
            json.dumps(envelope),
            content_type=JSON,
            retry_num=retry_num,
            retry_reason=retry_reason,
            tamper=tamper,
        )

    def app_home_opened(self, user: str | None = None) -> DriverResponse:
        user = user or self.default_user
        event = {"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home"}
        return self.event(event)

    def url_verification(self, challenge: str = "debtpulse-challenge") -> DriverResponse:
        body = {"token": payloads.VERIFICATION_TOKEN, "challenge": challenge}
        return self.send(json.dumps(body | {"type": "url_verification"}), content_type=JSON)

    # -- helpers ------------------------------------------------------------------------------

    def _send_action(
        self,
        action: JsonDict,
        *,
        user: str,
        channel: str | None,
        message: JsonDict | None,
        ephemeral: bool,
        view: JsonDict | None,
        tamper: Tamper | None,
        message_ts: str | None = None,
    ) -> DriverResponse:
        response_url = None
        channel_ref = None
        if view is not None:
            container: JsonDict = {"type": "view", "view_id": view.get("id", "")}
        else:
            channel = channel or self.default_channel
            message_ts = message_ts or (message or {}).get("ts") or payloads.action_ts()
            container = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            }
            channel_ref = {"id": channel, "name": self._channel_name(channel)}
            response_url = self._response_url(
                channel=channel, user=user, message_ts=message_ts, ephemeral=ephemeral
            )
        payload = payloads.block_actions(
            action=action,
            user=self._user_ref(user),
            team=self.team,
            trigger_id=self._trigger_id(user),
            container=container,
            channel=channel_ref,
            message=None if ephemeral else message,
            view=view,
            response_url=response_url,
        )
        return self._send_payload(payload, tamper=tamper)

    def _require_fake(self) -> FakeSlack:
        if self.fake is None:
            raise RuntimeError("this needs the FakeSlack: SlackDriver(..., fake=slack)")
        return self.fake

    def _trigger_id(self, user: str) -> str:
        if self.fake is not None:
            return self.fake.new_trigger_id(user=user)
        return f"{int(time.time())}.{payloads.new_id('', 9)}"

    def _response_url(
        self,
        *,
        channel: str,
        user: str,
        message_ts: str | None = None,
        ephemeral: bool = False,
    ) -> str:
        if self.fake is not None:
            return self.fake.new_response_url(
                channel=channel,
                user=user,
                message_ts=message_ts,
                ephemeral=ephemeral,
                team=self.team,
            )
        return f"https://hooks.slack.com/actions/{self.team}/1/{payloads.new_id('', 24)}"

    def _user_name(self, user: str) -> str:
        known = self._workspace().users.get(user) if self.fake else None
        return known.name if known else user.lower()

    def _channel_name(self, channel: str) -> str:
        known = self._workspace().channels.get(channel) if self.fake else None
        if known is not None:
            return "directmessage" if known.is_im else known.name
        return "directmessage" if channel.startswith("D") else channel.lower()

    def _workspace(self) -> Workspace:
        """The fake's workspace of this driver's team (the first one when it holds none)."""
        fake = self._require_fake()
        return fake.workspaces.get(self.team, fake.workspace)

    def _user_ref(self, user: str) -> JsonDict:
        return payloads.user_ref(user, team_id=self.team, name=self._user_name(user))
