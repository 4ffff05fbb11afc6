"""Polls end to end: opened, delivered, answered over signed HTTP, reminded and closed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from bot.config import load_settings
from bot.core.anonymity import respondent_key
from bot.runtime import build_runtime
from bot.sandbox import FakeSlack, SlackDriver
from bot.services import poll_jobs
from storage import db
from storage.models import HeldAnswer, Participation, PollDelivery, PollRun, Response
from storage.types import utcnow
from tests.e2e.conftest import LEAD, SECRET, free_port, server_env, start_server

pytestmark = pytest.mark.e2e
PEOPLE = [f"U0P{n:02d}" for n in range(1, 31)]
POLLS = "C0POLLS"
REGISTER = [
    ("Flaky data ingestion", 4),
    ("No schema validation", 2),
    ("Copy-paste notebooks", 3),
    ("Manual model deployment", 5),
    ("Missing drift monitoring", 3),
]

CHANNEL_SURVEY = f"""
id: team-pulse
title: Team debt pulse
schedule: {{cron: "0 10 * * MON", timezone: Europe/Berlin}}
audience: {{channel: {POLLS}}}
anonymous: true
open_for: 48h
sample: 3
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
DM_SURVEY = """
id: dm-check
title: Quick check
schedule: {cron: "0 9 * * FRI", timezone: America/New_York}
audience: {dm: {usergroup: S0TEAM}}
anonymous: true
open_for: 24h
reminders: [4h, 8h, 12h]
max_reminders: 2
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""
LIVE_SURVEY = f"""
id: live-vote
title: Live vote
schedule: {{cron: "0 9 * * WED", timezone: UTC}}
audience: {{channel: {POLLS}}}
anonymous: false
results_hidden_until_close: false
open_for: 24h
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""
NUDGE_SURVEY = f"""
id: nudge-check
title: Nudge check
schedule: {{cron: "0 9 * * THU", timezone: UTC}}
audience: {{channel: {POLLS}}}
open_for: 24h
reminders: [4h, 8h, 12h]
max_reminders: 2
questions:
  - id: mood
    type: likert
    prompt: "How much did debt slow you down this week?"
"""
HOME_SURVEY = LIVE_SURVEY.replace("id: live-vote", "id: home-check").replace(
    "title: Live vote", "title: Home check"
)
ANON_HOME_SURVEY = (
    NUDGE_SURVEY.replace("id: nudge-check", "id: home-anon")
    .replace("title: Nudge check", "title: Anonymous home check")
    .replace("THU", "TUE")
)


class PollStack:
    def __init__(self, fake: FakeSlack, url: str, database_url: str, folder: Path, log: Path):
        self.fake, self.url, self.database_url, self.folder, self.log = (
            fake,
            url,
            database_url,
            folder,
            log,
        )

    def driver(self, user: str) -> SlackDriver:
        return SlackDriver(f"{self.url}/slack/events", SECRET, fake=self.fake, default_user=user)

    def worker(self, monkeypatch: pytest.MonkeyPatch, *, shift: timedelta = timedelta(0)):
        """A runtime in the test process acting as the worker (optionally later in time)."""
        for name, value in server_env(
            self.fake,
            self.database_url,
            DEBTPULSE_SURVEYS_DIR=str(self.folder),
            DEBTPULSE_POLL_CHANNEL=POLLS,
        ).items():
            monkeypatch.setenv(name, value)
        return build_runtime(load_settings(), default_team="T0TEST", clock=lambda: utcnow() + shift)

    def session(self) -> Session:
        return Session(db.make_engine(self.database_url))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PollStack]:
    folder = tmp_path_factory.mktemp("polls")
    (folder / "team-pulse.yaml").write_text(CHANNEL_SURVEY)
    (folder / "dm-check.yaml").write_text(DM_SURVEY)
    (folder / "live-vote.yaml").write_text(LIVE_SURVEY)
    (folder / "home-check.yaml").write_text(HOME_SURVEY)
    (folder / "home-anon.yaml").write_text(ANON_HOME_SURVEY)
    (folder / "nudge-check.yaml").write_text(NUDGE_SURVEY)
    database_url = f"sqlite:///{folder / 'debtpulse.db'}"
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        for n, (title, _) in enumerate(REGISTER, start=1):
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
    # one fake for the module, many fan-outs a minute: Slack's tier limits (users.info:
    # 100 a minute) are off
    with FakeSlack(post_rate=None, tier_rates=None) as fake:
        fake.workspace.add_user(LEAD, name="lead")
        for person in PEOPLE:
            fake.workspace.add_user(person, name=person.lower())
        fake.workspace.add_user("U0ROBOT", name="robot", is_bot=True)
        fake.workspace.add_user("U0LEFT", name="left", deleted=True)
        fake.workspace.add_channel(POLLS, name="polls", members=["U0BOT", LEAD, *PEOPLE])
        fake.workspace.add_usergroup("S0TEAM", handle="team", users=[*PEOPLE, "U0ROBOT", "U0LEFT"])
        env = server_env(
            fake, database_url, DEBTPULSE_SURVEYS_DIR=str(folder), DEBTPULSE_POLL_CHANNEL=POLLS
        )
        port = free_port()
        log = folder / "serve.log"
        process = start_server(env=env, port=port, log=log)
        try:
            yield PollStack(fake, f"http://127.0.0.1:{port}", database_url, folder, log)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _run(stack: PollStack, survey_id: str) -> PollRun:
    with stack.session() as session:
        return session.exec(select(PollRun).where(PollRun.survey_id == survey_id)).one()


def test_channel_poll_answered_by_30_people_with_modals(stack: PollStack) -> None:
    lead = stack.driver(LEAD)
    assert lead.slash(text="poll send team-pulse", channel=POLLS).ok
    stack.fake.wait_for(lambda: stack.fake.messages(channel=POLLS), timeout=10)
    run = _run(stack, "team-pulse")
    assert len(run.frozen["questions"][0]["items"]) == 5
    expected: dict[tuple[str, str], str] = {}
    for n, person in enumerate(PEOPLE):
        for attempt in range(2 if n % 3 == 0 else 1):  # every third person answers twice
            driver = stack.driver(person)
            assert driver.click_button(action_id="poll_open", user=person, channel=POLLS).ok
            modal = stack.fake.wait_for(lambda p=person: stack.fake.open_modal(p), timeout=5)
            blocks = [b["block_id"] for b in modal.blocks if b["type"] == "input"]
            pain_blocks = [b for b in blocks if b.startswith("pain|")]
            assert len(pain_blocks) == 3  # sample: 3 of the 5 items
            answers = {b: str((n + attempt + int(b.split("|")[1])) % 5 + 1) for b in pain_blocks}
            if n % 2:
                answers["note"] = f"note {attempt}"
            response = driver.submit_modal(answers, user=person)
            assert response.ok and response.elapsed < 3
            # confirmed in the person's own modal, once committed
            assert json.loads(response.body_text)["response_action"] == "update"
            shown = stack.fake.open_modal(person)
            assert shown is not None
            assert "your answers to *Team debt pulse* are recorded" in json.dumps(shown.blocks)
            driver.close_modal(shown, user=person)  # the person closes the notice
            for block, value in answers.items():
                expected[(person, block)] = value
    with stack.session() as session:
        released = session.exec(select(Response).where(Response.poll_run_id == run.id)).all()
        rows = session.exec(select(HeldAnswer).where(HeldAnswer.poll_run_id == run.id)).all()
        taken = session.exec(select(Participation)).all()
    # the run is open: every answer is held, none is in any shown number yet
    assert released == []
    assert len(rows) == len(expected)  # re-answers replaced, nothing lost
    assert len(taken) == 30
    assert sorted(str(int(r.value)) for r in rows if r.value is not None) == sorted(
        v for (p, b), v in expected.items() if b.startswith("pain|")
    )
    # anonymity: no raw user id next to an answer or in who took part, and no time of day
    dumped = json.dumps([r.model_dump(mode="json") for r in rows])
    assert not any(person in dumped for person in PEOPLE)
    assert not any(person in json.dumps([t.user_id for t in taken]) for person in PEOPLE)
    assert {t.user_id for t in taken} == {r.respondent for r in rows}  # per-run keys only
    assert not any(person in stack.log.read_text() for person in PEOPLE)
    assert " WARNING " not in stack.log.read_text()  # a clean log: no notice about the token
    # one stable person key per person (to count a group), never an answer's key
    assert len({r.person for r in rows}) == 30
    assert all(r.person.startswith("person:") for r in rows)
    assert not {r.person for r in rows} & {r.respondent for r in rows}
    # the channel message shows a live count, not the answers
    stack.fake.wait_for(
        lambda: "30 answered" in json.dumps(stack.fake.messages(channel=POLLS)[0].blocks),
        timeout=10,
    )
    assert len(stack.fake.rejections) == 0


def test_too_long_text_and_missing_answers_come_back_in_the_modal(stack: PollStack) -> None:
    person = PEOPLE[0]
    driver = stack.driver(person)
    driver.click_button(action_id="poll_open", user=person, channel=POLLS)
    modal = stack.fake.wait_for(lambda: stack.fake.open_modal(person), timeout=5)
    pain = [b["block_id"] for b in modal.blocks if b["block_id"].startswith("pain|")]
    response = driver.submit_modal({pain[0]: "3", "note": "x" * 41}, user=person)
    assert response.ok
    errors = stack.fake.open_modal(person).errors or {}
    assert errors[pain[1]] == "Please answer this question."
    assert "at most 40" in errors["note"]


def test_closing_posts_results_in_the_thread(stack: PollStack, monkeypatch) -> None:
    run = _run(stack, "team-pulse")
    assert poll_jobs.close_poll(stack.worker(monkeypatch), run.id or 0)
    assert not poll_jobs.close_poll(stack.worker(monkeypatch), run.id or 0)  # once
    thread = [m for m in stack.fake.messages(channel=POLLS) if m.thread_ts]
    assert len(thread) == 1
    lines = json.dumps(thread[0].blocks, ensure_ascii=False)
    assert "30 answered" in lines and "mean pain" in lines
    # each item was asked of about 18 people (3 of 5 items each): none suppressed
    assert "fewer than" not in lines.split("closed")[1].split("Results with")[0]
    message = stack.fake.messages(channel=POLLS)[0]
    assert "poll_open" not in json.dumps(message.blocks)  # no Answer button once closed

    # Closed early: a late click is told when it really closed, not the planned close.
    closed = _run(stack, "team-pulse")
    assert closed.closed_at is not None and closed.closes_at is not None
    assert closed.closed_at < closed.closes_at
    # the Answer button of a message the person still sees from before the close
    stack.driver(PEOPLE[0]).block_action("poll_open", str(closed.id), channel=POLLS)
    said = f"This poll closed at {closed.closed_at:%a %d %b %H:%M} UTC"
    stack.fake.wait_for(
        lambda: any(said in json.dumps(p.payload) for p in stack.fake.response_url_posts),
        timeout=5,
    )


def test_dm_poll_votes_reminders_and_closing(stack: PollStack, monkeypatch) -> None:
    lead = stack.driver(LEAD)
    assert lead.slash(text="poll send dm-check", channel=POLLS).ok
    stack.fake.wait_for(lambda: all(stack.fake.dm_count(p) for p in PEOPLE), timeout=15)
    time.sleep(0.3)
    assert {person: stack.fake.dm_count(person) for person in PEOPLE} == {p: 1 for p in PEOPLE}
    assert stack.fake.dm_count("U0ROBOT") == 0 and stack.fake.dm_count("U0LEFT") == 0
    run = _run(stack, "dm-check")
    voters = PEOPLE[:20]
    for n, person in enumerate(voters):
        driver = stack.driver(person)
        assert driver.click_button(action_id=f"poll_vote_{n % 5 + 1}", user=person).ok
        if n < 5:  # change of mind
            assert driver.click_button(action_id="poll_vote_5", user=person).ok
    stack.fake.wait_for(
        lambda: (
            len([p for p in stack.fake.response_url_posts if "Recorded" in json.dumps(p.payload)])
            == 25
        ),
        timeout=10,
    )
    with stack.session() as session:
        values = [
            r.value
            for r in session.exec(select(HeldAnswer).where(HeldAnswer.poll_run_id == run.id))
        ]
        assert session.exec(select(Response).where(Response.poll_run_id == run.id)).all() == []
    assert len(values) == 20 and values.count(5) >= 5  # held until the close

    def reminded_since(before: int) -> list[str]:
        return sorted(c.params["channel"] for c in stack.fake.calls_to("chat.postMessage")[before:])

    # The worker was down from 3h to 9h: the 4h and 8h reminders are due at once, and each
    # non-respondent gets one reminder, not two in a row.
    before = len(stack.fake.calls_to("chat.postMessage"))
    worker = stack.worker(monkeypatch, shift=timedelta(hours=9))  # 4h and 8h offsets passed
    poll_jobs.tick(worker)
    poll_jobs.tick(worker)  # a second tick sends nothing new
    assert reminded_since(before) == sorted("D" + p[1:] for p in PEOPLE[20:])
    with stack.session() as session:
        counts = {
            d.recipient: d.reminders_sent
            for d in session.exec(select(PollDelivery).where(PollDelivery.poll_run_id == run.id))
        }
    assert all(counts[p] == 0 for p in voters) and all(counts[p] == 2 for p in PEOPLE[20:])
    # the 12h offset passes, but two reminders are the most (max_reminders): none is sent
    before = len(stack.fake.calls_to("chat.postMessage"))
    poll_jobs.tick(stack.worker(monkeypatch, shift=timedelta(hours=13)))
    assert reminded_since(before) == []

    later = stack.worker(monkeypatch, shift=timedelta(hours=25))
    poll_jobs.tick(later)
    assert reminded_since(before) == [POLLS]  # the summary only: no reminder at the close
    assert _run(stack, "dm-check").status == "closed"
    summary = [
        m for m in stack.fake.messages(channel=POLLS) if m.text.startswith("Quick check closed")
    ]
    assert len(summary) == 1 and "20 answered" in json.dumps(summary[0].blocks)
    with stack.session() as session:  # twenty people: released at the close, as one group
        released = session.exec(select(Response).where(Response.poll_run_id == run.id)).all()
        assert session.exec(select(HeldAnswer).where(HeldAnswer.poll_run_id == run.id)).all() == []
    assert sorted(r.value for r in released) == sorted(values)
    late = stack.driver(PEOPLE[25])
    late.click_button(action_id="poll_vote_3", user=PEOPLE[25])
    stack.fake.wait_for(
        lambda: any("closed" in json.dumps(p.payload) for p in stack.fake.response_url_posts),
        timeout=5,
    )


def _live_message(stack: PollStack, showing: str = "") -> str:
    """The live-vote poll's channel message as JSON, once it shows ``showing``."""
    found = [m for m in stack.fake.messages(channel=POLLS) if "Live vote" in json.dumps(m.blocks)]
    shown = json.dumps(found[0].blocks, ensure_ascii=False) if found else ""
    return shown if showing in shown else ""


def test_a_named_survey_shows_its_results_while_open(stack: PollStack, monkeypatch) -> None:
    lead = stack.driver(LEAD)
    assert lead.slash(text="poll send live-vote", channel=POLLS).ok
    first = stack.fake.wait_for(lambda: _live_message(stack), timeout=10)
    assert "Results so far" in first and "Results show once 5 people have answered" in first
    votes = {PEOPLE[n]: n % 5 + 1 for n in range(6)}  # 1, 2, 3, 4, 5, 1
    people = list(votes)
    for person in people[:4]:
        driver = stack.driver(person)
        assert driver.click_button(action_id=f"poll_vote_{votes[person]}", user=person).ok
    # four answers: the count moves, the numbers stay hidden (minimum group 5)
    four = stack.fake.wait_for(lambda: _live_message(stack, "4 answered so far"), timeout=10)
    assert "Results show once 5 people have answered" in four and "mean " not in four
    for person in people[4:]:
        driver = stack.driver(person)
        assert driver.click_button(action_id=f"poll_vote_{votes[person]}", user=person).ok
    mean = sum(votes.values()) / len(votes)
    six = stack.fake.wait_for(lambda: _live_message(stack, "6 answered so far"), timeout=10)
    assert f"mean {mean:.1f} from 6" in six
    # the anonymous pulse in the same channel never showed results while open
    pulse = [m for m in stack.fake.messages(channel=POLLS) if "Team debt pulse" in str(m.blocks)]
    assert all("Results so far" not in json.dumps(m.blocks) for m in pulse)
    # closing: the one-question poll's result in the thread, not "no results"
    run = _run(stack, "live-vote")
    assert poll_jobs.close_poll(stack.worker(monkeypatch), run.id or 0)
    summary = [
        json.dumps(m.blocks, ensure_ascii=False)
        for m in stack.fake.messages(channel=POLLS)
        if m.thread_ts and "Live vote" in json.dumps(m.blocks)
    ]
    assert len(summary) == 1
    assert f"mean {mean:.1f} from 6" in summary[0] and "6 answered" in summary[0]
    assert len(stack.fake.rejections) == 0


def _home(stack: PollStack, user: str, published: int) -> str:
    stack.driver(user).app_home_opened(user)
    stack.fake.wait_for(
        lambda: (
            len(
                [c for c in stack.fake.calls_to("views.publish") if c.params.get("user_id") == user]
            )
            >= published
        ),
        timeout=5,
    )
    view = stack.fake.home(user)
    assert view is not None
    return json.dumps(view.blocks, ensure_ascii=False)


@pytest.mark.parametrize(
    ("survey", "title", "person"),
    [("home-check", "Home check", PEOPLE[9]), ("home-anon", "Anonymous home check", PEOPLE[10])],
)
def test_app_home_offers_the_polls_a_person_can_answer(
    stack: PollStack, survey: str, title: str, person: str
) -> None:
    """Named or anonymous (participation under the per-run key, no user id), a poll someone
    answered leaves their Home tab."""
    stack.fake.workspace.add_user("U0OUTSIDE", name="outside")
    lead = stack.driver(LEAD)
    assert lead.slash(text=f"poll send {survey}", channel=POLLS).ok
    stack.fake.wait_for(lambda: title in str(stack.fake.messages(channel=POLLS)), timeout=10)
    run = _run(stack, survey)
    assert run.id is not None
    published = len(
        [c for c in stack.fake.calls_to("views.publish") if c.params.get("user_id") == person]
    )
    home = _home(stack, person, published + 1)
    listed = f"*{title}* in <#{POLLS}>"
    deadline = time.monotonic() + 10
    while listed not in home and time.monotonic() < deadline:
        # a Home tab published by earlier work may land after this one: open it again
        published = len(
            [c for c in stack.fake.calls_to("views.publish") if c.params.get("user_id") == person]
        )
        home = _home(stack, person, published + 1)
    assert listed in home
    assert '"action_id": "poll_open"' in home and f'"value": "{run.id}"' in home
    outside = len(
        [c for c in stack.fake.calls_to("views.publish") if c.params.get("user_id") == "U0OUTSIDE"]
    )
    assert "Nothing to answer right now." in _home(stack, "U0OUTSIDE", outside + 1)
    # Answer from the Home tab opens the poll's modal
    view = stack.fake.home(person)
    assert view is not None
    stack.driver(person).block_action("poll_open", str(run.id), view=view.view)
    stack.fake.wait_for(lambda: stack.fake.open_modal(person), timeout=5)
    # once answered, it is gone from the list
    assert stack.driver(person).click_button(action_id="poll_vote_3", user=person).ok

    key = respondent_key(secret="e2e-anon-secret", run_id=run.id, user_id=person)
    recorded = person if survey == "home-check" else key

    def answered() -> bool:
        with stack.session() as session:
            rows = session.exec(
                select(Participation.user_id).where(Participation.poll_run_id == run.id)
            ).all()
        return recorded in rows

    stack.fake.wait_for(answered, timeout=5)
    with stack.session() as session:
        who = session.exec(
            select(Participation.user_id).where(Participation.poll_run_id == run.id)
        ).all()
    assert (person in who) == (survey == "home-check")
    assert title not in _home(stack, person, published + 2)


def test_a_channel_poll_is_reminded_in_its_thread(stack: PollStack, monkeypatch) -> None:
    lead = stack.driver(LEAD)
    assert lead.slash(text="poll send nudge-check", channel=POLLS).ok
    poll = stack.fake.wait_for(
        lambda: [m for m in stack.fake.messages(channel=POLLS) if m.text.startswith("Nudge")],
        timeout=10,
    )[0]
    run = _run(stack, "nudge-check")
    assert run.audience == 31  # the lead and 30 people; no bots
    opened = f"Opened nudge-check as run #{run.id}: posted in {POLLS}."
    stack.fake.wait_for(lambda: _said(stack, opened), timeout=5)
    for person in PEOPLE[:3]:
        stack.driver(person).block_action("poll_vote_4", f"{run.id}:mood:4", channel=POLLS)

    def answered() -> int:
        with stack.session() as session:
            return len(
                session.exec(select(Participation).where(Participation.poll_run_id == run.id)).all()
            )

    stack.fake.wait_for(lambda: answered() == 3, timeout=5)

    def reminders() -> list:
        return [
            c
            for c in stack.fake.calls_to("chat.postMessage")
            if str(c.params.get("text", "")).startswith("Reminder: Nudge check")
        ]

    poll_jobs.tick(stack.worker(monkeypatch, shift=timedelta(hours=1)))
    assert reminders() == []  # the first offset (4 h) has not passed
    worker = stack.worker(monkeypatch, shift=timedelta(hours=9))  # 4 h and 8 h passed
    poll_jobs.tick(worker)
    poll_jobs.tick(worker)
    # one reminder covers both passed offsets, in the poll's thread and shown in the channel
    sent = reminders()
    assert len(sent) == 1
    for call in sent:
        assert call.params["channel"] == POLLS
        assert call.params["thread_ts"] == poll.ts
        assert call.params["reply_broadcast"] in (True, "true", "1")
    text_ = json.dumps(stack.fake.messages(channel=POLLS)[-1].blocks)
    assert "*Nudge check* is still open" in text_ and "3 of 31 have answered so far." in text_
    assert '"action_id": "poll_open"' in text_
    poll_jobs.tick(stack.worker(monkeypatch, shift=timedelta(hours=13)))
    assert len(reminders()) == 1  # max_reminders: 2 offsets, both covered already
    with stack.session() as session:
        delivery = session.exec(
            select(PollDelivery).where(PollDelivery.poll_run_id == run.id)
        ).one()
    assert delivery.reminders_sent == 2

    # Closed by hand: the lead is told where the results went...
    assert lead.slash(text=f"poll close {run.id}", channel=POLLS).ok
    closed = f"Closed run #{run.id} (3 answered) and posted its results in {POLLS}."
    stack.fake.wait_for(lambda: _said(stack, closed), timeout=5)
    assert len(stack.fake.rejections) == 0


def _said(stack: PollStack, text: str) -> bool:
    """A reply to a slash command (through its response_url) contains ``text``."""
    return any(text in json.dumps(p.payload) for p in stack.fake.response_url_posts)


def test_a_button_of_a_run_debtpulse_does_not_have_says_so(stack: PollStack) -> None:
    """A run of a replaced database, or a tampered value: told plainly, nothing stored."""
    person = stack.driver(PEOPLE[4])
    with stack.session() as session:
        before = session.exec(select(func.count()).select_from(Response)).one()
    for action, value in [
        ("poll_vote_3", "99999:mood:3"),
        ("poll_open", "99999"),
        ("poll_vote_3", "not-a-run"),
        ("poll_open", ""),
    ]:
        response = person.block_action(action, value, channel=POLLS)
        assert response.ok, (action, value)
    stack.fake.wait_for(
        lambda: (
            len(
                [
                    p
                    for p in stack.fake.response_url_posts
                    if "This poll no longer exists; answers are not accepted."
                    in json.dumps(p.payload)
                ]
            )
            == 4
        ),
        timeout=5,
    )
    with stack.session() as session:
        assert session.exec(select(func.count()).select_from(Response)).one() == before
    assert "Traceback" not in stack.log.read_text()
