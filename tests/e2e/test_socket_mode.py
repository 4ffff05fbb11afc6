"""`debtpulse socket` as a real process, driven through the fake Slack's Socket Mode.

The process connects with its app-level token through ``apps.connections.open`` to the
fake's WebSocket, which keeps Slack's 3 seconds for each acknowledgement. A slash command,
a poll answer and an App Home open arrive as envelopes; then Slack asks for a refresh with
envelopes on the wire, and every one of them is acted on exactly once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.sandbox import APP_TOKEN, BOT_TOKEN, Envelope, FakeSlack, SocketModeDriver
from bot.sandbox.socket_records import EXPIRED, INTERACTIVE, PENDING, RETRIED, SENT
from bot.sandbox.state import SLACK_TIERS
from storage import db
from storage.models import InboundEvent, PollRun, Response, SchedulerLease
from tests.e2e.conftest import LEAD, server_env

pytestmark = pytest.mark.e2e
POLLS = "C0POLLS"
PEOPLE = [f"U0S{n:02d}" for n in range(1, 13)]
# Named, so each vote is a `response` row under the person's id. Its slot (29 February) is
# never within the worker's catch-up window of a test run: only `poll send` opens it.
SURVEY = f"""
id: socket-check
title: Socket check
schedule: {{cron: "0 3 29 2 *", timezone: UTC}}
audience: {{channel: {POLLS}}}
anonymous: false
open_for: 24h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""
WAIT = 20.0  # generous: the machine may be loaded; every wait ends as soon as its event


@dataclass
class SocketStack:
    fake: FakeSlack
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path
    folder: Path

    def driver(self, user: str) -> SocketModeDriver:
        # Slack's 3 s are the fake's (``ack_timeout``); the driver waits longer so that a
        # late acknowledgement shows as such (an expired envelope), not as a lost one.
        return SocketModeDriver(self.fake, default_user=user, default_channel=POLLS, timeout=WAIT)

    def session(self) -> Session:
        return Session(db.make_engine(self.database_url))


def socket_command(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "socket"],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def wait_until_connected(fake: FakeSlack, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60  # a loaded 2-core machine starts Python slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"debtpulse socket exited:\n{log.read_text()}")
        try:
            fake.socket_mode.wait_connected(timeout=0.5)
            return
        except TimeoutError:
            continue
    process.kill()
    raise RuntimeError(f"debtpulse socket never connected:\n{log.read_text()}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SocketStack]:
    folder = tmp_path_factory.mktemp("socket")
    (folder / "socket-check.yaml").write_text(SURVEY)
    database_url = f"sqlite:///{folder / 'debtpulse.db'}"
    db.upgrade(db.make_engine(database_url))
    # Slack's tier limits, but apps.connections.open (tier 1: about one a minute) may be
    # called as often as this module reconnects.
    tiers = {**SLACK_TIERS, "tier1": 30.0}
    with FakeSlack(post_rate=None, tier_rates=tiers) as fake:
        fake.workspace.add_user(LEAD, name="lead")
        for person in PEOPLE:
            fake.workspace.add_user(person, name=person.lower())
        fake.workspace.add_channel(POLLS, name="polls", members=["U0BOT", LEAD, *PEOPLE])
        env = server_env(
            fake,
            database_url,
            SLACK_APP_TOKEN=APP_TOKEN,
            DEBTPULSE_SURVEYS_DIR=str(folder),
            DEBTPULSE_POLL_CHANNEL=POLLS,
        )
        log = folder / "socket.log"
        process = socket_command(env, log)
        try:
            wait_until_connected(fake, process, log)
            yield SocketStack(fake, database_url, process, log, folder)
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


def _said(fake: FakeSlack, user: str, needle: str, *, via: str = "response_url") -> list[str]:
    """What ``user`` alone was shown (from a response URL, by default) containing ``needle``."""
    shown = [e.text + json.dumps(e.blocks) for e in fake.ephemerals(user=user) if e.via == via]
    return [text for text in shown if needle in text]


def _recorded(fake: FakeSlack, user: str) -> list[str]:
    """The vote confirmations ``user`` was shown."""
    return _said(fake, user, "Recorded")


def _publishes(fake: FakeSlack, user: str) -> int:
    return len([c for c in fake.calls_to("views.publish") if c.params.get("user_id") == user])


def test_a_slash_command_is_answered_in_its_acknowledgement(stack: SocketStack) -> None:
    driver = stack.driver(PEOPLE[0])
    response = driver.slash(text="help")
    assert response.ok and response.elapsed < 3
    assert "/debt top" in response.body_text and response.ack_errors == []
    assert _said(stack.fake, PEOPLE[0], "/debt top", via="ack")  # shown from the ack
    envelope = stack.fake.socket_mode.envelope(driver.last_envelope_id or "")
    assert envelope.type == "slash_commands" and envelope.acked
    # a command answered after its ack goes to its response URL, as over HTTP
    top = driver.slash(text="top")
    assert top.ok and top.body_text == ""  # acknowledged at once, empty
    stack.fake.wait_for(lambda: _said(stack.fake, PEOPLE[0], "No open debt items"), timeout=WAIT)


def test_a_poll_answer_is_stored_and_confirmed(stack: SocketStack) -> None:
    lead = stack.driver(LEAD)
    assert lead.slash(text="poll send socket-check").ok
    stack.fake.wait_for(lambda: stack.fake.messages(channel=POLLS), timeout=WAIT)
    voter = PEOPLE[0]
    assert stack.driver(voter).click_button(action_id="poll_vote_4", user=voter).ok
    stack.fake.wait_for(lambda: _recorded(stack.fake, voter), timeout=WAIT)
    with stack.session() as session:
        run = session.exec(select(PollRun).where(PollRun.survey_id == "socket-check")).one()
        answers = session.exec(select(Response).where(Response.poll_run_id == run.id)).all()
    assert [(a.respondent, a.value) for a in answers] == [(voter, 4)]


def test_app_home_opened_publishes_the_home_tab(stack: SocketStack) -> None:
    person = PEOPLE[1]
    assert stack.driver(person).app_home_opened(person).ok
    stack.fake.wait_for(lambda: _publishes(stack.fake, person), timeout=WAIT)
    home = stack.fake.home(person)
    assert home is not None and "Top debt priorities" in json.dumps(home.blocks)
    assert stack.fake.rejections == []


def test_a_refresh_with_envelopes_on_the_wire_loses_nothing(stack: SocketStack) -> None:
    fake, hub = stack.fake, stack.fake.socket_mode
    first = hub.wait_connected()
    opened = len(fake.calls_to("apps.connections.open"))
    earlier = {e.envelope_id for e in hub.envelopes}

    def mine() -> list[Envelope]:
        return [e for e in hub.envelopes if e.envelope_id not in earlier]

    before, after = PEOPLE[2:7], PEOPLE[7:12]
    votes = {person: n % 5 + 1 for n, person in enumerate(before + after)}
    home_before, home_after = before[0], after[0]

    def vote(person: str) -> bool:
        return (
            stack.driver(person)
            .click_button(action_id=f"poll_vote_{votes[person]}", user=person)
            .ok
        )

    def open_home(person: str) -> bool:
        return stack.driver(person).app_home_opened(person).ok

    with ThreadPoolExecutor(max_workers=len(votes) + 2) as pool:
        sent = [pool.submit(vote, person) for person in before]
        sent.append(pool.submit(open_home, home_before))
        # Slack asks for a refresh the moment these are on the wire, before they are all
        # acknowledged: their acknowledgements may come on either connection.
        fake.wait_for(
            lambda: len([e for e in mine() if e.state != PENDING]) >= len(before) + 1,
            timeout=WAIT,
        )
        in_flight = len([e for e in mine() if e.state == SENT])
        assert hub.disconnect("refresh_requested") == [first.id]
        # these wait for the new connection (none is sent on the one told to go)
        sent += [pool.submit(vote, person) for person in after]
        sent.append(pool.submit(open_home, home_after))
        second = hub.wait_connected(newer_than=first.id, timeout=WAIT)
        answered = [future.result(timeout=WAIT * 2) for future in sent]

    envelopes = mine()
    late = [(e.type, e.connection, e.state) for e in envelopes if e.state in (EXPIRED, RETRIED)]
    assert late == [], "not acknowledged within Slack's 3 s (the person would see an error)"
    assert all(answered)
    assert len(fake.calls_to("apps.connections.open")) == opened + 1  # the one reconnect
    clicks = [e for e in envelopes if e.type == INTERACTIVE]
    assert len(clicks) == len(votes)  # one delivery each: none sent twice
    by_user = {e.payload["user"]["id"]: e for e in clicks}
    assert {by_user[p].connection for p in before} == {first.id}
    assert {by_user[p].connection for p in after} == {second.id}
    old = fake.wait_for(
        lambda: next((c for c in hub.connections if c.id == first.id and c.closed), None),
        timeout=WAIT,
    )
    assert old.disconnect_reason == "refresh_requested"
    assert old.closed_by == "app"  # the app closed the old one itself

    # every vote acted on exactly once: stored, and confirmed once to its voter
    fake.wait_for(lambda: all(_recorded(fake, p) for p in votes), timeout=WAIT)
    assert {p: len(_recorded(fake, p)) for p in votes} == {p: 1 for p in votes}
    with stack.session() as session:
        run = session.exec(select(PollRun).where(PollRun.survey_id == "socket-check")).one()
        stored = session.exec(select(Response).where(Response.poll_run_id == run.id)).all()
    assert {a.respondent: a.value for a in stored if a.respondent in votes} == votes

    # each Home open published once; Slack redelivering one (its ack lost) changes nothing
    fake.wait_for(
        lambda: _publishes(fake, home_before) and _publishes(fake, home_after), timeout=WAIT
    )
    event = next(
        e for e in envelopes if e.type == "events_api" and e.payload["event"]["user"] == home_before
    )
    again = stack.driver(home_before).event(
        event.payload["event"], event_id=event.payload["event_id"], retry_num=1
    )
    assert again.ok  # acknowledged, and not acted on: the publish a retry would make is absent
    time.sleep(0.5)  # (a settle window for that absence, as over HTTP)
    assert (_publishes(fake, home_before), _publishes(fake, home_after)) == (1, 1)
    with stack.session() as session:
        ids = session.exec(select(InboundEvent.event_id)).all()
    assert ids.count(event.payload["event_id"]) == 1
    assert " ERROR " not in stack.log.read_text()
    print(f"{in_flight} envelope(s) were unacknowledged when the refresh was asked for")


def test_a_bot_token_given_as_the_app_token_is_one_line(stack: SocketStack) -> None:
    env = server_env(
        stack.fake,
        stack.database_url,
        SLACK_APP_TOKEN=BOT_TOKEN,
        DEBTPULSE_SURVEYS_DIR=str(stack.folder),
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "socket"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "debtpulse: configuration error: SLACK_APP_TOKEN: Slack refused Socket Mode "
        "(not_allowed_token_type): it takes an app-level token (xapp-…), not the bot token"
    ]


def test_sigterm_closes_the_connection_and_releases_the_lease(stack: SocketStack) -> None:
    hub = stack.fake.socket_mode
    live = hub.wait_connected()

    def lease() -> SchedulerLease | None:
        with stack.session() as session:
            return session.exec(select(SchedulerLease)).first()

    deadline = time.monotonic() + WAIT
    while lease() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert lease() is not None  # the scheduler runs alongside
    stack.process.send_signal(signal.SIGTERM)
    assert stack.process.wait(timeout=WAIT) == 0
    assert lease() is None  # released: a spare worker takes over at once
    closed = next(c for c in hub.connections if c.id == live.id)
    assert closed.closed and closed.closed_by == "app"
    assert "Traceback" not in stack.log.read_text()
