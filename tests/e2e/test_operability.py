"""Operability end to end: a two-worker ``serve`` and a ``worker``, as real processes, with
JSON logs and a metrics token, on SQLite and PostgreSQL.

The worker opens a DM poll it missed an hour ago (catch-up) and delivers it; people answer
through ``serve`` over signed HTTP. Both processes' ``/metrics`` are parsed with
``prometheus_client``'s parser and checked against what happened; the token guard, readiness
and the JSON logs are checked; and an answer path whose database refuses the write must log
neither the person nor the answer.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bot.sandbox import FakeSlack, SlackDriver
from storage import db
from storage.revision import SCHEMA_HEAD
from tests.conftest import POSTGRES_URL, postgres_schema
from tests.e2e.conftest import SECRET, free_port, server_env, start_server

pytestmark = pytest.mark.e2e

TOKEN = "ops-metrics-token"
PEOPLE = ["U0OPSA", "U0OPSB", "U0OPSC"]
QUIET = "U0QUIETONE"  # whose answer meets a failing database
QUIET_TEXT = "zebra kettle 9431"
SURVEY = """
id: ops-check
title: Ops check
schedule: {{cron: "{minute} {hour} * * *", timezone: UTC}}
audience: {{dm: {{usergroup: S0OPS}}}}
anonymous: false
open_for: 24h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
  - id: note
    type: text
    prompt: Anything else?
    optional: true
    max_length: 80
"""
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@dataclass
class Ops:
    fake: FakeSlack
    database_url: str
    web: str
    worker: str
    serve_log: Path
    worker_log: Path
    slot: datetime

    def driver(self, user: str) -> SlackDriver:
        return SlackDriver(f"{self.web}/slack/events", SECRET, fake=self.fake, default_user=user)

    def until(self, predicate: Callable[[], Any], timeout: float = 30) -> Any:
        return self.fake.wait_for(predicate, timeout=timeout)


def _get(url: str, token: str | None = TOKEN) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def scrape(base: str) -> Samples:
    status, body = _get(f"{base}/metrics")
    assert status == 200, body
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def _stale_counts(folder: Path) -> None:
    """An earlier run's file in the metrics directory: ``serve`` must start without it."""
    stale = MmapedDict(str(folder / "counter_999999.db"))
    key = mmap_key(
        "debtpulse_answers_recorded", "debtpulse_answers_recorded_total", [], [], "stale"
    )
    stale.write_value(key, 100.0, 0.0)
    stale.close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def ops(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ops]:
    folder = tmp_path_factory.mktemp("ops")
    surveys = folder / "surveys"
    surveys.mkdir()
    slot = (datetime.now(UTC) - timedelta(hours=1)).replace(second=0, microsecond=0)
    (surveys / "ops-check.yaml").write_text(SURVEY.format(minute=slot.minute, hour=slot.hour))
    multiproc = folder / "metrics"
    multiproc.mkdir()
    _stale_counts(multiproc)
    with ExitStack() as stack:
        if request.param == "sqlite":
            database_url = f"sqlite:///{folder / 'debtpulse.db'}"
        else:
            schema = stack.enter_context(postgres_schema("debtpulse_ops"))
            database_url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        engine = db.make_engine(database_url)
        db.upgrade(engine)
        engine.dispose()
        fake = stack.enter_context(FakeSlack(post_rate=None))
        for person in [*PEOPLE, QUIET]:
            fake.workspace.add_user(person, name=person.lower())
        fake.workspace.add_usergroup("S0OPS", handle="ops", users=[*PEOPLE, QUIET])
        port, metrics_port = free_port(), free_port()
        env = server_env(
            fake,
            database_url,
            DEBTPULSE_SURVEYS_DIR=str(surveys),
            DEBTPULSE_LOG_FORMAT="json",
            DEBTPULSE_METRICS_TOKEN=TOKEN,
            DEBTPULSE_METRICS_PORT=str(metrics_port),
            PROMETHEUS_MULTIPROC_DIR=str(multiproc),
        )
        worker_log = folder / "worker.log"
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "worker"],
            env=env,
            stdout=stack.enter_context(worker_log.open("wb")),
            stderr=subprocess.STDOUT,
        )
        web: subprocess.Popen[bytes] | None = None
        try:
            serve_log = folder / "serve.log"
            web = start_server(env=env, port=port, log=serve_log, workers=2)
            found = Ops(
                fake,
                database_url,
                f"http://127.0.0.1:{port}",
                f"http://127.0.0.1:{metrics_port}",
                serve_log,
                worker_log,
                slot,
            )
            # the worker holds the lease and has delivered the poll it caught up
            found.until(lambda: '"lease_held": true' in _get(f"{found.worker}/readyz")[1], 60)
            found.until(lambda: all(fake.dm_count(p) == 1 for p in [*PEOPLE, QUIET]))
            yield found
        finally:
            for process in (web, worker):
                if process is not None:
                    process.terminate()
                    try:
                        process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        process.kill()


def _answer(ops: Ops, person: str, answers: dict[str, str]) -> Any:
    driver = ops.driver(person)
    assert driver.click_button(action_id="poll_open", user=person).ok
    modal = ops.until(lambda: ops.fake.open_modal(person), timeout=10)
    return driver.submit_modal(answers, user=person, view=modal)


def _booted(log: Path) -> list[int]:
    return [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", log.read_text())]


def test_both_processes_count_what_happened(ops: Ops) -> None:
    with ThreadPoolExecutor(3) as pool:
        replies = list(pool.map(lambda p: _answer(ops, p, {"mood": "3"}), PEOPLE))
    assert all(r.ok and r.json()["response_action"] == "update" for r in replies)
    dms = sum(ops.fake.dm_count(p) for p in [*PEOPLE, QUIET])

    # Whichever web worker answers a scrape, the counts are every worker's together, and
    # an earlier run's file was cleared at start (its 100 answers are not added).
    for _ in range(4):
        web = scrape(ops.web)
        assert value(web, "debtpulse_answers_recorded_total") == 3.0
        assert value(web, "debtpulse_answer_seconds_count") == 3.0
        assert value(web, "debtpulse_deliveries", state="sent") == dms == 4  # once, not per worker
        assert value(web, "debtpulse_deliveries", state="failed") == 0.0
        assert value(web, "debtpulse_result_posts_pending") == 0.0
    # a web worker that dies keeps its counts in the total
    gone = _booted(ops.serve_log)[0]
    os.kill(gone, signal.SIGKILL)
    ops.until(lambda: len(_booted(ops.serve_log)) == 3)
    ops.until(lambda: _get(f"{ops.web}/healthz")[0] == 200)
    assert value(scrape(ops.web), "debtpulse_answers_recorded_total") == 3.0

    worker = scrape(ops.worker)
    assert value(worker, "debtpulse_scheduler_lease_held") == 1.0
    assert value(worker, "debtpulse_deliveries", state="sent") == dms
    sent = [c for c in ops.fake.calls_to("chat.postMessage") if c.status == 200]
    posts = value(
        worker, "debtpulse_slack_api_calls_total", method="chat.postMessage", outcome="ok"
    )
    assert posts == len(sent) == dms  # the worker sent every DM, and only it
    # the slot opened by the catch-up an hour after its time; the periodic jobs on time
    lag = value(worker, "debtpulse_job_lag_seconds", job="survey")
    assert lag is not None and 3600 <= lag < 3600 + 300
    for kind in ("catch_up", "reviews"):
        kind_lag = value(worker, "debtpulse_job_lag_seconds", job=kind)
        assert kind_lag is not None and kind_lag < 60
    assert value(worker, "debtpulse_answers_recorded_total") == 0.0  # answers reach serve
    # a signal with a wrong token is counted as refused, by source, in the web process
    request = urllib.request.Request(
        f"{ops.web}/api/signals", data=b"{}", headers={"Authorization": "Bearer nope"}
    )
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=10)
    signals = value(
        scrape(ops.web), "debtpulse_signals_received_total", source="api", outcome="refused"
    )
    assert signals == 1.0


def test_the_token_guard_refuses_a_missing_or_wrong_token(ops: Ops) -> None:
    for base in (ops.web, ops.worker):
        status, body = _get(f"{base}/metrics", token=None)
        assert status == 401 and "no bearer token was sent" in body
        status, body = _get(f"{base}/metrics", token="guess-123")
        assert status == 401 and "not DEBTPULSE_METRICS_TOKEN" in body
        assert "guess-123" not in body and TOKEN not in body
        status, body = _get(f"{base}/metrics")
        assert status == 200 and "debtpulse_deliveries" in body
        assert _get(f"{base}/healthz", token=None)[0] == 200  # health needs no token


def test_readiness_follows_the_schema_and_says_who_holds_the_lease(ops: Ops) -> None:
    status, body = _get(f"{ops.web}/readyz", token=None)
    assert status == 200 and json.loads(body)["schema"] == SCHEMA_HEAD
    status, body = _get(f"{ops.worker}/readyz", token=None)
    assert status == 200 and json.loads(body)["lease_held"] is True
    engine = db.make_engine(ops.database_url)
    try:
        with engine.begin() as conn:  # a newer release migrated the database meanwhile
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        for base in (ops.web, ops.worker):
            status, body = _get(f"{base}/readyz", token=None)
            assert status == 503 and json.loads(body)["schema"] == "9999", body
            assert _get(f"{base}/healthz", token=None)[0] == 200  # still alive
        assert json.loads(_get(f"{ops.worker}/readyz", token=None)[1])["lease_held"] is True
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": SCHEMA_HEAD}
            )
        engine.dispose()


def test_a_failing_answer_path_logs_neither_the_person_nor_the_answer(ops: Ops) -> None:
    engine = db.make_engine(ops.database_url)
    postgres = engine.dialect.name == "postgresql"
    refuse = (
        # PostgreSQL's message repeats the failing row: the user id and the text beside it
        "ALTER TABLE response ADD CONSTRAINT ops_refuse CHECK (text IS NULL) NOT VALID"
        if postgres
        else "CREATE TRIGGER ops_refuse BEFORE INSERT ON response "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    )
    allow = (
        "ALTER TABLE response DROP CONSTRAINT ops_refuse" if postgres else "DROP TRIGGER ops_refuse"
    )
    with engine.begin() as conn:
        conn.execute(text(refuse))
    try:
        reply = _answer(ops, QUIET, {"mood": "4", "note": QUIET_TEXT})
        assert reply.ok and reply.json()["response_action"] == "errors"
        assert "could not be saved" in json.dumps(reply.json())
        ops.until(lambda: "answers could not be stored" in ops.serve_log.read_text())
    finally:
        with engine.begin() as conn:
            conn.execute(text(allow))
        engine.dispose()
    logged = ops.serve_log.read_text() + ops.worker_log.read_text()
    assert QUIET not in logged and QUIET_TEXT not in logged
    assert not any(person in logged for person in PEOPLE)
    failure = next(
        json.loads(line) for line in logged.splitlines() if "answers could not be stored" in line
    )
    assert failure["level"] == "ERROR" and "IntegrityError" in failure["exception"]
    assert "(values withheld)" in failure["exception"]
    if postgres:
        assert "SQLSTATE 23514" in failure["exception"] and "ops_refuse" in failure["exception"]


def test_logs_are_json_line_by_line(ops: Ops) -> None:
    for log in (ops.serve_log, ops.worker_log):
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        assert lines and all({"time", "level", "logger", "message"} <= set(x) for x in lines)
    serve = [json.loads(line) for line in ops.serve_log.read_text().splitlines()]
    access = [x for x in serve if x["logger"] == "gunicorn.access"]
    assert any(x["path"] == "/metrics" and x["status"] == 200 for x in access)
    assert any(x["path"] == "/slack/events" and x["method"] == "POST" for x in access)
    assert any(x["logger"] == "gunicorn.error" for x in serve)
    worker = [json.loads(line) for line in ops.worker_log.read_text().splitlines()]
    opened = next(x for x in worker if "opened run" in x["message"])
    assert opened["survey"] == "ops-check" and isinstance(opened["run_id"], int)
