"""`/debt` through the real serve process: signed requests in, Web API calls to the fake out."""

from __future__ import annotations

import json
import time

import pytest
from sqlmodel import Session, func, select

from bot.sandbox import SlackDriver, Tamper
from storage.models import Assessment, AuditEvent, DebtItem
from tests.e2e.conftest import LEAD, MEMBER, Stack

pytestmark = pytest.mark.e2e


def _ephemeral_texts(stack: Stack, user: str) -> list[str]:
    texts = []
    for eph in stack.fake.ephemerals(user=user):
        texts.append(eph.text + " " + json.dumps(eph.blocks or [], ensure_ascii=False))
    for dm in stack.fake.messages(channel="D" + user[1:]):
        texts.append(dm.text)
    for post in stack.fake.response_url_posts:
        texts.append(json.dumps(post.payload, ensure_ascii=False))
    return texts


def _add_item(stack: Stack, lead: SlackDriver, title: str, category: str = "operational") -> None:
    """The lead adds an item through `/debt add` and its modal; the submission is the last
    request the driver sent (``resend_last`` replays it)."""
    lead.slash(text="add")
    stack.fake.wait_for_calls("views.open", count=1, timeout=5)
    assert lead.submit_modal({"title": title, "category": category}).ok
    _wait_reply(stack, LEAD, "Added *DEBT-")


def _wait_reply(stack: Stack, user: str, needle: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for text in _ephemeral_texts(stack, user):
            if needle in text:
                return text
        time.sleep(0.05)
    raise AssertionError(f"no reply containing {needle!r}; got {_ephemeral_texts(stack, user)}")


def test_help_is_answered_in_the_ack_within_3_seconds(e2e: Stack) -> None:
    response = e2e.driver.slash(text="help")
    assert response.ok and response.elapsed < 3
    assert "debtpulse" in response.body_text and "/debt top" in response.body_text
    assert response.ack_errors == []


@pytest.mark.parametrize(
    "tamper",
    [
        Tamper(secret="wrong-secret"),
        Tamper(timestamp_offset=-301),
        Tamper(append_after_signing="&text=export"),
        Tamper(omit_signature=True),
        Tamper(omit_timestamp=True),
        Tamper(timestamp_text="abc"),
        Tamper(timestamp_text="1e9"),
        Tamper(timestamp_text="9" * 400),
    ],
    ids=[
        "wrong-secret",
        "301s-old",
        "body-changed",
        "no-signature",
        "no-timestamp",
        "text-timestamp",
        "float-timestamp",
        "huge-timestamp",
    ],
)
def test_bad_signatures_get_401_and_no_web_api_call(e2e: Stack, tamper: Tamper) -> None:
    response = e2e.driver.slash(text="help", tamper=tamper)
    assert response.status == 401
    time.sleep(0.2)
    assert e2e.fake.calls == []
    # the rejection is logged without the request: its body holds user ids (and answers)
    log = e2e.log.read_text()
    assert MEMBER not in log and "text=help" not in log
    assert "Traceback" not in log  # refused before anything is parsed, as a 401


def test_a_four_minute_old_request_is_accepted(e2e: Stack) -> None:
    # inside the 5 minutes with room to spare: the server reads its clock a little later
    assert e2e.driver.slash(text="help", tamper=Tamper(timestamp_offset=-240)).ok


def test_unknown_or_malformed_input_gets_a_usage_message(e2e: Stack) -> None:
    for text, needle in [
        ("frobnicate", "unknown command"),
        ("why", "missing arguments"),
        ("top 99", "N must be between 1 and 50"),
    ]:
        response = e2e.driver.slash(text=text)
        assert response.ok
        assert needle in response.body_text and "Usage" in response.body_text


@pytest.mark.parametrize(
    "text",
    [
        "add",
        "assess DEBT-1",
        "owner DEBT-1 <@U0ALICE>",
        "status DEBT-1 resolved",
        "export",
        "poll send weekly-debt-pulse",
        "poll close 1",
        "digest post",
    ],
)
def test_lead_commands_are_refused_politely_for_others(e2e: Stack, text: str) -> None:
    response = e2e.driver.slash(text=text, user=MEMBER)
    assert response.ok
    assert "is for team leads" in response.body_text
    time.sleep(0.1)
    assert not e2e.fake.calls_to("views.open")
    assert not e2e.fake.calls_to("files.getUploadURLExternal")


def test_add_modal_validates_then_creates_an_audited_item(e2e: Stack) -> None:
    lead = e2e.lead()
    assert lead.slash(text="add").ok
    e2e.fake.wait_for_calls("views.open", count=1, timeout=5)
    modal = e2e.fake.open_modal(LEAD)
    assert modal is not None and modal.callback_id == "debt_add"
    bad = lead.submit_modal({"title": "Flaky ingestion", "effort": "M", "impact": "5"})
    assert bad.ok
    record = e2e.fake.open_modal(LEAD)
    assert record is not None and "likelihood" in (record.errors or {})
    good = lead.submit_modal(
        {
            "title": "Flaky data ingestion",
            "category": "operational",
            "component": "ingest",
            "owner": "U0ALICE",
            "effort": "M",
            "impact": "5",
            "likelihood": "4",
            "detectability": "2",
            "problem": "Nightly loads fail one night in five",
        }
    )
    assert good.ok
    _wait_reply(e2e, LEAD, "Added *DEBT-1*")
    with Session(e2e.engine()) as session:
        item = session.exec(select(DebtItem).where(DebtItem.key == "DEBT-1")).one()
        assert (item.title, item.owner, item.effort) == ("Flaky data ingestion", "U0ALICE", "M")
        assessment = session.exec(select(Assessment)).one()
        assert (assessment.impact, assessment.likelihood, assessment.assessed_by) == (5, 4, LEAD)
        actions = {e.action for e in session.exec(select(AuditEvent))}
    assert {"item.created", "item.assessed"} <= actions


def test_reading_and_changing_commands(e2e: Stack) -> None:
    lead = e2e.lead()
    _add_item(e2e, lead, "No schema validation", "experimentation")

    assert e2e.driver.slash(text="top").ok
    top = _wait_reply(e2e, MEMBER, "debt items")
    assert "No schema validation" in top

    assert e2e.driver.slash(text="why DEBT-1").ok
    why = _wait_reply(e2e, MEMBER, "Risk")
    assert "impact 5, likelihood 4, detectability 2" in why

    assert e2e.driver.slash(text="show DEBT-1").ok
    assert "*Owner:* <@U0ALICE>" in _wait_reply(e2e, MEMBER, "Nightly loads fail")

    assert lead.slash(text="owner DEBT-1 <@U0LEAD|lead>").ok
    _wait_reply(e2e, LEAD, "owner is now <@U0LEAD>")
    assert lead.slash(text="status DEBT-1 in_progress").ok
    _wait_reply(e2e, LEAD, "status is now `in_progress`")
    assert lead.slash(text="status DEBT-404 resolved").ok
    _wait_reply(e2e, LEAD, "No debt item `DEBT-404`")

    assert lead.slash(text="assess DEBT-2").ok
    e2e.fake.wait_for_calls("views.open", count=2, timeout=5)
    lead.submit_modal({"impact": "3", "likelihood": "3", "detectability": "4", "note": "seen"})
    _wait_reply(e2e, LEAD, "Assessed *DEBT-2*")

    assert e2e.driver.slash(text="polls").ok
    _wait_reply(e2e, MEMBER, "No polls have run yet")

    assert lead.slash(text="status DEBT-2 wont_fix the <legacy> loader goes away in Q1").ok
    said = _wait_reply(e2e, LEAD, "status is now `wont_fix`")
    assert "Noted why: the &lt;legacy&gt; loader goes away in Q1" in said
    assert e2e.driver.slash(text="why DEBT-2").ok
    _wait_reply(e2e, MEMBER, "`DEBT-2` has status `wont_fix`, so it has no score")
    assert e2e.driver.slash(text="why DEBT-404").ok
    _wait_reply(e2e, MEMBER, "No debt item `DEBT-404`")

    with Session(e2e.engine()) as session:
        changes = [(e.action, e.actor, e.reason) for e in session.exec(select(AuditEvent))]
    assert ("item.owner", LEAD, "/debt owner") in changes
    assert ("item.status", LEAD, "/debt status") in changes
    reason = "/debt status: the <legacy> loader goes away in Q1"  # as typed, in the trail
    assert ("item.status", LEAD, reason) in changes


def test_export_uploads_the_register_as_csv(e2e: Stack) -> None:
    lead = e2e.lead()
    assert lead.slash(text="export").ok
    _wait_reply(e2e, LEAD, "Sent the register")
    files = e2e.fake.uploaded_files
    assert len(files) == 1
    content = files[0].content.decode()
    assert content.startswith("key,title,category")
    assert files[0].channel == "D" + LEAD[1:]
    methods = [c.method for c in e2e.fake.calls]
    assert methods.index("files.getUploadURLExternal") < methods.index(
        "files.completeUploadExternal"
    )


def test_slack_and_cli_show_the_same_numbers(e2e: Stack) -> None:
    import re
    import subprocess
    import sys

    from tests.e2e.conftest import TEAM

    env = {"DATABASE_URL": e2e.database_url, "PATH": "/usr/bin:/bin"}
    cli = subprocess.run(
        [sys.executable, "-m", "bot.cli", "top", "--json", "--team", TEAM],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    expected = {row["key"]: row["score"] for row in json.loads(cli.stdout)}
    assert expected, "the earlier tests added items"
    e2e.driver.slash(text="top")
    text = _wait_reply(e2e, MEMBER, "debt items")
    shown = {
        key: float(score)
        for key, score in re.findall(r"\d+\. (DEBT-\d+) [^*]*\* — \*([\d.]+)\*", text)
    }
    assert shown == expected
    for key, score in expected.items():
        e2e.fake.reset()
        e2e.driver.slash(text=f"why {key}")
        why = _wait_reply(e2e, MEMBER, "Score ")
        assert f"*Score {score:.1f}*" in why


def test_a_retried_submission_or_command_acts_once(e2e: Stack) -> None:
    """DESIGN §7: Slack retries (X-Slack-Retry-Num) never create duplicate rows or messages."""
    lead = e2e.lead()
    _add_item(e2e, lead, "Dup me")
    retried = lead.resend_last(retry_num=1)
    assert retried.ok and retried.body_text == ""

    assert lead.slash(text="export").ok
    _wait_reply(e2e, LEAD, "Sent the register")
    assert lead.resend_last(retry_num=2).ok
    time.sleep(0.5)  # what a second handling would have posted by now
    with Session(e2e.engine()) as session:
        titles = [item.title for item in session.exec(select(DebtItem))]
    assert titles.count("Dup me") == 1
    added = [t for t in _ephemeral_texts(e2e, LEAD) if "Added *DEBT-" in t]
    assert len(added) == 1
    assert len(e2e.fake.uploaded_files) == 1


def test_odd_top_arguments_get_an_answer_not_an_error(e2e: Stack) -> None:
    lead = e2e.lead()
    _add_item(e2e, lead, "Flaky ingestion")

    response = e2e.driver.slash(text="top ²")
    assert response.status == 200
    _wait_reply(e2e, MEMBER, "No open debt items in component `²`. Usage: /debt top [N]")
    assert e2e.driver.slash(text="top 5 Operational").ok
    assert "Flaky ingestion" in _wait_reply(e2e, MEMBER, "debt items · operational")


def test_an_owner_must_be_a_person_of_the_workspace(e2e: Stack) -> None:
    from bot.sandbox import BOT_USER_ID

    lead = e2e.lead()
    lead.slash(text="add")
    e2e.fake.wait_for_calls("views.open", count=1, timeout=5)
    refused = lead.submit_modal(
        {"title": "Owned by a bot", "category": "operational", "owner": BOT_USER_ID}
    )
    assert refused.ok
    assert not refused.ack_errors  # Slack accepted the ack
    modal = e2e.fake.open_modal(LEAD)
    assert modal is not None
    errors = modal.errors or {}
    assert errors["owner"] == f"<@{BOT_USER_ID}> is a bot, not a person: choose a person."
    with Session(e2e.engine()) as session:
        assert not session.exec(select(DebtItem).where(DebtItem.title == "Owned by a bot")).all()

    assert lead.slash(text=f"owner DEBT-1 <@{BOT_USER_ID}>").ok
    _wait_reply(e2e, LEAD, f"<@{BOT_USER_ID}> is a bot, not a person; the owner was not changed.")
    assert lead.slash(text="owner DEBT-1 <@U0NOBODY>").ok
    _wait_reply(e2e, LEAD, "<@U0NOBODY> is not a member of this workspace")
    with Session(e2e.engine()) as session:
        item = session.exec(select(DebtItem).where(DebtItem.key == "DEBT-1")).one()
    assert item.owner not in {BOT_USER_ID, "U0NOBODY"}


def test_an_add_that_cannot_be_saved_is_told_to_the_lead(e2e: Stack) -> None:
    """The modal has closed already when the write fails: the lead is told, nothing is kept."""
    engine = e2e.engine()
    with engine.begin() as conn:  # the database refuses new items (a full disk, say)
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse_items BEFORE INSERT ON debt_item "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    try:
        with Session(engine) as session:
            before = _items_and_creations(session)
        lead = e2e.lead()
        lead.slash(text="add")
        e2e.fake.wait_for_calls("views.open", count=1, timeout=5)
        assert lead.submit_modal({"title": "Never stored"}).ok
        said = _wait_reply(e2e, LEAD, "could not be saved")
        assert "nothing was added. Please try again." in said
        with Session(engine) as session:
            assert _items_and_creations(session) == before  # no item, no audit event
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER refuse_items")


def _items_and_creations(session: Session) -> tuple[int, int]:
    items = session.exec(select(func.count()).select_from(DebtItem)).one()
    created = session.exec(select(func.count()).where(AuditEvent.action == "item.created")).one()
    return items, created
