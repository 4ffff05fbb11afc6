"""Replies through a ``response_url`` over kept-alive connections.

Bolt's ``respond`` opens a new connection for every reply (slack_sdk's webhook client has no
connection reuse). Confirming an answer is the hot path of a poll, so these replies keep one
connection per thread and host and reuse it while it is fresh. Behind an HTTP(S) proxy
(``HTTPS_PROXY`` and friends) replies go through Bolt's ``respond`` as before.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import ssl
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import Respond

logger = logging.getLogger(__name__)
REUSE_WITHIN_S = 2.0  # a connection idle longer than this is not reused (servers close them)
TIMEOUT_S = 10.0
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class _Pooled(threading.local):
    def __init__(self) -> None:
        self.connections: dict[tuple[str, str, int], tuple[http.client.HTTPConnection, float]] = {}


_POOL = _Pooled()
_TLS = ssl.create_default_context()


def _open(scheme: str, host: str, port: int) -> http.client.HTTPConnection:
    if scheme == "https":
        return http.client.HTTPSConnection(host, port, timeout=TIMEOUT_S, context=_TLS)
    return http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)


def _post(url: str, body: bytes) -> int:
    parts = urlsplit(url)
    scheme = parts.scheme
    key = (scheme, parts.hostname or "", parts.port or (443 if scheme == "https" else 80))
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"Content-Type": "application/json;charset=utf-8"}
    pooled = _POOL.connections.pop(key, None)
    reused = pooled is not None and time.monotonic() - pooled[1] < REUSE_WITHIN_S
    connection = pooled[0] if pooled is not None and reused else _open(*key)
    if pooled is not None and not reused:
        pooled[0].close()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
    except _STALE:
        connection.close()
        if not reused:
            raise
        # The server had closed the idle connection before this request: send it once more.
        connection = _open(*key)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException):
        connection.close()
        raise
    if response.will_close:
        connection.close()
    else:
        _POOL.connections[key] = (connection, time.monotonic())
    return response.status


def reply(respond: Respond, **message: Any) -> None:
    """Send ``message`` to the interaction's response_url (as ``respond(**message)`` would)."""
    url = respond.response_url
    if not url or any(os.environ.get(name) for name in PROXY_VARIABLES):
        respond(**message)
        return
    status = _post(url, json.dumps(message).encode("utf-8"))
    if status >= 300:
        logger.warning("a reply to a response_url was refused (HTTP %s)", status)
