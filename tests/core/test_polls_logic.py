"""Pure poll logic: sampling rotation and the closing summary's suppression."""

from __future__ import annotations

from collections import Counter

from bot.core.polls import closing_summary, sample_items

ITEMS = [{"id": n, "key": f"DEBT-{n}", "title": f"Item {n}"} for n in range(1, 9)]
FROZEN = {"questions": [{"id": "pain", "type": "likert", "items": ITEMS}]}


def test_sampling_rotates_and_covers_every_item() -> None:
    people = [f"U{n:03d}" for n in range(20)]
    asked = Counter(
        item["id"] for p in people for item in sample_items(ITEMS, n=3, user=p, run_id=1)
    )
    assert set(asked) == {item["id"] for item in ITEMS}  # every item gets answers
    one = [i["id"] for i in sample_items(ITEMS, n=3, user="U001", run_id=1)]
    two = [i["id"] for i in sample_items(ITEMS, n=3, user="U001", run_id=2)]
    assert len(one) == len(set(one)) == 3 and one != two  # a new subset next run
    assert sample_items(ITEMS, n=None, user="U001", run_id=1) == ITEMS


def test_summary_hides_items_under_the_minimum_group() -> None:
    results = {1: (7, 4.2), 2: (4, 4.9), 3: (5, 2.0)}
    previous = {1: (6, 3.7), 3: (3, 4.0)}
    lines = closing_summary(FROZEN, results=results, previous=previous, min_group=5)
    texts = [line.text(5) for line in lines]
    assert texts[0] == "*DEBT-1* Item 1: mean pain 4.2 from 7 (+0.5 since last run)"
    assert "*DEBT-3* Item 3: mean pain 2.0 from 5" in texts  # no change: last run was too small
    hidden = next(t for t in texts if t.startswith("*DEBT-2*"))
    assert hidden == "*DEBT-2* Item 2: fewer than 5 answers"
    assert "4.9" not in " ".join(texts) and "4 " not in hidden
