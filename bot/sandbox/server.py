"""The HTTP side of the fake: parse requests like Slack does, inject faults, dispatch, record.

Routes: ``/api/<method>`` (Web API), ``/upload/v1/<file id>`` (upload URLs),
``/actions/<team>/<n>/<secret>`` (response URLs) and ``/link/?ticket=…`` (Socket Mode's
WebSocket, handed to ``fake_socket_mode``).
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.sandbox import (
    api_chat,
    api_directory,
    api_files,
    api_oauth,
    api_views,
    fake_socket_mode,
    websocket,
)
from bot.sandbox.faults import Fault, FaultPlan
from bot.sandbox.records import Call, JsonDict
from bot.sandbox.replies import RESPONSE_URL, post_to_response_url
from bot.sandbox.state import ApiError, ApiRequest, SlackState

log = logging.getLogger(__name__)

UPLOAD = "upload"
Handler = Callable[[SlackState, ApiRequest], JsonDict]


@dataclass(frozen=True)
class Method:
    handler: Handler
    scopes: tuple[str, ...] = ()
    tier: str | None = None
    """Slack's rate-limit tier (``Settings.tier_rates``); None: a special limit, or none."""
    token_kinds: tuple[str, ...] = ("bot",)
    """The token types Slack takes for the method; another is ``not_allowed_token_type``."""


T1, T2, T3, T4 = "tier1", "tier2", "tier3", "tier4"

METHODS: dict[str, Method] = {
    "auth.test": Method(api_directory.auth_test),  # special: hundreds a minute
    "auth.revoke": Method(api_oauth.revoke, tier=T3),
    "apps.connections.open": Method(
        fake_socket_mode.connections_open, ("connections:write",), T1, ("app",)
    ),
    # special: 1 a second per channel, short bursts allowed (``Settings.post_rate``), and
    # "several hundred a minute" per workspace (``Settings.post_workspace_rate``)
    "chat.postMessage": Method(api_chat.post_message, ("chat:write",)),
    "chat.update": Method(api_chat.update, ("chat:write",), T3),
    "chat.postEphemeral": Method(api_chat.post_ephemeral, ("chat:write",), T4),
    "chat.delete": Method(api_chat.delete, ("chat:write",), T3),
    "views.open": Method(api_views.open_, tier=T4),
    "views.push": Method(api_views.push, tier=T4),
    "views.update": Method(api_views.update, tier=T4),
    "views.publish": Method(api_views.publish, tier=T4),
    "conversations.members": Method(api_directory.conversations_members, tier=T4),
    "conversations.info": Method(api_directory.conversations_info, tier=T3),
    "conversations.open": Method(api_directory.conversations_open, ("im:write",), T3),
    "users.info": Method(api_directory.users_info, ("users:read",), T4),
    "users.list": Method(api_directory.users_list, ("users:read",), T2),
    "usergroups.users.list": Method(api_directory.usergroups_users_list, ("usergroups:read",), T2),
    "files.getUploadURLExternal": Method(api_files.get_upload_url, ("files:write",), T4),
    "files.completeUploadExternal": Method(api_files.complete_upload, ("files:write",), T4),
}

_JSON_PARAMS = {"blocks": "invalid_blocks_format", "attachments": "invalid_attachments"}
_JSON_PARAMS |= {"view": "invalid_arguments", "metadata": "invalid_metadata_format"}
_FAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}


def parse_body(content_type: str, body: bytes) -> JsonDict:
    """Parameters from a form, JSON or multipart body."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}
    if kind == "application/json":
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ApiError("invalid_json")
        return data
    if kind == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        out: JsonDict = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                out[name] = payload if part.get_filename() else payload.decode("utf-8")
        return out
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def decode_json_params(params: JsonDict) -> JsonDict:
    """Form bodies carry blocks and views as JSON strings; decode them like Slack does."""
    out = dict(params)
    for key, error in _JSON_PARAMS.items():
        value = out.get(key)
        if isinstance(value, str) and value:
            try:
                out[key] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ApiError(error) from exc
    return out


def call_api(
    state: SlackState, method: str, params: JsonDict, token: str | None
) -> ApiError | JsonDict:
    """Authenticate, check scopes and run one Web API method."""
    spec = METHODS.get(method)
    if method == api_oauth.METHOD:
        try:
            return api_oauth.access(state, params)
        except ApiError as exc:
            return exc
    if spec is None:
        return ApiError("unknown_method")
    if not token:
        return ApiError("not_authed")
    with state.lock:
        record = state.tenancy.find_token(token)
        if record is None:
            return ApiError("invalid_auth")
        if record.revoked:
            return ApiError("token_revoked")
        if record.inactive:
            return ApiError("account_inactive")
        if record.expires_at is not None and state.clock() >= record.expires_at:
            return ApiError("token_expired")
        if record.kind not in spec.token_kinds:
            return ApiError("not_allowed_token_type")
        missing = [s for s in spec.scopes if s not in record.scopes]
        if missing:
            provided = ",".join(sorted(record.scopes))
            return ApiError("missing_scope", needed=",".join(missing), provided=provided)
        try:
            state.rate_limit(method, spec.tier, record)
            workspace = state.tenancy.holder(record)
            request = ApiRequest(method=method, params=params, token=record, workspace=workspace)
            return spec.handler(state, request)
        except ApiError as exc:
            return exc


class _RequestHandler(BaseHTTPRequestHandler):
    server: FakeSlackServer
    protocol_version = "HTTP/1.1"  # keep-alive, as Slack does

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("fake slack: " + format, *args)

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def _route(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = url.path.strip("/").split("/", 1)
        if parts[0] == "api" and len(parts) == 2:
            self._api(parts[1], dict(parse_qsl(url.query, keep_blank_values=True)), body)
        elif parts[0] == "upload" and len(parts) == 2:
            self._upload(parts[1].removeprefix("v1/"), body)
        elif parts[0] == "actions" and len(parts) == 2:
            self._response_url(parts[1], body)
        elif parts[0] == "link" and self.command == "GET":
            self._link(dict(parse_qsl(url.query, keep_blank_values=True)))
        else:
            self._send(404, {"ok": False, "error": "not_found"})

    # -- faults -----------------------------------------------------------------------------

    def _faulted(self, method: str, params: JsonDict, token: str | None) -> bool:
        """Apply planned faults; True when the request was answered (or dropped) by one."""
        state = self.server.state
        for fault in self.server.faults.take(method):
            if fault.delay:
                time.sleep(fault.delay)
            if fault.reset:
                state.record_call(self._call(method, params, token, None, 0, injected=True))
                self._reset()
                return True
            if fault.status is not None:
                self._send_fault(method, params, token, fault)
                return True
        return False

    def _send_fault(self, method: str, params: JsonDict, token: str | None, fault: Fault) -> None:
        assert fault.status is not None
        body = {"ok": False, "error": _FAULT_ERRORS.get(fault.status, "fatal_error")}
        headers = {}
        if fault.status == 429:
            retry_after = fault.retry_after
            if retry_after is None:
                retry_after = self.server.state.settings.retry_after
            headers["Retry-After"] = str(retry_after)
        call = self._call(method, params, token, body, fault.status, injected=True)
        self.server.state.record_call(call)
        self._send(fault.status, body, headers)

    def _reset(self) -> None:
        """Close the socket with an RST and no response, like a dropped connection."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    # -- routes -----------------------------------------------------------------------------

    def _api(self, method: str, query: JsonDict, body: bytes) -> None:
        state = self.server.state
        token: str | None = None
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        try:
            params = {**query, **parse_body(self.headers.get("Content-Type") or "", body)}
            token = token or params.pop("token", None) or None
            params.pop("token", None)
            params = decode_json_params(params)
            if auth.lower().startswith("basic "):
                params |= api_oauth.basic_credentials(auth[6:].strip())
        except (ApiError, ValueError) as exc:
            error = exc if isinstance(exc, ApiError) else ApiError("invalid_form_data")
            state.record_call(self._call(method, query, token, error.body(), 200))
            self._send(200, error.body())
            return
        if self._faulted(method, params, token):
            return
        result = call_api(state, method, params, token)
        if isinstance(result, ApiError):
            status, answer, headers = result.status, result.body(), result.headers
        else:
            status, answer, headers = 200, result, {}
        state.record_call(self._call(method, params, token, answer, status))
        self._send(status, answer, headers)

    def _upload(self, file_id: str, body: bytes) -> None:
        params: JsonDict = {"file_id": file_id, "size": len(body)}
        if self._faulted(UPLOAD, params, None):
            return
        state = self.server.state
        if api_files.receive_upload(state, file_id, body):
            state.record_call(self._call(UPLOAD, params, None, {"ok": True}, 200))
            self._send_text(200, f"OK - {len(body)}")
        else:
            state.record_call(self._call(UPLOAD, params, None, {"ok": False}, 404))
            self._send_text(404, "Not Found")

    def _response_url(self, key: str, body: bytes) -> None:
        try:
            payload = parse_body(self.headers.get("Content-Type") or "", body)
            if isinstance(payload.get("payload"), str):
                payload = json.loads(payload["payload"])
        except ValueError:
            self._send(400, {"ok": False, "error": "invalid_payload"})
            return
        if self._faulted(RESPONSE_URL, payload, None):
            return
        status, answer = post_to_response_url(self.server.state, key, payload)
        self._send(status, answer)

    def _link(self, query: dict[str, str]) -> None:
        """Socket Mode: the WebSocket handshake for a ticket, then the connection itself."""
        hub = self.server.state.socket_mode
        problem = websocket.handshake_problem(self.command, self.headers)
        if problem is not None:
            hub.refuse(problem)
            self._send_text(400, problem)
            return
        refused = hub.admit(query.get("ticket", ""))
        if refused is not None:
            self._send_text(401, refused)
            return
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header(
            "Sec-WebSocket-Accept", websocket.accept_key(self.headers["Sec-WebSocket-Key"])
        )
        self.end_headers()
        self.close_connection = True  # no HTTP on this socket after the connection ends
        hub.serve(self.connection, self.rfile)

    # -- output -----------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        params: JsonDict,
        token: str | None,
        body: JsonDict | None,
        status: int,
        *,
        injected: bool = False,
    ) -> Call:
        state = self.server.state
        now = state.clock()
        with state.lock:
            record = state.tenancy.find_token(token) if token else None
            team = state.tenancy.team_of(record) if record is not None else None
        return Call(
            method=method,
            params=params,
            token=token,
            response=body,
            status=status,
            at=now,
            injected=injected,
            team=team,
        )

    def _send(self, status: int, body: JsonDict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode("utf-8")
        self._write(status, data, "application/json; charset=utf-8", headers or {})

    def _send_text(self, status: int, text: str) -> None:
        self._write(status, text.encode("utf-8"), "text/plain; charset=utf-8", {})

    def _write(self, status: int, data: bytes, content_type: str, headers: dict[str, str]) -> None:
        try:
            self.send_response(status, HTTPStatus(status).phrase)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("fake slack: client went away before the answer")


class FakeSlackServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 that answers as Slack would."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # fan-outs open many connections at once

    def __init__(self, *, state: SlackState, faults: FaultPlan, port: int = 0) -> None:
        self.state = state
        self.faults = faults
        super().__init__(("127.0.0.1", port), _RequestHandler)
