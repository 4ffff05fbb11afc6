"""``/debt`` with numbers of thousands of digits, through the real Bolt app: an ephemeral
usage line naming the argument in the ack, not a 500."""

from __future__ import annotations

import pytest

from tests.listeners.conftest import LEAD, Harness, InProcessDriver, ack_json

THOUSANDS = "9" * 5000


@pytest.mark.parametrize(
    ("text", "problem", "usage"),
    [
        (f"top {THOUSANDS}", "N must be between 1 and 50", "/debt top [N]"),
        (f"top -{THOUSANDS} operational", "N must be between 1 and 50", "/debt top [N]"),
        (f"poll close {THOUSANDS}", "is not a run number", "/debt poll send SURVEY_ID |"),
    ],
    ids=["top", "top-negative", "poll-close"],
)
def test_a_number_of_thousands_of_digits_gets_a_usage_line(
    harness: Harness, lead: InProcessDriver, text: str, problem: str, usage: str
) -> None:
    response = lead.slash(text=text)
    ack = ack_json(response)
    assert ack["response_type"] == "ephemeral"
    assert problem in ack["text"] and f"Usage: {usage}" in ack["text"]
    assert len(ack["text"]) < 300  # the number is not echoed in full
    assert response.ack_errors == []
    assert harness.fake.calls == []  # answered in the ack alone


def test_a_key_of_thousands_of_digits_is_not_found(harness: Harness, lead: InProcessDriver) -> None:
    harness.add_item("Flaky data ingestion")
    response = lead.slash(text=f"show DEBT-{THOUSANDS}")
    assert response.status == 200, response
    assert response.ack_errors == []
    told = "\n".join(harness.told(LEAD))
    assert "Something went wrong" not in told
