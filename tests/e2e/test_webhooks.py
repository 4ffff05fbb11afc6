"""``POST /api/hooks/<source>`` end to end: the real ``serve`` process over HTTP, sent each
sender's payloads as its documentation shapes them (``tests/fixtures/webhooks``, each with its
source named in that folder's README), signed as each sender signs them — valid, invalid,
missing and rotated signatures, duplicates, malformed and oversized bodies. Routed signals
land on their item and move its score; unrouted ones wait in the inbox; a resolution ends the
occurrence it closes."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from bot.core.score_settings import ScoreSettings
from bot.services import webhook_secrets
from bot.services.ranking import current_ranking
from storage import db, register
from tests.e2e.conftest import TEAM, free_port, server_env, start_server

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
LIBRARY = Path(__file__).resolve().parents[2] / "surveys" / "library"
ANON = "e2e-anon-secret"  # the serve process's DEBTPULSE_ANON_SECRET (server_env)
GITHUB_SECRET = "e2e-github-secret"
PAGERDUTY_OLD = "e2e-pagerduty-secret-before-rotation"
PAGERDUTY_NEW = "e2e-pagerduty-secret-after-rotation"
SONAR_SECRET = "e2e-sonar-secret-0123456789"
ROUTES = """\
routes:
  - match: {source: github, repo: acme/ml-platform, workflow: "nightly-*"}
    to: DEBT-1
  - match: {source: gitlab, repo: data/ml-platform}
    to: DEBT-2
  - match: {source: alertmanager, labels: {service: ingest}}
    to: DEBT-1
  - match: {source: sonarqube, project: acme_feature-store}
    to: DEBT-4
  - match: {source: pagerduty, service: "Feature store"}
    to: DEBT-6
"""
ITEMS = {
    "DEBT-1": "Nightly training pipeline is brittle",
    "DEBT-2": "GitLab CI for the ML platform",
    "DEBT-3": "Ranker features drift",
    "DEBT-4": "Feature store code quality",
    "DEBT-6": "Feature store incidents",
    "DEBT-7": "Debt issues filed by hand",
    "DEBT-12": "Lake reader crashes",
}
Reply = tuple[int, dict[str, Any]]


@dataclass
class Hooks:
    url: str
    engine: Engine
    log: Path

    def post(
        self,
        source: str,
        body: bytes,
        headers: dict[str, str],
        *,
        team: str | None = None,
        method: str = "POST",
    ) -> Reply:
        query = f"?{urlencode({'team': team})}" if team else ""
        request = urllib.request.Request(
            f"{self.url}/api/hooks/{source}{query}", data=body, method=method
        )
        request.add_header("Content-Type", "application/json")
        for name, value in headers.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]

    def stored(self) -> tuple[int, int, int]:
        """(signals, inbox rows, delivery ids) stored so far."""
        (counts,) = self.rows(
            "SELECT (SELECT count(*) FROM signal), (SELECT count(*) FROM signal_inbox), "
            "(SELECT count(*) FROM inbound_event)"
        )
        return counts[0], counts[1], counts[2]

    def signals(self, source: str) -> list[tuple[str, str, str, bool]]:
        """(item, kind, dedup key, ended) of the stored signals from ``source``."""
        return [
            (key, kind, dedup, ended is not None)
            for key, kind, dedup, ended in self.rows(
                "SELECT d.key, s.kind, s.dedup_key, s.ended_at FROM signal s JOIN debt_item d "
                "ON d.id = s.debt_item_id WHERE s.source = :source ORDER BY s.id",
                source=source,
            )
        ]

    def inbox(self, source: str) -> list[tuple[str, str, str, bool]]:
        """(kind, action, dedup key, ended) of the inbox rows from ``source``."""
        return [
            (kind, action, dedup, ended is not None)
            for kind, action, dedup, ended in self.rows(
                "SELECT kind, action, dedup_key, ended_at FROM signal_inbox "
                "WHERE source = :source ORDER BY id",
                source=source,
            )
        ]

    def add_secret(self, source: str, team: str = TEAM) -> str:
        """A workspace secret, as ``debtpulse integrations add`` stores it."""
        with db.session_scope(self.engine) as session:
            added = webhook_secrets.add(
                session,
                team_id=team,
                source=source,
                master=ANON,
                actor="e2e",
                reason="e2e",
                now=datetime.now(UTC),
            )
        assert added.secret is not None
        return added.secret


@contextmanager
def serving(folder: Path, **env: str) -> Iterator[Hooks]:
    """``debtpulse serve`` on a fresh database with the register above and ``routes.yaml``."""
    from bot.sandbox import FakeSlack

    database_url = f"sqlite:///{folder / 'debtpulse.db'}"
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with Session(engine) as session:
        for key, title in ITEMS.items():
            register.upsert_item(
                session, team_id=TEAM, key=key, fields={"title": title}, now=datetime.now(UTC)
            )
        session.commit()
    templates = folder / "templates"
    shutil.copytree(LIBRARY, templates)
    (templates / "routes.yaml").write_text(ROUTES, encoding="utf-8")
    with FakeSlack(post_rate=None) as fake:
        port = free_port()
        log = folder / "serve.log"
        environment = server_env(fake, database_url, DEBTPULSE_SURVEYS_DIR=str(templates), **env)
        process = start_server(env=environment, port=port, log=log)
        try:
            yield Hooks(f"http://127.0.0.1:{port}", engine, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            engine.dispose()


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hooks]:
    with serving(
        tmp_path_factory.mktemp("hooks"),
        DEBTPULSE_GITHUB_SECRET=GITHUB_SECRET,
        DEBTPULSE_PAGERDUTY_SECRET=PAGERDUTY_NEW,
        DEBTPULSE_SONAR_SECRET=SONAR_SECRET,
    ) as stack:
        yield stack


# --- how each sender signs ---------------------------------------------------------------


def _hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


Signer = Callable[[bytes, str], dict[str, str]]
SIGN: dict[str, Signer] = {
    "github": lambda body, secret: {"X-Hub-Signature-256": f"sha256={_hex(secret, body)}"},
    "gitlab": lambda body, secret: {"X-Gitlab-Token": secret},
    "alertmanager": lambda body, secret: {"Authorization": f"Bearer {secret}"},
    "pagerduty": lambda body, secret: {"X-PagerDuty-Signature": f"v1={_hex(secret, body)}"},
    "sentry": lambda body, secret: {"Sentry-Hook-Signature": _hex(secret, body)},
    "sonarqube": lambda body, secret: {"X-Sonar-Webhook-HMAC-SHA256": _hex(secret, body)},
}
#: The senders that send a token rather than a signature of the body.
TOKENS = ("gitlab", "alertmanager")
#: The status of a request without a signature, and with one made with another secret.
REFUSED = {
    "github": (401, 401),
    "gitlab": (401, 401),
    "alertmanager": (401, 401),
    "pagerduty": (400, 403),
    "sentry": (401, 401),
    "sonarqube": (401, 401),
}


def fixture(source: str, name: str) -> bytes:
    return (FIXTURES / source / name).read_bytes()


def _refusals(hooks: Hooks, source: str, body: bytes, headers: dict[str, str], secret: str) -> None:
    """Missing, wrong and malformed: each refused as the sender's module says, and nothing
    stored; a body that is not JSON, signed, is refused naming the body."""
    before = hooks.stored()
    missing, wrong = REFUSED[source]
    status, reply = hooks.post(source, body, headers)
    assert status == missing and reply["ok"] is False, (status, reply)
    status, reply = hooks.post(source, body, headers | SIGN[source](body, "not-the-secret"))
    assert status == wrong and reply["ok"] is False, (status, reply)
    if source not in TOKENS:  # a signature over the body: signed, then changed on the way
        tampered = body.replace(b"{", b"{ ", 1)
        assert hooks.post(source, tampered, headers | SIGN[source](body, secret))[0] == wrong
    garbage = b'{"not": "closed"'
    status, reply = hooks.post(source, garbage, headers | SIGN[source](garbage, secret))
    assert status in (400, 422) and reply["error"].startswith("body: "), (status, reply)
    assert hooks.stored() == before
    said = json.dumps(reply) + hooks.log.read_text(errors="replace")
    assert secret not in said


def _score(hooks: Hooks, key: str) -> tuple[float, float]:
    """The item's (score, signals component) now."""
    with Session(hooks.engine) as session:
        ranking = current_ranking(
            session, team_id=TEAM, now=datetime.now(UTC), settings=ScoreSettings()
        )
    for ranked in ranking.items:
        shown = ranked.to_public_dict()
        if shown["key"] == key:
            return shown["score"], shown["components"]["signals"]
    raise AssertionError(f"{key} not ranked")


# --- one test per sender ------------------------------------------------------------------


def test_github_failed_and_flaky_runs_and_debt_issues(hooks: Hooks) -> None:
    def headers(event: str, delivery: str | None = None) -> dict[str, str]:
        return {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4())}

    failure = fixture("github", "workflow_run_failure.json")
    _refusals(hooks, "github", failure, headers("workflow_run"), GITHUB_SECRET)
    score_before, signals_before = _score(hooks, "DEBT-1")
    assert signals_before == 0

    delivery = headers("workflow_run")
    signed = delivery | SIGN["github"](failure, GITHUB_SECRET)
    status, reply = hooks.post("github", failure, signed)
    assert status == 201, reply
    assert (reply["signals"], reply["items"]) == (1, ["DEBT-1"])  # by the nightly-* rule
    assert hooks.post("github", failure, signed) == (
        200,
        {"ok": True, "delivery": delivery["X-GitHub-Delivery"], "duplicate": True},
    )
    score_after, signals_after = _score(hooks, "DEBT-1")
    assert signals_after > 0 and score_after > score_before

    rerun = fixture("github", "workflow_run_rerun_success.json")
    assert (
        hooks.post("github", rerun, headers("workflow_run") | SIGN["github"](rerun, GITHUB_SECRET))[
            0
        ]
        == 201
    )
    labelled = fixture("github", "issues_labeled_debt_key.json")
    status, reply = hooks.post(
        "github", labelled, headers("issues") | SIGN["github"](labelled, GITHUB_SECRET)
    )
    assert (status, reply["items"]) == (201, ["DEBT-7"])
    suggested = fixture("github", "issues_opened_tech_debt.json")
    status, reply = hooks.post(
        "github", suggested, headers("issues") | SIGN["github"](suggested, GITHUB_SECRET)
    )
    assert (status, reply["inbox"], reply["signals"]) == (201, 1, 0)
    assert hooks.signals("github") == [
        ("DEBT-1", "ci_failure", "github:run:12850712345:1", False),
        ("DEBT-1", "flaky_test", "github:flaky:12850712345", False),
        ("DEBT-7", "custom", "github:issue:2671804411:DEBT-7", False),
    ]
    assert hooks.inbox("github") == [("custom", "suggest", "github:issue:2673150927", False)]

    ping = fixture("github", "ping.json")
    status, reply = hooks.post(
        "github", ping, headers("ping") | SIGN["github"](ping, GITHUB_SECRET)
    )
    assert status == 200 and reply["ignored"].startswith("ping")

    before = hooks.stored()
    huge = b'{"action": "completed", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert (
        hooks.post("github", huge, headers("workflow_run") | SIGN["github"](huge, GITHUB_SECRET))[0]
        == 413
    )
    # the environment's secret serves the posting workspace only: another is no endpoint
    other = headers("workflow_run") | SIGN["github"](failure, GITHUB_SECRET)
    assert hooks.post("github", failure, other, team="T0OTHER") == (
        404,
        {"ok": False, "error": "not found"},
    )
    assert hooks.post("jenkins", failure, other)[0] == 404
    assert hooks.post("github", b"", {}, method="GET")[0] == 405
    assert hooks.stored() == before


def test_gitlab_with_a_workspace_secret(hooks: Hooks) -> None:
    pipeline = fixture("gitlab", "pipeline_failed.json")
    hook = {"X-Gitlab-Event": "Pipeline Hook"}
    assert hooks.post("gitlab", pipeline, hook | SIGN["gitlab"](pipeline, "anything"))[0] == 404
    secret = hooks.add_secret("gitlab")  # debtpulse integrations add gitlab --team T0TEST
    _refusals(hooks, "gitlab", pipeline, hook, secret)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    signed = hook | key | SIGN["gitlab"](pipeline, secret)
    status, reply = hooks.post("gitlab", pipeline, signed, team=TEAM)
    assert (status, reply["items"]) == (201, ["DEBT-2"]), reply
    assert hooks.post("gitlab", pipeline, signed)[1]["duplicate"] is True
    for name, event in (
        ("job_retried_success.json", "Job Hook"),
        ("issue_labeled_debt_key.json", "Issue Hook"),
        ("issue_opened_tech_debt.json", "Issue Hook"),
    ):
        body = fixture("gitlab", name)
        assert (
            hooks.post("gitlab", body, {"X-Gitlab-Event": event} | SIGN["gitlab"](body, secret))[0]
            == 201
        )
    assert hooks.signals("gitlab") == [
        ("DEBT-2", "ci_failure", "gitlab:pipeline:9120", False),
        ("DEBT-2", "flaky_test", "gitlab:flaky:55219", False),
        ("DEBT-7", "custom", "gitlab:issue:87940:DEBT-7", False),
    ]
    assert hooks.inbox("gitlab") == [("custom", "suggest", "gitlab:issue:88213", False)]


def test_alertmanager_firing_then_resolved_gives_the_time_to_recover(hooks: Hooks) -> None:
    firing = fixture("alertmanager", "alertmanager_firing.json")
    assert hooks.post("alertmanager", firing, {})[0] == 404  # no token, unsigned not allowed
    token = hooks.add_secret("alertmanager")
    _refusals(hooks, "alertmanager", firing, {}, token)
    status, reply = hooks.post("alertmanager", firing, SIGN["alertmanager"](firing, token))
    assert status == 201 and sorted(reply["items"]) == ["DEBT-1", "DEBT-3"], reply
    # the group sent again unchanged (Alertmanager's repeat_interval) is a duplicate
    assert hooks.post("alertmanager", firing, SIGN["alertmanager"](firing, token))[1]["duplicate"]
    resolved = fixture("alertmanager", "alertmanager_resolved.json")
    status, reply = hooks.post("alertmanager", resolved, SIGN["alertmanager"](resolved, token))
    assert (status, reply["ended"], reply["known"]) == (201, 1, 1), reply
    grafana = fixture("alertmanager", "grafana_firing.json")
    status, reply = hooks.post("alertmanager", grafana, SIGN["alertmanager"](grafana, token))
    assert (status, reply["inbox"]) == (201, 1)  # no rule for orders-etl: it waits
    assert hooks.signals("alertmanager") == [
        ("DEBT-1", "alert", "alertmanager:1a30ba71cca2921f:2026-11-20T08:14:30.512836Z", True),
        ("DEBT-3", "drift", "alertmanager:bc97ff14869b13e3:2026-11-20T08:16:00.004000Z", False),
    ]
    assert hooks.inbox("alertmanager") == [
        ("data_quality", "open", "alertmanager:c6eadffa33fcdf37:2026-11-20T05:05:00Z", False)
    ]
    ((minutes,),) = hooks.rows(
        "SELECT (julianday(ended_at) - julianday(observed_at)) * 1440 FROM signal "
        "WHERE dedup_key LIKE 'alertmanager:1a30%'"
    )
    assert round(minutes) == 48


def test_pagerduty_with_a_rotated_secret(hooks: Hooks) -> None:
    triggered = fixture("pagerduty", "incident_triggered.json")
    _refusals(hooks, "pagerduty", triggered, {}, PAGERDUTY_NEW)
    old_only = SIGN["pagerduty"](triggered, PAGERDUTY_OLD)
    assert hooks.post("pagerduty", triggered, old_only)[0] == 403
    rotating = {
        "X-PagerDuty-Signature": f"v1={_hex(PAGERDUTY_OLD, triggered)},"
        f"v1={_hex(PAGERDUTY_NEW, triggered)}"
    }
    status, reply = hooks.post("pagerduty", triggered, rotating)
    assert (status, reply["items"]) == (201, ["DEBT-6"]), reply
    assert hooks.post("pagerduty", triggered, rotating)[1]["duplicate"] is True
    acknowledged = fixture("pagerduty", "incident_acknowledged.json")
    status, reply = hooks.post(
        "pagerduty", acknowledged, SIGN["pagerduty"](acknowledged, PAGERDUTY_NEW)
    )
    assert status == 200 and "ignored" in reply
    resolved = fixture("pagerduty", "incident_resolved.json")
    status, reply = hooks.post("pagerduty", resolved, SIGN["pagerduty"](resolved, PAGERDUTY_NEW))
    assert (status, reply["ended"]) == (201, 1)
    assert hooks.signals("pagerduty") == [("DEBT-6", "incident", "pagerduty:Q2F8ZKBHW1C3DE", True)]


def test_sentry_alerts_named_routed_or_waiting(hooks: Hooks) -> None:
    alert = fixture("sentry", "event_alert.json")
    headers = {"Sentry-Hook-Resource": "event_alert", "Request-ID": str(uuid.uuid4())}
    secret = hooks.add_secret("sentry")
    _refusals(hooks, "sentry", alert, headers, secret)
    status, reply = hooks.post("sentry", alert, headers | SIGN["sentry"](alert, secret))
    assert (status, reply["items"]) == (201, ["DEBT-12"]), reply  # its tag debt: DEBT-12
    assert hooks.post("sentry", alert, headers | SIGN["sentry"](alert, secret))[1]["duplicate"]
    for name, resource in (
        ("metric_alert_critical.json", "metric_alert"),
        ("metric_alert_resolved.json", "metric_alert"),
    ):
        body = fixture("sentry", name)
        named = {"Sentry-Hook-Resource": resource, "Request-ID": str(uuid.uuid4())}
        assert hooks.post("sentry", body, named | SIGN["sentry"](body, secret))[0] == 201
    assert hooks.signals("sentry") == [
        (
            "DEBT-12",
            "alert",
            "sentry:event_alert:5123456789:9c1e5a27d4b84f0e8a6b3c2d1e0f9a8b",
            False,
        )
    ]
    # no rule for the trainer project: it waits in the inbox, and its resolution ends it there
    assert hooks.inbox("sentry") == [("alert", "open", "sentry:metric_alert:7731", True)]


def test_sonarqube_failed_quality_gate(hooks: Hooks) -> None:
    failed = fixture("sonarqube", "quality_gate_failed.json")
    project = {"X-SonarQube-Project": "acme_feature-store"}
    _refusals(hooks, "sonarqube", failed, project, SONAR_SECRET)
    signed = project | SIGN["sonarqube"](failed, SONAR_SECRET)
    status, reply = hooks.post("sonarqube", failed, signed)
    assert (status, reply["items"]) == (201, ["DEBT-4"]), reply
    assert hooks.post("sonarqube", failed, signed)[1]["duplicate"] is True
    passed = fixture("sonarqube", "quality_gate_passed.json")
    status, reply = hooks.post(
        "sonarqube", passed, project | SIGN["sonarqube"](passed, SONAR_SECRET)
    )
    assert status == 200 and "ignored" in reply
    [(key, kind, dedup, ended)] = hooks.signals("sonarqube")
    assert (key, kind, dedup.startswith("sonarqube:acme_feature-store:main:"), ended) == (
        "DEBT-4",
        "code_quality",
        True,
        False,
    )


def test_alertmanager_unsigned_only_when_the_operator_allows_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with serving(
        tmp_path_factory.mktemp("unsigned"), DEBTPULSE_ALERTMANAGER_ALLOW_UNSIGNED="true"
    ) as hooks:
        firing = fixture("alertmanager", "alertmanager_firing.json")
        status, reply = hooks.post("alertmanager", firing, {})
        assert (status, sorted(reply["items"])) == (201, ["DEBT-1", "DEBT-3"]), reply
        assert hooks.post("alertmanager", firing, {}, team="T0OTHER")[0] == 404
        failure = fixture("github", "workflow_run_failure.json")
        github = {"X-GitHub-Event": "workflow_run", "X-GitHub-Delivery": str(uuid.uuid4())}
        assert hooks.post("github", failure, github | SIGN["github"](failure, "x"))[0] == 404


def test_a_database_gone_is_a_503_and_nothing_repeats_the_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same WSGI app ``serve`` runs, in process: the database goes away mid-run."""
    from bot.config import load_settings
    from bot.runtime import build_runtime
    from bot.web.wsgi import make_wsgi_app

    monkeypatch.setenv("DEBTPULSE_GITHUB_SECRET", GITHUB_SECRET)
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    db.upgrade(engine)
    runtime = build_runtime(load_settings(), engine=engine, default_team=TEAM)
    app = make_wsgi_app(runtime, bolt_app=None)  # type: ignore[arg-type]  # no Slack routes
    body = fixture("github", "workflow_run_failure.json")

    def post() -> Reply:
        statuses: list[str] = []
        environ = {
            "PATH_INFO": "/api/hooks/github",
            "REQUEST_METHOD": "POST",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "HTTP_X_GITHUB_EVENT": "workflow_run",
            "HTTP_X_GITHUB_DELIVERY": str(uuid.uuid4()),
            "HTTP_X_HUB_SIGNATURE_256": SIGN["github"](body, GITHUB_SECRET)["X-Hub-Signature-256"],
        }
        raw = b"".join(app(environ, lambda status, headers: statuses.append(status)))
        return int(statuses[0].split()[0]), json.loads(raw)

    caplog.set_level(logging.DEBUG)
    assert post()[0] == 201  # taken: without routes.yaml nothing routes it, so it waits
    runtime.engine = db.make_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")
    reply = post()
    assert reply == (503, {"ok": False, "error": "database unavailable; nothing was stored, retry"})
    assert GITHUB_SECRET not in json.dumps(reply) + caplog.text
