"""``FakeSlack``: a local stand-in for the Slack Web API, for debtpulse's tests and demo.

::

    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        client.chat_postMessage(channel="C0GENERAL", text="hi")
        assert slack.messages("C0GENERAL")[0].text == "hi"

It answers the Web API methods debtpulse uses with Slack's response shapes and errors,
validates every Block Kit payload, rate-limits posting per channel and per workspace and
every other method by its Slack tier, fails on demand, and records everything it was sent. An app in
Socket Mode connects through ``apps.connections.open`` (``FakeSlack.socket_mode``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TypeVar

from bot.sandbox import api_oauth, interactions
from bot.sandbox.clock import Clock
from bot.sandbox.fake_socket_mode import FakeSocketMode
from bot.sandbox.faults import Fault, FaultPlan
from bot.sandbox.finder import SOURCES, Found, Source, candidates, find
from bot.sandbox.recorded import Recorded
from bot.sandbox.records import (
    Call,
    JsonDict,
)
from bot.sandbox.server import FakeSlackServer
from bot.sandbox.state import SLACK_TIERS, Settings, SlackState
from bot.sandbox.workspace import BOT_SCOPES, BOT_TOKEN, DEFAULT_USER_ID, Token, Workspace

T = TypeVar("T")


class FakeSlack(Recorded):
    """The fake Slack server and everything it recorded; a context manager."""

    def __init__(
        self,
        *,
        workspace: Workspace | None = None,
        clock: Clock | None = None,
        trigger_ttl: float = 3.0,
        response_url_ttl: float = 30 * 60,
        response_url_max_uses: int = 5,
        post_rate: float | None = 1.0,
        post_burst: int = 5,
        post_workspace_rate: float | None = 200.0,
        post_workspace_burst: int = 20,
        retry_after: int = 1,
        tier_rates: Mapping[str, float] | None = SLACK_TIERS,
        seed: int = 0,
        port: int = 0,
        ack_timeout: float = 3.0,
    ) -> None:
        """``ack_timeout``: the seconds a Socket Mode envelope has to be acknowledged."""
        settings = Settings(
            trigger_ttl=trigger_ttl,
            response_url_ttl=response_url_ttl,
            response_url_max_uses=response_url_max_uses,
            post_rate=post_rate,
            post_burst=post_burst,
            post_workspace_rate=post_workspace_rate,
            post_workspace_burst=post_workspace_burst,
            retry_after=retry_after,
            tier_rates=dict(tier_rates) if tier_rates is not None else None,
        )
        self.workspace = workspace or Workspace.default()
        self._state = SlackState(
            workspace=self.workspace, clock=clock or time.time, settings=settings, seed=seed
        )
        self._faults = FaultPlan()
        self._socket_mode = FakeSocketMode(self._state, ack_timeout=ack_timeout)
        self._state.socket_mode = self._socket_mode
        self._port = port
        self._server: FakeSlackServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        if self._server is not None:
            return self
        self._server = FakeSlackServer(state=self._state, faults=self._faults, port=self._port)
        self._state.root_url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-slack",
            daemon=True,
        )
        self._thread.start()
        self._socket_mode.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._socket_mode.stop()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT/``"""
        if self._server is None:
            raise RuntimeError("the fake Slack is not running; use `with FakeSlack() as slack:`")
        return self._state.root_url

    @property
    def base_url(self) -> str:
        """The Web API base for ``WebClient(base_url=...)``: ``http://127.0.0.1:PORT/api/``."""
        return f"{self.root_url}api/"

    @property
    def settings(self) -> Settings:
        return self._state.settings

    # -- workspaces -------------------------------------------------------------------------

    def add_workspace(self, workspace: Workspace) -> Workspace:
        """Hold another workspace beside the first: its own team, people, channels, tokens
        and rate limits. A token sees its own workspace only (another's channel is
        ``channel_not_found``); an OAuth install of its team issues a token for it."""
        with self._state.lock:
            return self._state.tenancy.add(workspace)

    @property
    def workspaces(self) -> dict[str, Workspace]:
        """Every workspace the fake holds, by team id (the first one first)."""
        with self._state.lock:
            return dict(self._state.tenancy.by_team)

    @property
    def socket_mode(self) -> FakeSocketMode:
        """Socket Mode: the app's connections, envelopes to push, their acknowledgements."""
        return self._socket_mode

    # -- interaction plumbing (used by the driver) ------------------------------------------

    def new_trigger_id(self, *, user: str | None = DEFAULT_USER_ID) -> str:
        """A fresh trigger id, valid for ``trigger_ttl`` seconds and one use."""
        return self._state.new_trigger_id(user)

    def register_trigger_id(self, trigger_id: str, *, user: str | None = DEFAULT_USER_ID) -> None:
        self._state.register_trigger_id(trigger_id, user)

    def new_response_url(
        self,
        *,
        channel: str | None = None,
        user: str | None = None,
        message_ts: str | None = None,
        ephemeral: bool = False,
        team: str | None = None,
    ) -> str:
        """A response URL for a command (or for the message ``message_ts`` clicked in), in
        ``team``'s workspace (the first one when not given)."""
        _ = self.root_url  # must be running: the URL names the port
        return self._state.new_response_url(
            channel=channel, user=user, message_ts=message_ts, ephemeral=ephemeral, team=team
        )

    def apply_command_ack(
        self, payload: JsonDict, *, channel: str, user: str, team: str | None = None
    ) -> list[str]:
        """Show a slash command's acknowledgement body (typed in ``team``'s workspace);
        returns Block Kit errors, if any."""
        return interactions.apply_command_ack(
            self._state, payload, channel=channel, user=user, team=team
        )

    def apply_view_ack(self, *, view_id: str, ack: JsonDict | None) -> list[str]:
        """Apply a view_submission acknowledgement (close, update, push, clear, errors)."""
        return interactions.apply_view_ack(self._state, view_id=view_id, ack=ack)

    def close_view(self, view_id: str) -> None:
        interactions.close_view(self._state, view_id)

    def find_element(
        self,
        *,
        action_id: str | None = None,
        text: str | None = None,
        element_type: str | None = None,
        user: str | None = None,
        channel: str | None = None,
        sources: Iterable[Source] = SOURCES,
    ) -> Found:
        """The newest interactive element matching, in open views, ephemerals, then messages."""
        with self._state.lock:
            records = self._state.records
            im_users = {
                c.id: other
                for ws in self._state.tenancy.by_team.values()
                for c in ws.channels.values()
                if (other := ws.im_user(c)) is not None
            }
            found = candidates(
                views=list(records.views.values()),
                ephemerals=records.ephemerals,
                messages=records.messages,
                user=user,
                channel=channel,
                sources=sources,
                im_users=im_users,
            )
            return find(found, action_id=action_id, text=text, element_type=element_type)

    # -- OAuth installs ---------------------------------------------------------------------

    def enable_oauth(
        self, *, client_id: str, client_secret: str, token_rotation: bool = False
    ) -> None:
        """Accept ``oauth.v2.access`` for the app with these credentials; ``token_rotation``:
        its bot tokens expire after 12 hours and are renewed with refresh tokens."""
        self._state.oauth_app = api_oauth.OAuthApp(
            client_id=client_id, client_secret=client_secret, token_rotation=token_rotation
        )

    def authorize_install(
        self,
        *,
        team_id: str,
        team_name: str = "",
        user: str = DEFAULT_USER_ID,
        scopes: Iterable[str] = BOT_SCOPES,
    ) -> str:
        """What Slack does when a user clicks "Allow": a one-time code for the redirect."""
        install = api_oauth.PendingInstall(
            team_id, team_name or team_id.lower(), user, tuple(sorted(scopes))
        )
        return api_oauth.authorize(self._state, install)

    def uninstall(self, team_id: str) -> None:
        """The app is removed from ``team_id``: each of its tokens is answered
        ``account_inactive`` from now on, and its refresh tokens are refused, as Slack does
        (the app learns it from the ``app_uninstalled`` event the driver sends)."""
        api_oauth.end_team(self._state, team_id)

    def deactivate_token(self, token: str = BOT_TOKEN) -> None:
        """Uninstall the app (or deactivate the workspace) for ``token``: every call with it
        is answered ``account_inactive`` from now on, as Slack does."""
        self._token(token).inactive = True

    def revoke_token(self, token: str = BOT_TOKEN) -> None:
        """Revoke ``token`` (a workspace's admin did, or the app's tokens were revoked):
        every call with it is answered ``token_revoked`` from now on, as Slack does."""
        self._token(token).revoked = True

    def _token(self, token: str) -> Token:
        with self._state.lock:
            record = self._state.tenancy.find_token(token)
        if record is None:
            raise KeyError(f"no workspace of the fake has the token {token[:9]}…")
        return record

    # -- faults -----------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 503,
        retry_after: int | str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (``"*"``: any) with HTTP ``status``."""
        self._faults.add(method, Fault(status=status, retry_after=retry_after), times=times)

    def fail_ratio(
        self,
        method: str,
        ratio: float,
        *,
        statuses: Iterable[int] = (429, 503),
        seed: int | None = None,
    ) -> None:
        """Fail that share of ``method`` calls at random (seeded) with one of ``statuses``."""
        self._faults.add_ratio(method, ratio, statuses=statuses, seed=seed)

    def drop_next(self, method: str, *, times: int = 1) -> None:
        """Reset the connection, without any answer, on the next ``times`` calls."""
        self._faults.add(method, Fault(reset=True), times=times)

    def slow_down(self, method: str, *, seconds: float, times: int | None = None) -> None:
        """Answer ``method`` ``seconds`` late (``times=None``: until ``clear_faults``)."""
        self._faults.add(method, Fault(delay=seconds), times=times)

    def clear_faults(self) -> None:
        self._faults.clear()

    def reset(self) -> None:
        """Forget every call, message, view, file, trigger and fault; keep the workspace (and
        Socket Mode's open connections)."""
        self._faults.clear()
        self._state.reset()
        self._socket_mode.reset()

    def wait_for(self, predicate: Callable[[], T], *, timeout: float = 5.0) -> T:
        """Wait until ``predicate()`` is truthy (re-checked after every request); return it."""
        deadline = time.monotonic() + timeout
        with self._state.changed:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"fake Slack: condition not met within {timeout} s")
                self._state.changed.wait(min(remaining, 0.1))

    def wait_for_calls(self, method: str, *, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``method`` was called at least ``count`` times; return those calls."""
        return self.wait_for(
            lambda: calls if len(calls := self.calls_to(method)) >= count else [],
            timeout=timeout,
        )
