"""The five attacks on anonymous answers of issue 14, each end to end through `debtpulse serve`.

A lead reads `/debt why`, `/debt top` and `/debt polls` in Slack (the fake), `debtpulse top
--json` / `why --json` on the same database, and — for the row-order attacks — the database
itself. Anonymous answers are released only in groups of at least DEBTPULSE_MIN_GROUP (5)
people (storage/held.py), so none of these can learn one person's answer.

One server serves the module; each attack asks about its own debt items (its surveys ask
about one component), so the attacks do not see each other's answers.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text

from bot.core.anonymity import person_key, respondent_key
from bot.sandbox import FakeSlack, SlackDriver
from storage import db
from tests.e2e.conftest import LEAD, SECRET, TEAM, free_port, server_env, start_server

pytestmark = pytest.mark.e2e

ANON_SECRET = "e2e-anon-secret"  # what server_env sets
MIN_GROUP = 5  # DEBTPULSE_MIN_GROUP's default
CHANNEL = "C0ANON"
BOB = "U0BOB"
PEOPLE = [f"U0P{n:02d}" for n in range(1, 13)]
EVERYONE = [BOB, *PEOPLE]
PAINS = [1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5]  # twelve answers in a never-decreasing order
#: key -> (title, component): each attack's surveys ask about one component's items.
ITEMS = {
    "DEBT-1": ("Flaky data ingestion", "one"),
    "DEBT-2": ("No schema validation", "two"),
    "DEBT-3": ("Copy-paste notebooks", "three"),
    "DEBT-4": ("Manual model deployment", "four"),
    "DEBT-5": ("Missing drift monitoring", "five"),
    "DEBT-6": ("Unpinned dependencies", "five"),
    "DEBT-7": ("Hard-coded thresholds", "seven"),  # never asked about: what "no answer" shows
}
SURVEYS = {  # survey id -> (component, with a free-text question)
    "last-week": ("one", False),
    "this-week": ("one", False),
    "diff-base": ("two", False),
    "diff-probe": ("two", False),
    "watch-base": ("three", False),
    "watch-probe": ("three", False),
    "order-run": ("four", True),
    "imported": ("five", True),
}


def _survey(survey_id: str, component: str, note: bool) -> str:
    text_question = (
        "  - id: note\n    type: text\n    prompt: Anything else?\n    max_length: 40\n"
        if note
        else ""
    )
    return f"""
id: {survey_id}
title: Pulse {survey_id}
schedule: {{cron: "0 10 * * MON", timezone: UTC}}
audience: {{channel: {CHANNEL}}}
anonymous: true
open_for: 48h
questions:
  - id: pain
    type: likert
    prompt: "How much did *{{{{ item.title }}}}* slow you down?"
    for_each: {{debt_items: {{status: open, component: {component}}}}}
{text_question}"""


@dataclass
class Stack:
    fake: FakeSlack
    url: str
    database_url: str
    env: dict[str, str]
    item_ids: dict[str, int]
    folder: Path

    def driver(self, user: str) -> SlackDriver:
        return SlackDriver(f"{self.url}/slack/events", SECRET, fake=self.fake, default_user=user)

    def engine(self) -> Engine:
        return db.make_engine(self.database_url)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("anonymity")
    surveys = folder / "surveys"
    surveys.mkdir()
    for survey_id, (component, note) in SURVEYS.items():
        (surveys / f"{survey_id}.yaml").write_text(_survey(survey_id, component, note))
    database_url = f"sqlite:///{folder / 'debtpulse.db'}"
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        for key, (title, component) in ITEMS.items():
            conn.execute(
                text(
                    "INSERT INTO debt_item (team_id, key, title, description, category, component,"
                    " owner, status, effort, risk_flags, problem, affected_metrics, remediation,"
                    " expected_impact, success_criterion, created_at, updated_at) VALUES"
                    " (:team, :key, :title, '', 'operational', :component, '', 'open', '', '[]',"
                    " '', '', '', '', '', '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
                ),
                {"team": TEAM, "key": key, "title": title, "component": component},
            )
        item_ids = {
            str(key): int(item_id)
            for key, item_id in conn.execute(text("SELECT key, id FROM debt_item"))
        }
    engine.dispose()
    with FakeSlack(post_rate=None) as fake:
        fake.workspace.add_user(LEAD, name="lead")
        for person in EVERYONE:
            fake.workspace.add_user(person, name=person.lower())
        fake.workspace.add_channel(CHANNEL, name="anon", members=["U0BOT", LEAD, *EVERYONE])
        env = server_env(
            fake, database_url, DEBTPULSE_SURVEYS_DIR=str(surveys), DEBTPULSE_POLL_CHANNEL=CHANNEL
        )
        port = free_port()
        process = start_server(env=env, port=port, log=folder / "serve.log")
        try:
            yield Stack(fake, f"http://127.0.0.1:{port}", database_url, env, item_ids, folder)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


# -- what a lead does and sees ----------------------------------------------------------------


def _reply(stack: Stack, command: str, needle: str) -> str:
    """The lead's `/debt COMMAND` and its reply (through the response_url), as JSON."""
    before = len(stack.fake.response_url_posts)
    assert stack.driver(LEAD).slash(text=command, channel=CHANNEL).ok

    def found() -> str:
        for post in stack.fake.response_url_posts[before:]:
            shown = json.dumps(post.payload, ensure_ascii=False, sort_keys=True)
            if needle in shown:
                return shown
        return ""

    return stack.fake.wait_for(found, timeout=10)


def _why(stack: Stack, key: str) -> str:
    return _reply(stack, f"why {key}", f"{key}: score")


def _top(stack: Stack) -> str:
    return _reply(stack, "top 50", "debt items")


def _polls(stack: Stack) -> str:
    return _reply(stack, "polls", "responded")


def _cli(stack: Stack, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args, "--team", TEAM],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _top_json(stack: Stack) -> list[dict[str, Any]]:
    rows = json.loads(_cli(stack, "top", "--json"))
    assert isinstance(rows, list)
    return rows


def _row(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return next(row for row in rows if row["key"] == key)


def _open(stack: Stack, survey_id: str) -> int:
    said = _reply(stack, f"poll send {survey_id}", f"Opened {survey_id} as run #")
    found = re.search(rf"Opened {survey_id} as run #(\d+)", said)
    assert found, said
    return int(found.group(1))


def _close(stack: Stack, run_id: int) -> str:
    return _reply(stack, f"poll close {run_id}", f"Closed run #{run_id}")


def _summary(stack: Stack, survey_id: str) -> str:
    """The closing summary the run's close posted in its thread."""
    title = f"Pulse {survey_id} closed"

    def found() -> str:
        for message in stack.fake.messages(channel=CHANNEL):
            if message.thread_ts and message.text.startswith(title):
                return json.dumps(message.blocks, ensure_ascii=False)
        return ""

    return stack.fake.wait_for(found, timeout=10)


def _sql(stack: Stack, query: str, **params: object) -> list[dict[str, Any]]:
    """Rows as a database reader sees them (plain SQL: no model is needed to read them)."""
    engine = stack.engine()
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(text(query), params)]
    finally:
        engine.dispose()


#: Where answers and who gave them are kept (``item_respondent``: before release in groups).
ANSWER_TABLES = ("participation", "held_answer", "response", "answer_release", "item_respondent")


def _tables(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """Every table of ANSWER_TABLES the database has, all rows, as a database reader reads it."""
    engine = stack.engine()
    try:
        present = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return {name: _sql(stack, f"SELECT * FROM {name}") for name in ANSWER_TABLES if name in present}


def _of_run(rows: list[dict[str, Any]], run_id: int) -> list[dict[str, Any]]:
    return sorted((row for row in rows if row["poll_run_id"] == run_id), key=lambda r: r["id"])


def _answered(stack: Stack, run_id: int) -> int:
    rows = _sql(stack, "SELECT count(*) AS n FROM participation WHERE poll_run_id = :r", r=run_id)
    return int(rows[0]["n"])


def _answer(
    stack: Stack, run_id: int, person: str, pain: dict[str, int], note: str | None = None
) -> None:
    """``person`` opens the run's modal from the channel message and submits it."""
    before = _answered(stack, run_id)
    driver = stack.driver(person)
    assert driver.block_action("poll_open", str(run_id), user=person, channel=CHANNEL).ok
    blocks = {f"pain|{stack.item_ids[key]}": str(value) for key, value in pain.items()}
    if note is not None:
        blocks["note"] = note

    def modal_of_run() -> bool:
        modal = stack.fake.open_modal(person)
        shown = {b.get("block_id") for b in modal.blocks} if modal else set()
        return modal is not None and set(blocks) <= shown

    stack.fake.wait_for(modal_of_run, timeout=5)
    response = driver.submit_modal(blocks, user=person)
    assert response.ok and not response.ack_errors, response
    stack.fake.wait_for(lambda: _answered(stack, run_id) == before + 1, timeout=5)


# -- the attacks ------------------------------------------------------------------------------


def test_open_runs_do_not_lift_the_threshold_for_answers_of_closed_runs(stack: Stack) -> None:
    """1. Bob alone rated DEBT-1 in last week's run (closed); four others answer this week's
    run, still open: five people, but the only answer a score could use is Bob's. DEBT-1
    stays suppressed, and nothing a lead sees about it moves.

    ("Last week's" run is opened the same day, as serve's clock cannot be moved: both lie
    inside the scoring horizon, which is all the release rule looks at.)"""
    why, top, top_json = _why(stack, "DEBT-1"), _top(stack), _top_json(stack)
    why_json = _cli(stack, "why", "DEBT-1", "--json")
    assert "fewer than 5 respondents" in why

    last_week = _open(stack, "last-week")
    _answer(stack, last_week, BOB, {"DEBT-1": 5})
    assert "(1 answered)" in _close(stack, last_week)
    this_week = _open(stack, "this-week")
    for person in PEOPLE[:4]:
        _answer(stack, this_week, person, {"DEBT-1": 1})

    # Bob's answer and the four open ones: DEBT-1 is still "fewer than 5", everywhere
    assert _why(stack, "DEBT-1") == why
    assert _top(stack) == top
    after_json = _top_json(stack)
    assert after_json == top_json
    assert _row(after_json, "DEBT-1")["n_respondents"] is None
    assert _cli(stack, "why", "DEBT-1", "--json") == why_json
    assert "*DEBT-1* Flaky data ingestion: fewer than 5 answers" in _summary(stack, "last-week")
    polls = _polls(stack)  # who took part may show: one, then four people
    assert re.search(rf"#{last_week}` \*last-week\* — closed, [^—]+ — 1 responded", polls)
    assert re.search(rf"#{this_week}` \*this-week\* — open, [^—]+ — 4 responded", polls)

    # This week's close completes a group of five people (Bob's held answer among them):
    # all five answers enter the score together.
    _close(stack, this_week)
    released = _why(stack, "DEBT-1")
    assert released != why and "fewer than" not in released
    assert _row(_top_json(stack), "DEBT-1")["n_respondents"] == MIN_GROUP


def test_a_close_does_not_let_one_answer_be_subtracted(stack: Stack) -> None:
    """2. DEBT-2 shows a mean from five people; a run in which one person answered DEBT-2
    closes. `/debt why` before and after the close are the same: the lone answer is held."""
    base = _open(stack, "diff-base")
    for person in PEOPLE[:5]:
        _answer(stack, base, person, {"DEBT-2": 3})
    _close(stack, base)
    before = _why(stack, "DEBT-2")
    assert "fewer than" not in before  # the base group of five was released: a mean shows
    top_before = _top(stack)
    json_before = _cli(stack, "why", "DEBT-2", "--json")

    probe = _open(stack, "diff-probe")
    _answer(stack, probe, PEOPLE[5], {"DEBT-2": 1})
    assert "(1 answered)" in _close(stack, probe)
    assert re.search(rf"#{probe}` \*diff-probe\* — closed, [^—]+ — 1 responded", _polls(stack))

    # "1 responded" and the score, before and after: no difference to read an answer from
    assert _why(stack, "DEBT-2") == before
    assert _top(stack) == top_before
    assert _cli(stack, "why", "DEBT-2", "--json") == json_before
    assert "*DEBT-2* No schema validation: fewer than 5 answers" in _summary(stack, "diff-probe")


def test_answers_to_an_open_run_move_no_shown_number(stack: Stack) -> None:
    """3. While an anonymous run is open, each answer leaves `/debt top` and `/debt why`
    byte-identical: a lead watching someone answer learns nothing of what they rated."""
    base = _open(stack, "watch-base")
    for person in PEOPLE[:5]:
        _answer(stack, base, person, {"DEBT-3": 2})
    _close(stack, base)
    why, top = _why(stack, "DEBT-3"), _top(stack)
    assert "fewer than" not in why  # n = 5 shows: an n that moved would show

    probe = _open(stack, "watch-probe")
    for n, person in enumerate([*PEOPLE[3:5], *PEOPLE[6:9]]):
        _answer(stack, probe, person, {"DEBT-3": 5})
        assert _why(stack, "DEBT-3") == why, f"after answer {n + 1}"
        assert _top(stack) == top, f"after answer {n + 1}"

    # the close releases the five answers together: now, and only now, the numbers move
    _close(stack, probe)
    assert _why(stack, "DEBT-3") != why


def test_released_rows_cannot_be_lined_up_with_people(stack: Stack) -> None:
    """4. After a run answered by twelve people closes, no Slack user id is stored beside an
    answer or in who took part; the released answers have fresh random keys that match no
    participation row, one time (the run's day) and an order unrelated to the answering."""
    people = PEOPLE[:12]
    pains = PAINS  # in answering order: never decreasing
    notes = [f"note {n:02d}" for n in range(12)]
    run = _open(stack, "order-run")
    for person, pain, note in zip(people, pains, notes, strict=True):
        _answer(stack, run, person, {"DEBT-4": pain}, note)
    _close(stack, run)

    tables = _tables(stack)
    dumped = json.dumps(tables, default=str)
    assert not [person for person in [LEAD, *EVERYONE] if person in dumped]
    taken = {row["user_id"] for row in _of_run(tables["participation"], run)}
    assert len(taken) == 12
    released = _of_run(tables["response"], run)  # in id order
    assert len(released) == 24  # twelve pain answers and twelve notes
    keys = [row["respondent"] for row in released]
    assert len(set(keys)) == 24 and all(re.fullmatch(r"anon:[0-9a-f]{40}", k) for k in keys)
    # no released key is a participation key, a per-run key or a person key of anyone
    derived = {respondent_key(secret=ANON_SECRET, run_id=run, user_id=p) for p in people}
    derived |= {person_key(secret=ANON_SECRET, team_id=TEAM, user_id=p)[1] for p in people}
    assert not set(keys) & (taken | derived)
    assert len({(row["answered_at"], row["updated_at"]) for row in released}) == 1
    # the released order is not the answering order (by chance: 1 in 12!/(3!²·2!³), 1 in 12!)
    pain_order = [int(r["value"]) for r in released if r["question_id"] == "pain"]
    note_order = [r["text"] for r in released if r["question_id"] == "note"]
    assert sorted(pain_order) == pains and sorted(note_order) == notes
    assert pain_order != pains
    assert note_order != notes
    # all twelve released, as two groups of twelve people: nothing of the run is held
    assert _of_run(tables["held_answer"], run) == []
    groups = {(r["question_id"], r["people"], r["answers"]) for r in tables["answer_release"]}
    assert {("pain", 12, 12), ("note", 12, 12)} <= groups


def _as_any_item(shown: str, key: str) -> str:
    """A `/debt why` reply without what names the item or ranks it."""
    title = ITEMS[key][0]
    return re.sub(r"rank \d+", "rank ?", shown.replace(key, "KEY").replace(title, "TITLE"))


def _why_json_as_any_item(stack: Stack, key: str) -> dict[str, Any]:
    explained = json.loads(_cli(stack, "why", key, "--json"))
    for name in ("key", "title", "rank"):
        explained.pop(name, None)
    return dict(explained)


def test_an_imported_anonymous_run_keeps_no_person_and_no_order(stack: Stack) -> None:
    """5. `debtpulse responses import` of an anonymous survey: who took part is keyed per run
    (no e-mail address), released answers are in random order with fresh keys, and DEBT-6,
    rated by three people only, is held: not in `response`, suppressed for the lead."""
    people = [f"person{n:02d}@example.com" for n in range(12)]
    pains = PAINS
    notes = [f"imported {n:02d}" for n in range(12)]
    today = date.today().isoformat()  # the importer's date: a later run date is refused
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(
        ["survey_id", "run_date", "respondent", "question_id", "debt_key", "value", "text"]
    )
    for person, pain, note in zip(people, pains, notes, strict=True):
        out.writerow(["imported", today, person, "pain", "DEBT-5", pain, ""])
        out.writerow(["imported", today, person, "note", "", "", note])
    for person in people[:3]:
        out.writerow(["imported", today, person, "pain", "DEBT-6", 5, ""])
    answers = stack.folder / "answers.csv"
    answers.write_text(buffer.getvalue())
    said = _cli(stack, "responses", "import", str(answers))
    assert "27 answers stored from 12 respondents" in said

    (run,) = [
        row["id"] for row in _sql(stack, "SELECT id FROM poll_run WHERE survey_id = 'imported'")
    ]
    tables = _tables(stack)
    dumped = json.dumps(tables, default=str)
    assert "@example.com" not in dumped and "person00" not in dumped
    taken = {row["user_id"] for row in _of_run(tables["participation"], run)}
    assert taken == {respondent_key(secret=ANON_SECRET, run_id=run, user_id=p) for p in people}

    released = _of_run(tables["response"], run)  # in id order
    keys = [row["respondent"] for row in released]
    assert len(released) == 24 and len(set(keys)) == 24
    persons = {person_key(secret=ANON_SECRET, team_id=TEAM, user_id=p)[1] for p in people}
    assert not set(keys) & (taken | persons)
    assert {row["debt_item_id"] for row in released} == {stack.item_ids["DEBT-5"], None}
    pain_order = [int(r["value"]) for r in released if r["question_id"] == "pain"]
    note_order = [r["text"] for r in released if r["question_id"] == "note"]
    assert sorted(pain_order) == pains and sorted(note_order) == notes
    assert pain_order != pains  # the file's order (as in the test above: not by chance)
    assert note_order != notes

    # DEBT-6: three people, under the minimum group: held, and suppressed wherever it shows
    held = _of_run(tables["held_answer"], run)
    assert [(row["debt_item_id"], row["value"]) for row in held] == [
        (stack.item_ids["DEBT-6"], 5.0)
    ] * 3
    assert len({row["person"] for row in held}) == 3
    # (DEBT-5's release moved the team's mean, which a suppressed item shows: DEBT-6 is
    # compared with DEBT-7, which nobody was asked about, rather than with itself before)
    why_held = _why(stack, "DEBT-6")
    assert "fewer than 5 respondents" in why_held
    assert _as_any_item(why_held, "DEBT-6") == _as_any_item(_why(stack, "DEBT-7"), "DEBT-7")
    assert _why_json_as_any_item(stack, "DEBT-6") == _why_json_as_any_item(stack, "DEBT-7")
    rows = _top_json(stack)
    assert _row(rows, "DEBT-6")["n_respondents"] is None
    assert _row(rows, "DEBT-5")["n_respondents"] == 12
    assert "fewer than" not in _why(stack, "DEBT-5")
