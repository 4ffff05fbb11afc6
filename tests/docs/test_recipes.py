"""The recipes of docs/recipes/: what they post to ``POST /api/signals``, checked against a
local HTTP server — debtpulse's own handler where it matters that the signal is stored, a
recording one elsewhere — and, where Great Expectations or Evidently is installed, driven
by the real package (those tests are skipped where it is not)."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.config import load_settings
from bot.runtime import build_runtime
from bot.services.signals_in import parse_signal
from bot.web import signals_api
from storage import register
from storage.models import DebtItem, Signal

RECIPES = Path(__file__).resolve().parents[2] / "docs" / "recipes"
TOKEN = "signals-token-for-recipes"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def recipe(name: str) -> ModuleType:
    """A recipe file loaded as a module, once (Great Expectations registers its action)."""
    module_name = f"debtpulse_recipe_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, RECIPES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


gx_recipe = recipe("great_expectations_action")
evidently_recipe = recipe("evidently_step")


@dataclass(frozen=True)
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def signal(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


Reply = tuple[int, dict[str, Any]]


@contextmanager
def server(answer: Callable[[Received], Reply]) -> Iterator[tuple[str, list[Received]]]:
    """A local HTTP server answering each POST with ``answer``; its URL and what it got."""
    received: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            url = urlsplit(self.path)
            request = Received(url.path, parse_qs(url.query), dict(self.headers), body)
            received.append(request)
            status, payload = answer(request)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep the test output clean
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", received
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def stored_reply(request: Received) -> Reply:
    return 201, {"ok": True, "stored": True, "dedup_key": request.signal["dedup_key"]}


@pytest.fixture
def debtpulse(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """debtpulse's own ``POST /api/signals`` handler over HTTP, with the item DEBT-6."""
    with Session(engine) as session:
        register.upsert_item(
            session, team_id="T1", key="DEBT-6", fields={"title": "Orders feed"}, now=NOW
        )
        session.commit()
    monkeypatch.setenv("DEBTPULSE_SIGNALS_TOKEN", TOKEN)
    runtime = build_runtime(load_settings(), engine=engine, default_team="T1", clock=lambda: NOW)

    def answer(request: Received) -> Reply:
        return signals_api.handle(
            runtime,
            authorization=request.headers.get("Authorization", ""),
            body=request.body,
            team=request.query.get("team", [None])[0],
        )

    with server(answer) as (url, _):
        yield url


def stored_signals(engine: Engine) -> list[tuple[str, str, str, float, datetime, str]]:
    with Session(engine) as session:
        rows = session.exec(
            select(
                DebtItem.key,
                Signal.kind,
                Signal.source,
                Signal.value,
                Signal.observed_at,
                Signal.dedup_key,
            ).join(DebtItem, DebtItem.id == Signal.debt_item_id)  # type: ignore[arg-type]
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


ORDERS_FAILED = gx_recipe.FailedValidation(
    suite="orders_suite",
    asset="orders",
    run_time=datetime(2026, 11, 20, 6, 0, tzinfo=UTC),
    failed=("expect_column_values_to_not_be_null(id)",),
)


# --- Great Expectations: the signal and its post ---------------------------------------------


def test_a_failed_validation_is_stored_as_a_data_quality_signal(
    debtpulse: str, engine: Engine
) -> None:
    signal = gx_recipe.signal_for(ORDERS_FAILED, debt_key="DEBT-6")
    reply = gx_recipe.post_signal(debtpulse, signal, token=TOKEN)
    assert reply["stored"] is True
    [(key, kind, source, value, observed_at, dedup_key)] = stored_signals(engine)
    assert (key, kind, source, value) == (
        "DEBT-6",
        "data_quality",
        "great_expectations:orders_suite",
        1.0,
    )
    assert observed_at.astimezone(UTC) == datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    assert dedup_key == "gx:orders_suite:orders:2026-11-20T06:00:00+00:00"


def test_the_same_run_posted_again_is_a_duplicate(debtpulse: str, engine: Engine) -> None:
    signal = gx_recipe.signal_for(ORDERS_FAILED, debt_key="DEBT-6")
    gx_recipe.post_signal(debtpulse, signal, token=TOKEN)
    again = gx_recipe.post_signal(debtpulse, signal, token=TOKEN)
    assert again["duplicate"] is True
    assert len(stored_signals(engine)) == 1


def test_a_refusal_names_the_field_and_never_the_token(debtpulse: str, engine: Engine) -> None:
    signal = gx_recipe.signal_for(ORDERS_FAILED, debt_key="DEBT-404")
    with pytest.raises(gx_recipe.PostFailed) as failed:
        gx_recipe.post_signal(debtpulse, signal, token=TOKEN)
    assert failed.value.status == 422
    assert "debt_key: no debt item DEBT-404 in this team" in str(failed.value)
    assert TOKEN not in str(failed.value)
    assert stored_signals(engine) == []


def test_a_wrong_token_is_refused(debtpulse: str) -> None:
    signal = gx_recipe.signal_for(ORDERS_FAILED, debt_key="DEBT-6")
    with pytest.raises(gx_recipe.PostFailed) as failed:
        gx_recipe.post_signal(debtpulse, signal, token="not-the-token")
    assert failed.value.status == 401
    assert "not-the-token" not in str(failed.value)


def test_an_unreachable_debtpulse_is_said_so() -> None:
    with server(stored_reply) as (url, _):
        pass  # closed again: nothing listens there now
    signal = gx_recipe.signal_for(ORDERS_FAILED, debt_key="DEBT-6")
    with pytest.raises(gx_recipe.PostFailed) as failed:
        gx_recipe.post_signal(url, signal, token=TOKEN, timeout=2)
    assert failed.value.status == 0
    assert f"debtpulse not reachable at {url}" in str(failed.value)


def test_the_workspace_and_token_go_where_debtpulse_reads_them() -> None:
    signal = gx_recipe.signal_for(ORDERS_FAILED, debt_key="DEBT-6")
    with server(stored_reply) as (url, received):
        gx_recipe.post_signal(url + "/", signal, token=TOKEN, team="T2")
    [request] = received
    assert request.path == "/api/signals"
    assert request.query == {"team": ["T2"]}
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.signal == signal


def test_a_long_suite_name_still_makes_a_signal_debtpulse_takes() -> None:
    long = gx_recipe.FailedValidation(
        suite="s" * 300, asset="a" * 300, run_time=datetime(2026, 11, 20), failed=()
    )
    signal = gx_recipe.signal_for(long, debt_key="DEBT-6")
    parsed = parse_signal(1, json.dumps(signal))  # debtpulse's own check of the fields
    assert len(parsed.dedup_key) <= 200 and len(parsed.source) <= 100
    assert parsed.observed_at == datetime(2026, 11, 20, tzinfo=UTC)


# --- Great Expectations itself ------------------------------------------------------------


@pytest.fixture
def gx_checkpoint(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Any]:
    """A checkpoint over an in-memory orders table whose action posts to ``url``."""
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    gx = pytest.importorskip("great_expectations")
    assert gx_recipe.ValidationAction is not None

    def make(url: str) -> Any:
        context = gx.get_context(mode="ephemeral")
        batch = (
            context.data_sources.add_pandas("warehouse")
            .add_dataframe_asset("orders")
            .add_batch_definition_whole_dataframe("all rows")
        )
        suite = context.suites.add(gx.ExpectationSuite(name="orders_suite"))
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="id"))
        suite.add_expectation(
            gx.expectations.ExpectColumnValuesToBeBetween(column="amount", min_value=0)
        )
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name="orders", data=batch, suite=suite)
        )
        action = gx_recipe.DebtpulseAction(name="debtpulse", url=url, debt_key="DEBT-6")
        return context.checkpoints.add(
            gx.Checkpoint(
                name="orders_nightly", validation_definitions=[validation], actions=[action]
            )
        )

    return make


def test_a_failing_checkpoint_posts_one_signal_for_its_suite(
    gx_checkpoint: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    pandas = pytest.importorskip("pandas")
    monkeypatch.setenv("DEBTPULSE_SIGNALS_TOKEN", TOKEN)
    orders = pandas.DataFrame({"id": [1, None, 3], "amount": [5.0, -2.0, 7.0]})
    with server(stored_reply) as (url, received):
        result = gx_checkpoint(url).run(batch_parameters={"dataframe": orders})
    assert result.success is False
    [request] = received
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    signal = parse_signal(1, request.body.decode())
    assert (signal.debt_key, signal.kind, signal.source) == (
        "DEBT-6",
        "data_quality",
        "great_expectations:orders_suite",
    )
    assert signal.value == 1.0
    assert signal.observed_at == result.run_id.run_time.astimezone(UTC)
    assert signal.dedup_key.startswith("gx:orders_suite:orders:")


def test_a_passing_checkpoint_posts_nothing(
    gx_checkpoint: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    pandas = pytest.importorskip("pandas")
    monkeypatch.setenv("DEBTPULSE_SIGNALS_TOKEN", TOKEN)
    orders = pandas.DataFrame({"id": [1, 2, 3], "amount": [5.0, 2.0, 7.0]})
    with server(stored_reply) as (url, received):
        assert gx_checkpoint(url).run(batch_parameters={"dataframe": orders}).success
    assert received == []


def test_without_the_token_the_checkpoint_still_runs_and_posts_nothing(
    gx_checkpoint: Callable[[str], Any], caplog: pytest.LogCaptureFixture
) -> None:
    pandas = pytest.importorskip("pandas")
    orders = pandas.DataFrame({"id": [None], "amount": [1.0]})
    with server(stored_reply) as (url, received):
        result = gx_checkpoint(url).run(batch_parameters={"dataframe": orders})
    assert result.success is False and received == []
    assert "DEBTPULSE_SIGNALS_TOKEN is not set; nothing posted" in caplog.text


# --- Evidently: the signal and the step --------------------------------------------------


FAILED_RUN = {
    "metrics": [],
    "tests": [
        {"id": "eq", "name": "Column 'id' missing values: Equal 0.000", "status": "FAIL"},
        {"id": "le", "name": "Row count in dataset: Less or Equal 10.000", "status": "SUCCESS"},
        {"id": "lt", "name": "Share of drifted columns: Less 0.3", "status": "WARNING"},
    ],
}


def test_a_run_with_a_failed_test_is_one_signal_debtpulse_takes() -> None:
    signal = evidently_recipe.signal_for(
        FAILED_RUN, debt_key="DEBT-9", suite="ranking-daily", observed_at=NOW, kind="drift"
    )
    parsed = parse_signal(1, json.dumps(signal))
    assert (parsed.debt_key, parsed.kind, parsed.source, parsed.value) == (
        "DEBT-9",
        "drift",
        "evidently:ranking-daily",
        1.0,
    )
    assert parsed.dedup_key == "evidently:ranking-daily:2026-11-20T12:00:00+00:00"
    assert evidently_recipe.failed_tests(FAILED_RUN) == ["Column 'id' missing values: Equal 0.000"]


def test_a_run_that_only_warns_posts_nothing() -> None:
    warned = {"tests": [t for t in FAILED_RUN["tests"] if t["status"] != "FAIL"]}
    with server(stored_reply) as (url, received):
        reply = evidently_recipe.post_failures(
            warned, base_url=url, debt_key="DEBT-9", suite="s", token=TOKEN
        )
    assert reply is None and received == []


@pytest.mark.parametrize(
    ("result", "kind", "message"),
    [
        ({"metrics": []}, "data_quality", "tests: not in the result"),
        (FAILED_RUN, "incident", "kind: one of data_quality, drift expected"),
    ],
)
def test_a_result_without_tests_or_a_wrong_kind_is_refused(
    result: dict[str, Any], kind: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        evidently_recipe.signal_for(
            result, debt_key="DEBT-9", suite="s", observed_at=NOW, kind=kind
        )


def test_the_step_from_a_shell_posts_a_saved_run(
    debtpulse: str,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    saved = tmp_path / "snapshot.json"
    saved.write_text(json.dumps(FAILED_RUN), encoding="utf-8")
    monkeypatch.setattr(evidently_recipe, "datetime", _FixedNow)
    args = [str(saved), "--url", debtpulse, "--debt-key", "debt-6", "--suite", "orders"]
    assert evidently_recipe.main(args) == 0
    assert "1 failed test(s) posted to debt-6 (stored)" in capsys.readouterr().out
    [(key, kind, source, *_)] = stored_signals(engine)
    assert (key, kind, source) == ("DEBT-6", "data_quality", "evidently:orders")
    assert evidently_recipe.main(args) == 0
    assert "(already known)" in capsys.readouterr().out


def test_the_step_without_a_token_stops_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "snapshot.json"
    saved.write_text(json.dumps(FAILED_RUN), encoding="utf-8")
    args = [str(saved), "--url", "http://127.0.0.1:9", "--debt-key", "DEBT-6", "--suite", "x"]
    assert evidently_recipe.main(args) == 2
    assert capsys.readouterr().err == "evidently_step: DEBTPULSE_SIGNALS_TOKEN is not set\n"


class _FixedNow(datetime):
    """``datetime`` whose ``now`` is NOW: debtpulse refuses a signal from its future."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return NOW if tz is None else NOW.astimezone(tz)


# --- Evidently itself ------------------------------------------------------------------------


def test_a_real_evidently_report_with_failed_tests_is_posted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    pandas = pytest.importorskip("pandas")
    evidently = pytest.importorskip("evidently")
    from evidently.metrics import MaxValue, MissingValueCount
    from evidently.tests import eq, lte

    current = pandas.DataFrame({"id": [1, None, 3], "amount": [5.0, 500.0, 7.0]})
    report = evidently.Report(
        [MissingValueCount(column="id", tests=[eq(0)]), MaxValue(column="amount", tests=[lte(100)])]
    )
    snapshot = report.run(current_data=evidently.Dataset.from_pandas(current), reference_data=None)
    with server(stored_reply) as (url, received):
        reply = evidently_recipe.post_failures(
            snapshot.dict(),
            base_url=url,
            debt_key="DEBT-9",
            suite="orders-daily",
            token=TOKEN,
            observed_at=NOW,
        )
    assert reply is not None and reply["stored"] is True
    [request] = received
    signal = parse_signal(1, request.body.decode())
    assert (signal.kind, signal.source) == ("data_quality", "evidently:orders-daily")
    assert len(evidently_recipe.failed_tests(snapshot.dict())) == 2
