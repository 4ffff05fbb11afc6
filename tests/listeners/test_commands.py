"""Every ``/debt`` subcommand through the real Bolt app, in process: what the user is told
(the ack, or the reply to the command's response_url) and what was stored or sent."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlmodel import func, select

from storage.models import (
    Assessment,
    AuditEvent,
    DebtItem,
    DigestPost,
    PollDelivery,
    PollRun,
    PrioritySnapshot,
)
from tests.listeners.conftest import (
    ALICE,
    DIGEST,
    GENERAL,
    LEAD,
    MEMBER,
    POLLS,
    Harness,
    InProcessDriver,
    ack_json,
    shown_text,
)


def _audit(harness: Harness) -> list[tuple[str, str, str]]:
    with harness.session() as session:
        return [(e.action, e.actor, e.reason) for e in session.exec(select(AuditEvent))]


def _item(harness: Harness, key: str) -> DebtItem:
    with harness.session() as session:
        return session.exec(select(DebtItem).where(DebtItem.key == key)).one()


def _count(harness: Harness, model: type) -> int:
    with harness.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _replied(harness: Harness, user: str) -> list[str]:
    """What reached ``user`` through the command's response_url."""
    return [shown_text(e.text, e.blocks) for e in harness.ephemerals_via(user, "response_url")]


# -- bad input: a usage line naming the argument, in the ack; nothing else happens ----------

BAD_INPUT = [
    ("help me", "too many arguments for `help`", "/debt help"),
    ("top 99", "N must be between 1 and 50", "/debt top [N]"),
    ("top 5 operational ingest extra", "too many arguments for `top`", "/debt top [N]"),
    ("show", "missing arguments for `show`", "/debt show KEY"),
    ("why 12", "`12` is not a debt item key like DEBT-12", "/debt why KEY"),
    ("add DEBT-1", "too many arguments for `add`", "/debt add"),
    ("assess DEBT-1 DEBT-2", "too many arguments for `assess`", "/debt assess KEY"),
    ("owner DEBT-1 alice", "`alice` is not a @mention of a person", "/debt owner KEY @user"),
    ("status DEBT-1 done", "`done` is not a status", "/debt status KEY open|in_progress"),
    ("polls 3", "too many arguments for `polls`", "/debt polls"),
    ("poll open quick-vote", "expected `send SURVEY_ID` or `close RUN`", "/debt poll send"),
    ("poll close next", "`next` is not a run number", "/debt poll send SURVEY_ID |"),
    ("digest publish", "expected `preview`, `post` or `post force`", "/debt digest preview"),
    ("export csv", "too many arguments for `export`", "/debt export"),
    ("signals", "expected `token` or `token rotate`", "/debt signals token [rotate]"),
    ("signals token show", "expected `token` or `token rotate`", "/debt signals token"),
    ("frobnicate", "unknown command `frobnicate`", "/debt help"),
]


@pytest.mark.parametrize(
    ("text", "problem", "usage"), BAD_INPUT, ids=[case[0] for case in BAD_INPUT]
)
def test_bad_input_gets_a_usage_line_naming_the_argument(
    harness: Harness, lead: InProcessDriver, text: str, problem: str, usage: str
) -> None:
    key = harness.add_item("Flaky data ingestion")
    before = _audit(harness)
    response = lead.slash(text=text)
    ack = ack_json(response)
    assert ack["response_type"] == "ephemeral"
    assert ack["text"].startswith(f"{problem}. Usage: {usage}")
    assert response.ack_errors == []
    shown = harness.reply_to(LEAD, problem)
    assert f":warning: {problem}" in shown and "see `/debt help`" in shown
    # answered in the ack alone: no reply, no modal, no upload, nothing stored
    assert harness.fake.calls == []
    assert _audit(harness) == before
    assert _item(harness, key).status == "open"


# -- help -------------------------------------------------------------------------------------


def test_help_is_the_ack_and_marks_lead_commands_for_others(
    harness: Harness, lead: InProcessDriver, member: InProcessDriver
) -> None:
    for_member = ack_json(member.slash(text=""))  # a bare `/debt` is help too
    for_lead = ack_json(lead.slash(text="help"))
    for ack in (for_member, for_lead):
        text = json.dumps(ack["blocks"])
        assert ack["response_type"] == "ephemeral"
        assert "/debt top [N]" in text and "/debt poll send SURVEY_ID" in text
    assert "leads only" in json.dumps(for_member["blocks"])
    assert "leads only" not in json.dumps(for_lead["blocks"])
    assert harness.fake.calls == []


# -- leads only ---------------------------------------------------------------------------------

LEAD_ONLY = [
    ("add", "add"),
    ("assess DEBT-1", "assess"),
    ("owner DEBT-1 <@U0ALICE>", "owner"),
    ("status DEBT-1 resolved", "status"),
    ("poll send quick-vote", "poll send"),
    ("poll close 1", "poll close"),
    ("digest post", "digest post"),
    ("export", "export"),
    ("signals token", "signals token"),
    ("signals token rotate", "signals token"),
]


@pytest.mark.parametrize(("text", "label"), LEAD_ONLY, ids=[text for text, _ in LEAD_ONLY])
def test_lead_commands_are_refused_in_the_ack_for_others(
    harness: Harness, member: InProcessDriver, text: str, label: str
) -> None:
    key = harness.add_item("Flaky data ingestion")
    ack = ack_json(member.slash(text=text))
    assert ack["text"].startswith(f"Sorry, `/debt {label}` is for team leads.")
    assert harness.fake.calls == []  # no modal, upload, poll or digest
    item = _item(harness, key)
    assert (item.owner, item.status) == ("", "open")
    assert _count(harness, PollRun) == 0 and _count(harness, DigestPost) == 0


# -- top, why, show: read only, answered through the response_url ------------------------------


def test_top_ranks_the_open_items(harness: Harness, member: InProcessDriver) -> None:
    harness.add_item("Flaky data ingestion", assess=(5, 5, 5), owner=ALICE)
    harness.add_item("No schema validation", assess=(2, 2, 2), category="experimentation")
    resolved = harness.add_item("Old cron jobs", assess=(5, 5, 5))
    with harness.runtime.transaction() as session:
        session.exec(select(DebtItem).where(DebtItem.key == resolved)).one().status = "resolved"

    response = member.slash(text="top")
    assert response.status == 200 and response.body_text == ""  # answered after the ack
    top = harness.reply_to(MEMBER, "Top 2 debt items")
    assert top.index("1. DEBT-1 Flaky data ingestion") < top.index("2. DEBT-2 No schema")
    assert f"<@{ALICE}>" in top
    assert "Old cron jobs" not in top

    member.slash(text="top 5 experimentation")
    filtered = harness.reply_to(MEMBER, "debt items · experimentation")
    assert "No schema validation" in filtered and "Flaky data ingestion" not in filtered


def test_top_of_an_empty_component_says_so(harness: Harness, member: InProcessDriver) -> None:
    harness.add_item("Flaky data ingestion", component="ingest")
    member.slash(text="top billing")
    assert harness.reply_to(MEMBER, "No open debt items in component `billing`.")


def test_why_explains_the_score_component_by_component(
    harness: Harness, member: InProcessDriver
) -> None:
    key = harness.add_item("Flaky data ingestion", assess=(4, 3, 2))
    member.slash(text=f"why {key.lower()}")  # keys are read case-insensitively
    why = harness.reply_to(MEMBER, f"{key} · Flaky data ingestion")
    assert "rank 1" in why
    assert "impact 4, likelihood 3, detectability 2" in why
    for component in ("Risk", "Pain", "Breadth", "Trend", "Signals", "total"):
        assert f"`{component}" in why


def test_why_of_an_unranked_or_unknown_item(harness: Harness, lead: InProcessDriver) -> None:
    key = harness.add_item("Flaky data ingestion")
    lead.slash(text=f"status {key} wont_fix")
    lead.slash(text=f"why {key}")
    assert harness.reply_to(LEAD, f"`{key}` has status `wont_fix`, so it has no score")
    lead.slash(text="why DEBT-404")
    assert harness.reply_to(LEAD, "No debt item `DEBT-404`.")


def test_show_gives_the_item_and_its_risk(harness: Harness, member: InProcessDriver) -> None:
    key = harness.add_item(
        "Flaky data ingestion",
        assess=(4, 3, 2),
        owner=ALICE,
        component="ingest",
        problem="Nightly loads fail one night in five",
    )
    member.slash(text=f"show {key}")
    shown = harness.reply_to(MEMBER, f"{key} · Flaky data ingestion")
    assert f"*Owner:* <@{ALICE}>" in shown and "*Component:* ingest" in shown
    assert "*Risk:* impact 4, likelihood 3, detectability 2" in shown
    assert "*Score:*" in shown and "(rank 1)" in shown
    assert "Nightly loads fail one night in five" in shown

    member.slash(text="show DEBT-404")
    assert harness.reply_to(MEMBER, "No debt item `DEBT-404`.")


# -- add, assess: a modal opens (its submission: test_modals.py) -----------------------------


def test_add_opens_the_add_modal_with_the_next_key(harness: Harness, lead: InProcessDriver) -> None:
    harness.add_item("Flaky data ingestion")
    response = lead.slash(text="add", channel=GENERAL)
    assert response.status == 200 and response.body_text == ""
    (call,) = harness.fake.calls_to("views.open")
    assert call.ok
    modal = harness.fake.open_modal(LEAD)
    assert modal is not None and modal.callback_id == "debt_add"
    assert "The new item will be *DEBT-2*." in json.dumps(modal.blocks)
    assert json.loads(modal.view["private_metadata"]) == {"channel": GENERAL}
    assert _count(harness, DebtItem) == 1  # nothing is stored before the submission
    assert harness.told(LEAD) == []


def test_assess_opens_the_modal_with_the_current_ratings(
    harness: Harness, lead: InProcessDriver
) -> None:
    key = harness.add_item("Flaky data ingestion", assess=(4, 3, 2))
    lead.slash(text=f"assess {key}", channel=GENERAL)
    modal = harness.fake.open_modal(LEAD)
    assert modal is not None and modal.callback_id == "debt_assess"
    initial = {
        b["block_id"]: b["element"]["initial_option"]["value"]
        for b in modal.blocks
        if "initial_option" in b.get("element", {})
    }
    assert initial == {"impact": "4", "likelihood": "3", "detectability": "2"}
    assert json.loads(modal.view["private_metadata"]) == {"channel": GENERAL, "key": key}

    lead.slash(text="assess DEBT-404")
    assert harness.reply_to(LEAD, "No debt item `DEBT-404`.")
    assert len(harness.fake.calls_to("views.open")) == 1


# -- owner, status: changes, audited ------------------------------------------------------------


def test_owner_changes_the_owner_with_the_reason_in_the_trail(
    harness: Harness, lead: InProcessDriver
) -> None:
    key = harness.add_item("Flaky data ingestion")
    lead.slash(text=f"owner {key} <@{ALICE}|alice> she wrote the loader")
    said = harness.reply_to(LEAD, f"`{key}` owner is now <@{ALICE}>.")
    assert "Noted why: she wrote the loader" in said
    assert _item(harness, key).owner == ALICE
    assert ("item.owner", LEAD, "/debt owner: she wrote the loader") in _audit(harness)

    lead.slash(text=f"owner {key} {ALICE}")  # a bare user id works as well
    assert harness.reply_to(LEAD, f"`{key}` already has owner <@{ALICE}>.")
    assert [a for a, _, _ in _audit(harness)].count("item.owner") == 1


def test_owner_must_be_a_person_of_the_workspace(harness: Harness, lead: InProcessDriver) -> None:
    key = harness.add_item("Flaky data ingestion", owner=ALICE)
    lead.slash(text=f"owner {key} <@U0ROBOT>")
    assert harness.reply_to(LEAD, "<@U0ROBOT> is a bot, not a person; the owner was not changed.")
    lead.slash(text=f"owner {key} <@U0NOBODY>")
    assert harness.reply_to(LEAD, "<@U0NOBODY> is not a member of this workspace")
    lead.slash(text=f"owner DEBT-404 <@{ALICE}>")
    assert harness.reply_to(LEAD, "No debt item `DEBT-404`.")
    assert _item(harness, key).owner == ALICE
    assert "item.owner" not in {a for a, _, _ in _audit(harness)}


def test_status_changes_the_status_with_the_reason_in_the_trail(
    harness: Harness, lead: InProcessDriver
) -> None:
    key = harness.add_item("Flaky data ingestion")
    lead.slash(text=f"status {key} RESOLVED fixed by the <new> loader &amp; retries")
    said = harness.reply_to(LEAD, f"`{key}` status is now `resolved`.")
    assert "Noted why: fixed by the &lt;new&gt; loader &amp; retries" in said  # escaped
    item = _item(harness, key)
    assert item.status == "resolved" and item.resolved_at is not None
    reason = "/debt status: fixed by the <new> loader & retries"  # as typed, in the trail
    assert ("item.status", LEAD, reason) in _audit(harness)

    lead.slash(text="status DEBT-404 open")
    assert harness.reply_to(LEAD, "No debt item `DEBT-404`.")


# -- polls, poll send, poll close ---------------------------------------------------------------


def test_polls_lists_the_runs_with_their_respondents(
    harness: Harness, member: InProcessDriver
) -> None:
    member.slash(text="polls")
    assert harness.reply_to(MEMBER, "No polls have run yet.")
    run_id = harness.open_run("quick-vote")
    member.slash(text="polls")
    listed = harness.reply_to(MEMBER, "Polls")
    assert f"`#{run_id}` *quick-vote* — open, " in listed and " — 0 responded" in listed


def test_poll_send_posts_the_poll_and_tells_where_it_went(
    harness: Harness, lead: InProcessDriver
) -> None:
    harness.add_item("Flaky data ingestion")
    lead.slash(text="poll send quick-vote", channel=GENERAL)
    assert harness.reply_to(LEAD, ":white_check_mark: Opened quick-vote as run #1: posted in")
    (posted,) = harness.fake.messages(channel=POLLS)
    buttons = [e.get("action_id") for b in posted.blocks for e in b.get("elements", [])]
    assert [b for b in buttons if b] == [f"poll_vote_{n}" for n in "12345"]
    with harness.session() as session:
        run = session.exec(select(PollRun)).one()
        delivery = session.exec(select(PollDelivery)).one()
    assert (run.survey_id, run.status, run.source) == ("quick-vote", "open", "manual")
    assert run.audience == 3  # the people of the channel: the lead, the member, Alice
    assert (delivery.status, delivery.channel_id, delivery.message_ts) == ("sent", POLLS, posted.ts)

    lead.slash(text="poll send quick-vote")  # the same minute: the same slot
    assert harness.reply_to(LEAD, "`quick-vote` was opened this minute already.")
    assert len(harness.fake.messages(channel=POLLS)) == 1


def test_poll_send_of_an_unknown_survey_lists_the_surveys(
    harness: Harness, lead: InProcessDriver
) -> None:
    lead.slash(text="poll send weekly-debt-pulse")
    said = harness.reply_to(LEAD, ":x: no survey 'weekly-debt-pulse'.")
    assert "Surveys: anon-pulse, long-choice, quick-vote, sample-pulse, team-pulse." in said
    assert _count(harness, PollRun) == 0 and harness.fake.messages(channel=POLLS) == []


def test_poll_close_closes_the_run_and_posts_its_results(
    harness: Harness, lead: InProcessDriver
) -> None:
    run_id = harness.open_run("quick-vote")
    lead.slash(text=f"poll close {run_id}")
    said = harness.reply_to(LEAD, f"Closed run #{run_id} (0 answered)")
    assert f"posted its results in {POLLS}" in said
    with harness.session() as session:
        run = session.exec(select(PollRun)).one()
    assert run.status == "closed" and run.closed_at is not None
    poll = harness.fake.messages(channel=POLLS)[0]
    assert "Closed · 0 answered" in shown_text(poll.text, poll.blocks)
    assert "poll_vote_" not in json.dumps(poll.blocks)  # no buttons left to click

    lead.slash(text=f"poll close {run_id}")
    assert harness.reply_to(LEAD, f"Run `#{run_id}` was closed already.")
    lead.slash(text="poll close 99")
    assert harness.reply_to(LEAD, "No poll run `#99`. See `/debt polls`.")


# -- digest -------------------------------------------------------------------------------------


def test_digest_preview_shows_the_digest_and_stores_nothing(
    harness: Harness, member: InProcessDriver
) -> None:
    harness.add_item("Flaky data ingestion", assess=(5, 5, 5))
    member.slash(text="digest preview")
    (preview,) = _replied(harness, MEMBER)
    assert "Weekly debt digest" in preview and "Flaky data ingestion" in preview
    assert harness.fake.messages(channel=DIGEST) == []
    assert _count(harness, DigestPost) == 0 and _count(harness, PrioritySnapshot) == 0


def test_digest_post_posts_once_a_week_unless_forced(
    harness: Harness, lead: InProcessDriver
) -> None:
    harness.add_item("Flaky data ingestion", assess=(5, 5, 5))
    lead.slash(text="digest post")
    said = harness.reply_to(LEAD, f":white_check_mark: <#{DIGEST}>: posted")
    (digest,) = [m for m in harness.fake.messages(channel=DIGEST) if m.thread_ts is None]
    assert "Flaky data ingestion" in json.dumps(digest.blocks)
    if "(with chart)" in said:  # the charts extra is installed: the chart is in the thread
        (chart,) = harness.fake.uploaded_files
        assert (chart.channel, chart.thread_ts) == (DIGEST, digest.ts)
        assert chart.content.startswith(b"\x89PNG")
    with harness.session() as session:
        post = session.exec(select(DigestPost)).one()
    assert (post.channel_id, post.ts, post.status) == (DIGEST, digest.ts, "posted")
    assert _count(harness, PrioritySnapshot) == 1

    lead.slash(text="digest post")
    said = harness.reply_to(LEAD, f"<#{DIGEST}>: already posted")
    assert "`/debt digest post force` posts again" in said
    assert len([m for m in harness.fake.messages(channel=DIGEST) if m.thread_ts is None]) == 1

    lead.slash(text="digest post force")
    assert len(harness.ephemerals_via(LEAD, "response_url")) == 3
    assert len([m for m in harness.fake.messages(channel=DIGEST) if m.thread_ts is None]) == 2


# -- export -------------------------------------------------------------------------------------


def test_export_sends_the_register_as_csv_to_the_lead(
    harness: Harness, lead: InProcessDriver
) -> None:
    harness.add_item("Flaky data ingestion", owner=ALICE)
    harness.add_item("No schema validation", category="experimentation")
    lead.slash(text="export", channel=GENERAL)
    assert harness.reply_to(LEAD, ":white_check_mark: Sent the register (2 items) to your DMs.")
    (upload,) = harness.fake.uploaded_files
    assert upload.channel == "D" + LEAD[1:]
    assert upload.filename.startswith("debt-register-") and upload.filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(upload.content.decode())))
    assert [(r["key"], r["title"], r["owner"]) for r in rows] == [
        ("DEBT-1", "Flaky data ingestion", ALICE),
        ("DEBT-2", "No schema validation", ""),
    ]
    assert _count(harness, Assessment) == 2  # reading only: nothing new stored
