"""A per-item question over a register larger than one modal holds: the poll asks what fits
(the ranking's first items), and what was shown is all a submission must answer."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import PollRun, Response
from tests.listeners.conftest import MEMBER, POLLS, Harness, InProcessDriver, answers_recorded


def test_a_poll_over_150_open_items_asks_what_fits_and_can_be_submitted(
    harness: Harness, member: InProcessDriver
) -> None:
    for n in range(150):
        harness.add_item(f"Debt number {n}", assess=None)
    harness.open_run("team-pulse")
    with harness.session() as session:
        run = session.exec(select(PollRun)).one()
    asked = run.frozen["questions"][0]["items"]
    assert len(asked) == 98  # 100 blocks a modal, the text question and room for a note

    member.click_button(action_id="poll_open", channel=POLLS)
    modal = harness.fake.open_modal(MEMBER)
    assert modal is not None  # the fake refuses a view over Slack's limits
    inputs = [b["block_id"] for b in modal.blocks if b["type"] == "input"]
    assert len(inputs) == 99 and len(modal.view["private_metadata"]) <= 3000
    answers = {block: "3" for block in inputs if block.startswith("pain|")}
    assert answers_recorded(member.submit_modal(answers, view=modal))  # accepted, not errors
    with harness.session() as session:
        stored = session.exec(select(Response.debt_item_id).order_by(col(Response.id))).all()
    assert sorted(stored) == sorted(item["id"] for item in asked)
