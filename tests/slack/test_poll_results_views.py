"""Results in the poll message and the closing summary: within Slack's limits, and no
number while nothing reaches the minimum group."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.core.polls import run_summary, sample_items
from bot.sandbox.blockkit import validate_message
from bot.slack.poll_views import poll_message, poll_modal, summary_message

SCALE = {"min": 1, "max": 5, "labels": {}}
ITEMS = [{"id": n, "key": f"DEBT-{n}", "title": f"{'Very long title ' * 12}{n}"} for n in range(40)]
FROZEN = {
    "title": "Team pulse",
    "anonymous": False,
    "questions": [{"id": "pain", "type": "likert", "scale": SCALE, "items": ITEMS}],
    "definition": {"results_hidden_until_close": False},
}
CLOSES = datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_forty_items_of_results_fit_a_message() -> None:
    results = {("pain", n): (6, 1 + n / 10) for n in range(40)}
    lines = run_summary(FROZEN, results=results, previous={}, min_group=5)
    for payload in (
        poll_message(
            run_id=1, frozen=FROZEN, respondents=9, closes_at=CLOSES, results=lines, min_group=5
        ),
        summary_message(frozen=FROZEN, lines=lines, respondents=9, min_group=5),
    ):
        assert validate_message(payload) == []
        shown = json.dumps(payload)
        assert "*DEBT-39*" in shown and "mean pain 4.9 from 6" in shown  # highest first, all kept


def test_no_number_before_anyone_reaches_the_minimum_group() -> None:
    results = {("pain", 1): (4, 4.5), ("pain", 2): (1, 1.0)}
    lines = run_summary(FROZEN, results=results, previous={}, min_group=5)
    payload = poll_message(
        run_id=1, frozen=FROZEN, respondents=4, closes_at=CLOSES, results=lines, min_group=5
    )
    shown = json.dumps(payload)
    assert "Results show once 5 people have answered." in shown
    assert "4.5" not in shown and "DEBT-1" not in shown
    assert validate_message(payload) == []


def test_the_answer_modal_keys_an_anonymous_sample_with_the_secret() -> None:
    items = [i | {"prompt": i["key"]} for i in ITEMS]
    question = {"id": "pain", "type": "likert", "scale": SCALE, "items": items}
    named = {"title": "Pulse", "anonymous": False, "sample": 3, "questions": [question]}
    anonymous = named | {"anonymous": True}
    people = [f"U{n:03d}" for n in range(20)]

    def asked(frozen: dict, user: str) -> list[int]:
        _, ids = poll_modal(run_id=5, frozen=frozen, user=user, channel=None, secret="s3cret")
        return ids

    # a named run rotates as before; an anonymous one is drawn with the secret
    assert all(asked(named, p) == _ids(items, p) for p in people)
    assert all(asked(anonymous, p) == _ids(items, p, "s3cret") for p in people)
    assert sum(asked(anonymous, p) != _ids(items, p) for p in people) >= 15


def _ids(items: list[dict], user: str, secret: str | None = None) -> list[int]:
    return [i["id"] for i in sample_items(items, n=3, user=user, run_id=5, secret=secret)]
