"""What operators' tools ask a process: ``/healthz``, ``/readyz`` and ``GET /metrics``.

The web app serves these on its port (:mod:`bot.web.wsgi`), the worker and Socket Mode on
``DEBTPULSE_METRICS_PORT`` (:mod:`bot.web.ops_server`); the answers are built here once.

- ``/healthz`` (liveness): the database answers ``SELECT 1`` (and a SQLite file is still
  there).
- ``/readyz``: 503 until the database answers and its schema is the revision this code
  needs; the worker's also says whether it holds the scheduler lease (200 either way).
- ``/metrics``: the Prometheus text format. Under ``serve`` and ``run`` it reads every
  gunicorn process's figures (``prometheus_client``'s multiprocess mode), elsewhere this
  process's; the database figures are read once per scrape. With ``DEBTPULSE_METRICS_TOKEN``
  set it needs ``Authorization: Bearer <token>`` (compared in constant time; a refusal never
  repeats what was sent).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import text

from bot.runtime import Runtime
from bot.services.telemetry import DatabaseCollector
from storage.db import sqlite_file, stored_revision
from storage.revision import SCHEMA_HEAD

if TYPE_CHECKING:
    from prometheus_client import Metric

logger = logging.getLogger(__name__)
Reply = tuple[int, dict[str, Any]]
TEXT = "text/plain; charset=utf-8"
UNAVAILABLE: Reply = (503, {"ok": False, "database": "unavailable"})


def _database_file(runtime: Runtime) -> Path | None:
    return sqlite_file(runtime.engine.url)


def _database_answers(runtime: Runtime) -> bool:
    # An open SQLite connection still reads a deleted file: look for the file itself.
    path = _database_file(runtime)
    if path is not None and not path.exists():
        logger.warning("health check: the SQLite database file is gone")
        return False
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # the database is down: say so, without its URL
        logger.warning("health check: database unavailable (%s)", exc.__class__.__name__)
        return False
    return True


def health(runtime: Runtime) -> Reply:
    """``/healthz``: whether this process reaches its database."""
    if not _database_answers(runtime):
        return UNAVAILABLE
    return 200, {"ok": True, "database": "ok"}


def readiness(runtime: Runtime, *, lease_held: bool | None = None) -> Reply:
    """``/readyz``: ready when the database answers at the schema this code needs.
    ``lease_held`` (the worker's): whether it holds the scheduler lease, said either way."""
    lease = {} if lease_held is None else {"lease_held": lease_held}
    if not _database_answers(runtime):
        return 503, {**UNAVAILABLE[1], **lease}
    try:
        current = stored_revision(runtime.engine)
    except Exception as exc:
        logger.warning("readiness: the schema revision could not be read (%s)", type(exc).__name__)
        return 503, {**UNAVAILABLE[1], **lease}
    payload: dict[str, Any] = {"database": "ok", "schema": current, "schema_needed": SCHEMA_HEAD}
    ready = current == SCHEMA_HEAD
    if not ready:
        payload["error"] = "the database schema is not the one this debtpulse needs"
    return (200 if ready else 503), {"ok": ready, **payload, **lease}


class Page(NamedTuple):
    """An HTTP answer: status, content type, body and any extra headers."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def refusal(runtime: Runtime, authorization: str) -> str | None:
    """Why a scrape with this ``Authorization`` header is refused, or None when it may read
    (always, without ``DEBTPULSE_METRICS_TOKEN``)."""
    token = runtime.settings.metrics_token
    if token is None:
        return None
    scheme, _, given = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return "no bearer token was sent"
    expected = token.get_secret_value().encode()
    if not hmac.compare_digest(given.strip().encode(), expected):
        return "the bearer token sent is not DEBTPULSE_METRICS_TOKEN"
    return None


class _Scrape(Collector):
    """What one scrape reads: the process figures, then the database's."""

    def __init__(self, *sources: Collector) -> None:
        self.sources = sources

    def collect(self) -> Iterable[Metric]:
        for source in self.sources:
            yield from source.collect()


def _process_figures() -> Collector:
    """Every gunicorn process's figures in multiprocess mode (``serve``, ``run``), else this
    process's own registry."""
    if getattr(values.ValueClass, "_multiprocess", False):
        return MultiProcessCollector(None)
    return REGISTRY


def metrics(runtime: Runtime, *, authorization: str) -> Page:
    """``GET /metrics``: the Prometheus text format, or 401 saying what is missing."""
    why = refusal(runtime, authorization)
    if why is not None:
        body = f"401 Unauthorized: /metrics needs Authorization: Bearer <token>; {why}\n"
        return Page(401, TEXT, body.encode(), (("WWW-Authenticate", "Bearer"),))
    scrape = _Scrape(_process_figures(), DatabaseCollector(runtime))
    return Page(200, CONTENT_TYPE_LATEST, generate_latest(scrape))
