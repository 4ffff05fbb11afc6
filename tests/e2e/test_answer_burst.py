"""A burst of one-click votes: 250 people vote twice each, 16 at a time, over signed HTTP.

The real ``debtpulse serve`` (gunicorn, 1 worker x 8 threads) against the fake Slack: every
click is acknowledged in time, no answer is lost, a re-vote replaces the first vote, each
person is told twice, and the channel message's live count ends at 250.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from bot.core.anonymity import respondent_key
from bot.sandbox import FakeSlack, SlackDriver, payloads
from bot.sandbox.records import Message
from bot.sandbox.transport import FORM, DriverResponse
from storage import db
from storage.models import HeldAnswer, Participation, PollRun, Response
from tests.e2e.conftest import LEAD, SECRET, TEAM, free_port, server_env, start_server

pytestmark = pytest.mark.e2e
PEOPLE = [f"U0B{n:03d}" for n in range(250)]
BURST = "C0BURST"
ANON_SECRET = "e2e-anon-secret"  # what server_env gives the server
WORKERS = 16
RECORDED = re.compile(r"Recorded your answer: (\d)\.")
REGISTER = ["Flaky data ingestion", "No schema validation", "Manual model deployment"]
SURVEY = f"""
id: burst-check
title: Burst check
schedule: {{cron: "0 9 * * FRI", timezone: UTC}}
audience: {{channel: {BURST}}}
anonymous: true
open_for: 24h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""


class BurstStack:
    def __init__(self, fake: FakeSlack, url: str, database_url: str, log: Path) -> None:
        self.fake, self.url, self.database_url, self.log = fake, url, database_url, log

    def driver(self, user: str) -> SlackDriver:
        return SlackDriver(f"{self.url}/slack/events", SECRET, fake=self.fake, default_user=user)

    def session(self) -> Session:
        return Session(db.make_engine(self.database_url))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BurstStack]:
    folder = tmp_path_factory.mktemp("burst")
    (folder / "burst-check.yaml").write_text(SURVEY)
    database_url = f"sqlite:///{folder / 'debtpulse.db'}"
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        for n, title in enumerate(REGISTER, start=1):
            conn.execute(
                text(
                    "INSERT INTO debt_item (team_id, key, title, description, category, component,"
                    " owner, status, effort, risk_flags, problem, affected_metrics, remediation,"
                    " expected_impact, success_criterion, created_at, updated_at) VALUES"
                    " ('T0TEST', :key, :title, '', 'operational', '', '', 'open', '', '[]', '', '',"
                    " '', '', '', '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
                ),
                {"key": f"DEBT-{n}", "title": title},
            )
    engine.dispose()
    # 250 people looked up at once: Slack's tier limits (users.info 100 a minute) are off
    with FakeSlack(post_rate=None, tier_rates=None) as fake:
        fake.workspace.add_user(LEAD, name="lead")
        for person in PEOPLE:
            fake.workspace.add_user(person, name=person.lower())
        fake.workspace.add_channel(BURST, name="burst", members=["U0BOT", LEAD, *PEOPLE])
        env = server_env(
            fake, database_url, DEBTPULSE_SURVEYS_DIR=str(folder), DEBTPULSE_POLL_CHANNEL=BURST
        )
        assert env["DEBTPULSE_ANON_SECRET"] == ANON_SECRET
        port = free_port()
        log = folder / "serve.log"
        process = start_server(env=env, port=port, log=log)
        try:
            yield BurstStack(fake, f"http://127.0.0.1:{port}", database_url, log)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _votes(n: int) -> tuple[int, int]:
    """A person's first vote and the different second vote that replaces it."""
    first = n % 5 + 1
    return first, (n + 2) % 5 + 1


def _vote_body(
    fake: FakeSlack, message: Message, user: str, button: dict[str, Any]
) -> tuple[str, str]:
    """The ``block_actions`` form body Slack sends when ``user`` clicks ``button``, and the
    response URL (one per click) in it."""
    response_url = fake.new_response_url(channel=BURST, user=user, message_ts=message.ts)
    payload = payloads.block_actions(
        action=payloads.element_action(button, block_id=button["block_id"]),
        user=payloads.user_ref(user, team_id=TEAM, name=user.lower()),
        team=TEAM,
        trigger_id=fake.new_trigger_id(user=user),
        container={
            "type": "message",
            "message_ts": message.ts,
            "channel_id": BURST,
            "is_ephemeral": False,
        },
        channel={"id": BURST, "name": "burst"},
        message=message.to_dict(),
        response_url=response_url,
    )
    return urlencode({"payload": json.dumps(payload)}), response_url


def test_500_votes_from_250_people_in_a_burst(stack: BurstStack) -> None:
    fake = stack.fake
    assert stack.driver(LEAD).slash(text="poll send burst-check", channel=BURST).ok
    message: Message = fake.wait_for(lambda: fake.messages(channel=BURST)[:1], timeout=10)[0]
    with stack.session() as session:
        run = session.exec(select(PollRun).where(PollRun.survey_id == "burst-check")).one()
    assert run.id is not None
    run_id = run.id
    actions = next(b for b in message.blocks if b["block_id"] == f"vote-{run_id}")
    buttons = {
        int(b["value"].rsplit(":", 1)[1]): b | {"block_id": actions["block_id"]}
        for b in actions["elements"]
    }
    assert sorted(buttons) == [1, 2, 3, 4, 5]
    assert {b["action_id"] for b in buttons.values()} == {f"poll_vote_{v}" for v in range(1, 6)}

    # Each response URL belongs to one person: that is how confirmations are told apart.
    owner_of: dict[str, str] = {}
    sender = stack.driver(LEAD)

    def person_votes(n: int) -> list[DriverResponse]:
        user = PEOPLE[n]
        answers = []
        for value in _votes(n):  # the second click only after the first was acknowledged
            body, response_url = _vote_body(fake, message, user, buttons[value])
            owner_of[response_url] = user
            answers.append(sender.send(body, content_type=FORM))
        return answers

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        acks = [r for pair in pool.map(person_votes, range(len(PEOPLE))) for r in pair]

    assert len(acks) == 500
    assert Counter(r.status for r in acks) == {200: 500}
    slowest = max(r.elapsed for r in acks)
    assert not any(r.timed_out for r in acks) and slowest < 3, slowest

    def recorded() -> list[tuple[str, str]]:
        return [
            (owner_of.get(p.url, "?"), p.payload.get("text", ""))
            for p in fake.response_url_posts
            if "Recorded" in json.dumps(p.payload)
        ]

    fake.wait_for(lambda: len(recorded()) >= 500, timeout=15)
    told = recorded()
    assert len(told) == 500, len(told)
    per_person: dict[str, list[str]] = {}
    for user, text_said in told:
        per_person.setdefault(user, []).append(text_said)
    assert set(per_person) == set(PEOPLE)
    for n, person in enumerate(PEOPLE):
        said = per_person[person]
        assert len(said) == 2, (person, said)
        values = sorted(int(m) for s in said for m in RECORDED.findall(s))
        assert values == sorted(_votes(n)), (person, said)
    assert all(p.status == 200 for p in fake.response_url_posts)
    assert not any("could not be saved" in json.dumps(p.payload) for p in fake.response_url_posts)

    # Nothing lost, and every person's answer is their second vote.
    with stack.session() as session:
        rows = [
            *session.exec(select(HeldAnswer).where(HeldAnswer.poll_run_id == run_id)),
            *session.exec(select(Response).where(Response.poll_run_id == run_id)),
        ]
        took_part = session.exec(
            select(func.count())
            .select_from(Participation)
            .where(Participation.poll_run_id == run_id)
        ).one()
    # held while the run is open, in no shown number yet
    assert len(rows) == 250 and all(isinstance(r, HeldAnswer) for r in rows)
    assert took_part == 250
    stored = {r.respondent: r.value for r in rows}
    expected = {
        respondent_key(secret=ANON_SECRET, run_id=run_id, user_id=person): float(_votes(n)[1])
        for n, person in enumerate(PEOPLE)
    }
    wrong = {k: (stored.get(k), v) for k, v in expected.items() if stored.get(k) != v}
    assert not wrong, f"{len(wrong)} people kept their first vote: {list(wrong.values())[:5]}"
    assert not any(person in stack.log.read_text() for person in PEOPLE)

    # The channel message ends up showing everybody, and only a count.
    fake.wait_for(
        lambda: "250 answered" in json.dumps(fake.messages(channel=BURST)[0].blocks), timeout=10
    )
    assert len(fake.rejections) == 0
