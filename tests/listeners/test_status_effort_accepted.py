"""``/debt status`` with what goes with a status: the effort a fix cost (``resolved effort
3d``) and the review date of debt kept on purpose (``accepted until DATE why…``), through the
real Bolt app: what the lead is told, what is stored and audited, and what the ranking shows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import select

from storage.models import AuditEvent, DebtItem
from tests.listeners.conftest import LEAD, MEMBER, Harness, InProcessDriver, ack_json

NOW = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)  # the team's zone is UTC (its digest's)


@pytest.fixture(autouse=True)
def _clock(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness.runtime, "clock", lambda: NOW)


def _item(harness: Harness, key: str) -> DebtItem:
    with harness.session() as session:
        return session.exec(select(DebtItem).where(DebtItem.key == key)).one()


def _trail(harness: Harness, key: str) -> list[tuple[str, Any, Any, str]]:
    """The changes of ``key`` in the audit trail (after it was created and assessed):
    (action, before, after, reason)."""
    with harness.session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.subject == key))
        arranged = {"item.created", "item.assessed"}
        return [(e.action, e.before, e.after, e.reason) for e in events if e.action not in arranged]


def test_resolved_with_an_effort_records_what_the_fix_cost(
    harness: Harness, lead: InProcessDriver
) -> None:
    key = harness.add_item("Flaky data ingestion")
    lead.slash(text=f"status {key} resolved effort 3d fixed by PR 412")
    said = harness.reply_to(LEAD, f"`{key}` resolved (effort 3 days).")
    assert "Noted why: fixed by PR 412" in said
    item = _item(harness, key)
    assert (item.status, item.effort_spent_days, item.resolved_at) == ("resolved", 3.0, NOW)
    reason = "/debt status: fixed by PR 412"
    assert _trail(harness, key) == [
        ("item.status", {"status": "open"}, {"status": "resolved"}, reason),
        ("item.updated", {"effort_spent_days": None}, {"effort_spent_days": 3.0}, reason),
    ]

    # a correction later: the effort of the resolved item is replaced
    lead.slash(text=f"status {key} resolved EFFORT 4h")
    harness.reply_to(LEAD, f"`{key}` is resolved already; its effort is now 0.5 days.")
    assert _item(harness, key).effort_spent_days == 0.5
    lead.slash(text=f"status {key} resolved effort 2w")  # 5 days a week
    assert _item(harness, key).effort_spent_days == 10.0


def test_accepted_until_a_date_takes_the_item_out_of_the_ranking(
    harness: Harness, lead: InProcessDriver, member: InProcessDriver
) -> None:
    kept = harness.add_item("Legacy CSV exporter")
    other = harness.add_item("Flaky data ingestion")
    lead.slash(text=f"status {kept} accepted until 2027-03-01 works; two users left")
    said = harness.reply_to(
        LEAD, f"`{kept}` accepted until 2027-03-01: it leaves the ranking until then."
    )
    assert "Noted why: works; two users left" in said
    item = _item(harness, kept)
    assert (item.status, item.accepted_until, item.resolved_at) == (
        "accepted",
        date(2027, 3, 1),
        None,
    )
    reason = "/debt status: works; two users left"
    assert _trail(harness, kept) == [
        ("item.status", {"status": "open"}, {"status": "accepted"}, reason),
        ("item.updated", {"accepted_until": None}, {"accepted_until": "2027-03-01"}, reason),
    ]

    member.slash(text="top")
    top = harness.reply_to(MEMBER, "debt items")
    assert other in top and kept not in top
    member.slash(text=f"show {kept}")
    shown = harness.reply_to(MEMBER, "Legacy CSV exporter")
    assert "*Status:* accepted until 2027-03-01 (out of the ranking until then)" in shown

    # set back to open by hand: the review date goes with the status, audited
    lead.slash(text=f"status {kept} open the exporter broke")
    harness.reply_to(LEAD, f"`{kept}` status is now `open`.")
    assert (_item(harness, kept).status, _item(harness, kept).accepted_until) == ("open", None)
    assert _trail(harness, kept)[-1][:3] == (
        "item.updated",
        {"accepted_until": "2027-03-01"},
        {"accepted_until": None},
    )


@pytest.mark.parametrize("until", ["2026-12-14", "2026-01-31"])
def test_the_review_date_must_be_after_today(
    harness: Harness, lead: InProcessDriver, until: str
) -> None:
    key = harness.add_item("Legacy CSV exporter")
    lead.slash(text=f"status {key} accepted until {until} keep it")
    said = harness.reply_to(LEAD, f"until: {until} is not after today (2026-12-14, UTC)")
    assert "Usage: `/debt status KEY open|in_progress|wont_fix [why]" in said
    assert _item(harness, key).status == "open"
    assert _trail(harness, key) == []


BAD = [
    ("accepted", "`accepted` needs `until YYYY-MM-DD` and why"),
    ("accepted keep it", "`accepted` needs `until YYYY-MM-DD` and why"),
    ("accepted until", "until: missing, such as `until YYYY-MM-DD`"),
    ("accepted until 2027-02-30 keep it", 'until: "2027-02-30" is not a date: expected YYYY-MM-DD'),
    ("accepted until 2027-03-01", "why: required with `accepted`: say why the debt is kept"),
    ("resolved effort", "effort: missing, such as `effort 3d`"),
    ("resolved effort 3x done", 'effort: "3x" is not an effort: expected a number with d (days)'),
    ("resolved effort 3 done", 'effort: "3" is not an effort'),
    ("open until 2027-03-01 later", "`until` goes only with `accepted`"),
    ("wont_fix effort 2d", "`effort` goes only with `resolved`"),
]


@pytest.mark.parametrize(("words", "problem"), BAD, ids=[words for words, _ in BAD])
def test_a_malformed_status_gets_a_usage_line_naming_the_argument(
    harness: Harness, lead: InProcessDriver, words: str, problem: str
) -> None:
    key = harness.add_item("Legacy CSV exporter")
    ack = ack_json(lead.slash(text=f"status {key} {words}"))
    assert ack["text"].startswith(problem)
    assert ". Usage: /debt status KEY open|in_progress|wont_fix [why] | " in ack["text"]
    assert harness.fake.calls == []  # answered in the ack; nothing stored
    assert _item(harness, key).status == "open"
    assert _trail(harness, key) == []


def test_until_or_effort_that_do_not_read_as_one_are_the_reason(
    harness: Harness, lead: InProcessDriver
) -> None:
    key = harness.add_item("Legacy CSV exporter")
    lead.slash(text=f"status {key} wont_fix until the rewrite lands")
    said = harness.reply_to(LEAD, f"`{key}` status is now `wont_fix`.")
    assert "Noted why: until the rewrite lands" in said


def test_accepted_is_for_leads_and_the_help_tells_the_forms(
    harness: Harness, lead: InProcessDriver, member: InProcessDriver
) -> None:
    key = harness.add_item("Legacy CSV exporter")
    refused = ack_json(member.slash(text=f"status {key} accepted until 2027-03-01 keep"))
    assert refused["text"].startswith("Sorry, `/debt status` is for team leads.")
    assert _item(harness, key).status == "open"
    shown = str(ack_json(lead.slash(text="help"))["blocks"])
    for form in (
        "`/debt status KEY open|in_progress|wont_fix [why]`",
        "`/debt status KEY resolved [effort 3d] [why]`",
        "`/debt status KEY accepted until YYYY-MM-DD why`",
        "4h (8 h a day), 2w (5 days a week)",
        "out of the ranking until its review date",
    ):
        assert form in shown
