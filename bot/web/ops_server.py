"""The small HTTP server of processes without a web port: ``worker`` and ``socket``.

It listens on ``DEBTPULSE_METRICS_PORT`` (9464 unless set; 0: not at all) and answers
``GET /metrics``, ``/healthz`` and ``/readyz`` (:mod:`bot.web.ops`); ``/readyz`` says whether
this process holds the scheduler lease. A thread per request, in a daemon thread of its own:
it serves until the process ends or :meth:`OpsServer.stop`.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.config import ConfigError
from bot.runtime import Runtime
from bot.services.telemetry import holds_lease
from bot.web import ops

logger = logging.getLogger(__name__)
VARIABLE = "DEBTPULSE_METRICS_PORT"


class _Handler(BaseHTTPRequestHandler):
    server: OpsServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        runtime = self.server.runtime
        if path == "/metrics":
            page = ops.metrics(runtime, authorization=self.headers.get("Authorization", ""))
            self._send(page.status, page.content_type, page.body, page.headers)
        elif path == "/healthz":
            self._json(*ops.health(runtime))
        elif path == "/readyz":
            self._json(*ops.readiness(runtime, lease_held=holds_lease()))
        else:
            self._json(404, {"ok": False, "error": "not found"})

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, "application/json", json.dumps(payload).encode())

    def _send(
        self,
        status: int,
        content_type: str,
        body: bytes,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("metrics server: " + format, *args)


class OpsServer(ThreadingHTTPServer):
    """``/metrics``, ``/healthz`` and ``/readyz`` of ``runtime`` on one port."""

    daemon_threads = True

    def __init__(self, runtime: Runtime, address: tuple[str, int]) -> None:
        self.runtime = runtime
        super().__init__(address, _Handler)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def start(runtime: Runtime, *, host: str = "0.0.0.0", port: int) -> OpsServer | None:
    """Serve on ``host:port`` in a background thread; None when ``port`` is 0. A port that
    cannot be taken is a :class:`ConfigError` naming ``DEBTPULSE_METRICS_PORT``."""
    if port == 0:
        return None
    try:
        server = OpsServer(runtime, (host, port))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(VARIABLE, f"cannot listen on {host}:{port} ({reason})") from None
    threading.Thread(target=server.serve_forever, name="debtpulse-metrics", daemon=True).start()
    logger.info("metrics, health and readiness on port %d", server.server_address[1])
    return server
