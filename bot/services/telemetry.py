"""debtpulse's metrics, defined once: what listeners, jobs and web routes count, and what a
scrape of ``GET /metrics`` reads from the database.

Counted in the process where it happens (``prometheus_client``; under ``serve`` in its
multiprocess mode, so the gunicorn workers add up): answers committed and how long each took
from the listener to the commit, the scheduler lease, how late each kind of job ran, and
the signals and webhooks received. The Slack Web API calls are counted by the client itself
(:mod:`bot.slack.call_metrics`). Read from the database at each scrape, once per scrape and
not per process (:class:`DatabaseCollector`): deliveries by state and results posts not yet
landed.

Labels hold bounded values only: a job kind, a known signal source, an outcome. Never a
user, a team's free text or an answer. Counting costs the answer path one counter and one
histogram update, with no lock but ``prometheus_client``'s own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.services.webhook_secrets import SOURCES as WEBHOOK_SOURCES
from storage import backlog

if TYPE_CHECKING:
    from prometheus_client import Metric

    from bot.runtime import Runtime

logger = logging.getLogger(__name__)

#: The kinds of scheduled work, the values of ``debtpulse_job_lag_seconds``'s ``job`` label.
JOB_KINDS = ("survey", "digest", "tick", "catch_up", "reviews")
#: ``POST /api/signals`` is ``api``; each webhook sender its own name.
SIGNAL_SOURCES = frozenset({"api", *WEBHOOK_SOURCES})
OTHER = "other"

ANSWERS_RECORDED = Counter(
    "debtpulse_answers_recorded",
    "Poll answers committed from Slack (votes and modal submissions).",
)
ANSWER_SECONDS = Histogram(
    "debtpulse_answer_seconds",
    "Time from the answer's listener starting to its transaction's commit.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
LEASE_HELD = Gauge(
    "debtpulse_scheduler_lease_held",
    "1 in the process holding the scheduler lease (it runs the scheduler), else 0.",
    multiprocess_mode="livemax",
)
JOB_LAG = Gauge(
    "debtpulse_job_lag_seconds",
    "How late the last run of each kind of job started: a survey or digest slot after its "
    "scheduled time (caught up late included), the periodic jobs after their planned run.",
    ["job"],
    multiprocess_mode="livemax",
)
SIGNALS_RECEIVED = Counter(
    "debtpulse_signals_received",
    "Signals posted to /api/signals (source api) and webhooks to /api/hooks/<source>, by outcome.",
    ["source", "outcome"],
)

_lease: dict[str, bool] = {"held": False}


def answers_recorded(count: int, *, seconds: float) -> None:
    """``count`` answers of one person were committed, ``seconds`` after their listener
    started."""
    ANSWERS_RECORDED.inc(count)
    ANSWER_SECONDS.observe(seconds)


def lease_held(held: bool) -> None:
    """This process took (True) or no longer holds (False) the scheduler lease."""
    _lease["held"] = held
    LEASE_HELD.set(1 if held else 0)


def holds_lease() -> bool:
    """Whether this process holds the scheduler lease (for ``/readyz``)."""
    return _lease["held"]


def job_lag(kind: str, seconds: float) -> None:
    """A job of ``kind`` (one of :data:`JOB_KINDS`) started ``seconds`` after its time."""
    JOB_LAG.labels(kind if kind in JOB_KINDS else OTHER).set(max(seconds, 0.0))


def signal_outcome(status: int, payload: Mapping[str, Any]) -> str:
    """What became of a signal or webhook request, from its reply."""
    if status == 201:
        return "stored"
    if status == 200:
        return "duplicate" if payload.get("duplicate") else "ignored"
    if status in (401, 403):
        return "refused"
    if status == 404:
        return "not_found"
    if status in (400, 413, 422):
        return "invalid"
    if status == 503:
        return "unavailable"
    return OTHER


def signal_received(source: str, status: int, payload: Mapping[str, Any]) -> None:
    """Count one request to the signals API (``source`` ``api``) or a webhook endpoint."""
    label = source if source in SIGNAL_SOURCES else OTHER
    SIGNALS_RECEIVED.labels(label, signal_outcome(status, payload)).inc()


class DatabaseCollector(Collector):
    """The metrics read from the database at each scrape: every workspace together.

    Registered once on the registry a scrape reads, so a figure is counted once however many
    processes serve the scrape. When the database cannot be read, these metrics are left out
    of that scrape (logged, without the database's address).
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterable[Metric]:
        try:
            with self.runtime.transaction(write=False) as session:
                states = backlog.deliveries_by_state(session)
                unposted = backlog.result_posts_unposted(session)
        except Exception as exc:
            logger.warning("metrics: the database could not be read (%s)", type(exc).__name__)
            return
        deliveries = GaugeMetricFamily(
            "debtpulse_deliveries",
            "Poll messages by state: pending (to send or being sent), sent, failed, skipped.",
            labels=["state"],
        )
        for state, count in states.items():
            deliveries.add_metric([state], count)
        yield deliveries
        yield GaugeMetricFamily(
            "debtpulse_result_posts_pending",
            "Closed polls' results posts not yet in their channel (recorded or under way).",
            value=unposted,
        )

    def describe(self) -> Iterable[Metric]:
        return []  # not read at registration: the database is read only when scraped
