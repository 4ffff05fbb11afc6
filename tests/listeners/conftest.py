"""In-process listener tests: the real Bolt app, signed requests, no HTTP server for the bot.

The pattern of bolt-python's own tests: a request body signed with the signing secret and a
current timestamp goes to ``app.dispatch(BoltRequest(...))``; what comes back is the ack.
Everything the listeners send to Slack (response_url posts, ephemerals, modals, messages,
files) lands in a ``FakeSlack`` on 127.0.0.1, where the tests read what the user was told.

One app per test module (building it asks the fake for ``auth.test``); each test starts from
an empty migrated database, an empty fake and no listener still running.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App, BoltRequest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import load_settings
from bot.listeners import poll_listeners
from bot.listeners.app import build_app
from bot.runtime import Runtime, build_runtime
from bot.sandbox import (
    BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    DEFAULT_USER_ID,
    TEAM_ID,
    DriverResponse,
    FakeSlack,
    SlackDriver,
    Tamper,
)
from bot.sandbox.records import Ephemeral
from bot.services import poll_jobs
from bot.services import register as register_service
from bot.slack import confirmations
from storage import db

SECRET = "listener-signing-secret"
LEAD = "U0LEAD"
MEMBER = DEFAULT_USER_ID  # "U0USER": in #general, not a lead
ALICE = "U0ALICE"
GENERAL = DEFAULT_CHANNEL_ID  # "C0GENERAL"
POLLS = "C0POLLS"
DIGEST = "C0DIGEST"
TEAM = TEAM_ID  # "T0TEST", the workspace of the fake's bot token

VOTE_SURVEY = f"""\
id: quick-vote
title: Quick vote
schedule: {{cron: "0 9 * * WED", timezone: UTC}}
audience: {{channel: {POLLS}}}
anonymous: false
open_for: 24h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""
PULSE_SURVEY = f"""\
id: team-pulse
title: Team pulse
schedule: {{cron: "0 10 * * MON", timezone: UTC}}
audience: {{channel: {POLLS}}}
anonymous: false
open_for: 48h
questions:
  - id: pain
    type: likert
    prompt: "How much did *{{{{ item.title }}}}* slow you down?"
    for_each: {{debt_items: {{status: open}}}}
  - id: note
    type: text
    prompt: Anything else?
    optional: true
    max_length: 40
"""
ANON_SURVEY = (
    PULSE_SURVEY.replace("id: team-pulse", "id: anon-pulse")
    .replace("title: Team pulse", "title: Anonymous pulse")
    .replace("anonymous: false", "anonymous: true")
    .replace("MON", "TUE")
)
SAMPLE_SURVEY = (
    PULSE_SURVEY.replace("id: team-pulse", "id: sample-pulse")
    .replace("title: Team pulse", "title: Sampled pulse\nsample: 2")
    .replace("MON", "THU")
)
#: Option values of 100 characters that share their first 90 (the schema allows 150).
LONG_OPTION_A = "a" * 90 + "-first-one"
LONG_OPTION_B = "a" * 90 + "-second-on"
CHOICE_SURVEY = f"""\
id: long-choice
title: Long choice
schedule: {{cron: "0 11 * * FRI", timezone: UTC}}
audience: {{channel: {POLLS}}}
anonymous: false
open_for: 24h
questions:
  - id: pick
    type: choice
    prompt: Which one?
    options:
      - {{value: {LONG_OPTION_A}, label: First}}
      - {{value: {LONG_OPTION_B}, label: Second}}
"""
DIGEST_TEMPLATE = """\
id: weekly-digest
kind: digest
title: Weekly debt digest
schedule: {cron: "0 9 * * MON", timezone: UTC}
"""
TEMPLATES = {
    "quick-vote.yaml": VOTE_SURVEY,
    "team-pulse.yaml": PULSE_SURVEY,
    "anon-pulse.yaml": ANON_SURVEY,
    "sample-pulse.yaml": SAMPLE_SURVEY,
    "long-choice.yaml": CHOICE_SURVEY,
    "weekly-digest.yaml": DIGEST_TEMPLATE,
}


class TrackingExecutor(Executor):
    """Bolt's listener executor, wrapped: remembers each listener run so a test can wait
    until every listener started so far has finished (acks come before the work is done)."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.futures: list[Future[Any]] = []
        self.started = 0  # listener runs handed to the executor so far

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = self.inner.submit(fn, *args, **kwargs)
        self.futures.append(future)
        self.started += 1
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)

    def wait_idle(self, timeout: float = 10.0) -> None:
        pending = [f for f in self.futures if not f.done()]
        _, not_done = wait(pending, timeout=timeout)
        assert not not_done, f"{len(not_done)} listener(s) still running after {timeout} s"
        self.futures = [f for f in self.futures if not f.done()]


class InProcessDriver(SlackDriver):
    """``SlackDriver`` (Slack's payloads, the fake's trigger ids and response URLs) whose
    requests go to ``app.dispatch`` instead of over HTTP, signed as Slack signs them.

    Each send returns once the listener it started has finished, so what it stored and
    sent can be checked at once (confirmations of answers run on threads of their own).
    """

    def __init__(self, harness: Harness, user: str) -> None:
        super().__init__("inprocess://bolt", SECRET, fake=harness.fake, default_user=user)
        self.harness = harness

    def send(
        self,
        body: str,
        *,
        content_type: str,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        tamper: Tamper | None = None,
    ) -> DriverResponse:
        self.last_sent = (body, content_type)
        body, signed = self.signed(
            body,
            content_type=content_type,
            retry_num=retry_num,
            retry_reason=retry_reason,
            tamper=tamper,
        )
        headers = {name.lower(): value for name, value in signed.items()}
        started = time.monotonic()
        response = self.harness.app.dispatch(BoltRequest(body=body, headers=headers))
        elapsed = time.monotonic() - started
        self.harness.executor.wait_idle()
        self.harness.confirmations.wait_idle()  # what the person is told after the ack
        flat = {name: ", ".join(values) for name, values in response.headers.items()}
        return DriverResponse(response.status, flat, response.body, elapsed)


@dataclass
class Harness:
    app: App
    runtime: Runtime
    fake: FakeSlack
    executor: TrackingExecutor
    confirmations: TrackingExecutor

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    def driver(self, user: str = MEMBER) -> InProcessDriver:
        return InProcessDriver(self, user)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def told(self, user: str) -> list[str]:
        """Everything ``user`` alone was shown, oldest first: acks, response_url replies,
        ephemerals and DMs (text plus the text of every block)."""
        shown = [shown_text(e.text, e.blocks) for e in self.fake.ephemerals(user=user)]
        dm = "D" + user[1:]
        shown += [shown_text(m.text, m.blocks) for m in self.fake.messages(channel=dm)]
        return shown

    def reply_to(self, user: str, needle: str = "") -> str:
        """The one thing shown to ``user`` that contains ``needle`` (exactly one must);
        confirmations sent from their own thread are waited for."""
        with contextlib.suppress(TimeoutError):  # reported below, with what was shown
            self.fake.wait_for(lambda: any(needle in said for said in self.told(user)), timeout=5)
        matching = [said for said in self.told(user) if needle in said]
        assert len(matching) == 1, f"{needle!r} in {len(matching)} replies: {self.told(user)}"
        return matching[0]

    def ephemerals_via(self, user: str, via: str) -> list[Ephemeral]:
        return [e for e in self.fake.ephemerals(user=user) if e.via == via]

    def open_run(self, survey_id: str) -> int:
        """Arrange: a poll of ``survey_id`` opened by hand now, as `/debt poll send` does."""
        runtime = self.runtime
        run_id = poll_jobs.open_poll(
            runtime, survey_id, poll_jobs.manual_slot(runtime.clock()), source="manual"
        )
        assert run_id is not None
        return run_id

    def add_item(
        self, title: str, *, assess: tuple[int, int, int] | None = (4, 3, 2), **fields: Any
    ) -> str:
        """Arrange: an item in the register (as the register service adds one); its key."""
        now = self.runtime.clock()
        with self.runtime.transaction() as session:
            item = register_service.add_item(
                session,
                team_id=TEAM,
                fields={"title": title, "category": "operational", **fields},
                actor=LEAD,
                reason="test",
                now=now,
            )
            if assess is not None:
                impact, likelihood, detectability = assess
                register_service.assess(
                    session,
                    item=item,
                    impact=impact,
                    likelihood=likelihood,
                    detectability=detectability,
                    actor=LEAD,
                    reason="test",
                    now=now,
                )
            return item.key


def shown_text(text_value: str, blocks: list[dict[str, Any]]) -> str:
    """A message's fallback text and the text of each of its blocks, one per line."""
    parts = [text_value]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def module_harness(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_template: Path
) -> Iterator[Harness]:
    folder = tmp_path_factory.mktemp("listeners")
    surveys = folder / "surveys"
    surveys.mkdir()
    for name, content in TEMPLATES.items():
        (surveys / name).write_text(content, encoding="utf-8")
    path = folder / "debtpulse.db"
    shutil.copy(migrated_sqlite_template, path)
    engine = db.make_engine(f"sqlite:///{path}")
    with FakeSlack(post_rate=None) as fake:
        ws = fake.workspace
        ws.add_user(LEAD, name="lead")
        ws.add_user(ALICE, name="alice")
        ws.add_user("U0ROBOT", name="robot", is_bot=True)
        ws.channels[GENERAL].members.append(LEAD)
        ws.add_channel(POLLS, name="polls", members=[BOT_USER_ID, LEAD, MEMBER, ALICE])
        ws.add_channel(DIGEST, name="digest", members=[BOT_USER_ID, LEAD])
        with pytest.MonkeyPatch.context() as mp:
            # The settings as the server reads them: from the environment alone.
            mp.chdir(folder)
            for name in list(os.environ):
                ours = name.startswith(("SLACK_", "DEBTPULSE_")) or name in {"DATABASE_URL", "PORT"}
                if ours and name != "DEBTPULSE_TEST_POSTGRES_URL":
                    mp.delenv(name)
            env = {
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": fake.base_url,
                "DATABASE_URL": f"sqlite:///{path}",
                "DEBTPULSE_LEADS": LEAD,
                "DEBTPULSE_ANON_SECRET": "listener-anon-secret",
                "DEBTPULSE_SURVEYS_DIR": str(surveys),
                "DEBTPULSE_DIGEST_CHANNELS": DIGEST,
            }
            for name, value in env.items():
                mp.setenv(name, value)
            settings = load_settings()
        runtime = build_runtime(settings, engine=engine, default_team=TEAM)
        app = build_app(runtime)
        runner = app.listener_runner
        executor = TrackingExecutor(runner.listener_executor)
        runner.listener_executor = executor
        runner.lazy_listener_runner.executor = executor  # work after the ack runs here
        # confirmations go out from threads of their own: tracked too, so a request returns
        # once what it told the person has reached the fake Slack
        confirm = TrackingExecutor(ThreadPoolExecutor(max_workers=8))
        pool = confirmations._POOL
        kept, pool._executor = pool._executor, confirm  # type: ignore[assignment]
        try:
            yield Harness(
                app=app, runtime=runtime, fake=fake, executor=executor, confirmations=confirm
            )
        finally:
            confirm.wait_idle()
            pool._executor = kept
            executor.wait_idle()
            executor.shutdown(wait=True)
    engine.dispose()


@pytest.fixture
def harness(
    module_harness: Harness,
    migrated_sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Harness]:
    """The module's app with an empty database and fake; nothing Slack rejected afterwards."""
    harness = module_harness
    harness.executor.wait_idle()
    # An empty database of its own (the audit trail is append-only: rows cannot be wiped).
    path = tmp_path / "debtpulse.db"
    shutil.copy(migrated_sqlite_template, path)
    engine = db.make_engine(f"sqlite:///{path}")
    monkeypatch.setattr(harness.runtime, "engine", engine)
    harness.fake.reset()
    # The live count of a poll message is refreshed from a timer at most every 3 s; here at
    # once, so no refresh is left pending for a later test (run ids restart at 1 in each).
    monkeypatch.setattr(poll_listeners, "COUNTS", poll_listeners.CountUpdater(every=0.0))
    yield harness
    harness.executor.wait_idle()
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=10)
    engine.dispose()
    rejected = [(r.method, r.errors) for r in harness.fake.rejections]
    assert not rejected, f"Slack refused the Block Kit of: {rejected}"


@pytest.fixture
def lead(harness: Harness) -> InProcessDriver:
    return harness.driver(LEAD)


@pytest.fixture
def member(harness: Harness) -> InProcessDriver:
    return harness.driver(MEMBER)


def ack_json(response: DriverResponse) -> dict[str, Any]:
    assert response.status == 200, response
    body = json.loads(response.body_text)
    assert isinstance(body, dict)
    return body


def answers_recorded(response: DriverResponse) -> bool:
    """Whether the answer modal was acknowledged as stored: it turns into a notice saying
    the answers are recorded (sent once they are committed)."""
    if response.status != 200 or not response.body_text.strip():
        return False
    ack = ack_json(response)
    view = ack.get("view") or {}
    return ack.get("response_action") == "update" and "are recorded" in shown_text(
        "", view.get("blocks") or []
    )
