"""Pure poll logic: sampling rotation and the closing summary's suppression."""

from __future__ import annotations

from collections import Counter

from bot.core.polls import run_summary, sample_items, shows_live_results

ITEMS = [{"id": n, "key": f"DEBT-{n}", "title": f"Item {n}"} for n in range(1, 9)]
SCALE = {"min": 1, "max": 5, "labels": {}}
FROZEN = {"questions": [{"id": "pain", "type": "likert", "scale": SCALE, "items": ITEMS}]}


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
    results = {("pain", 1): (7, 4.2), ("pain", 2): (4, 4.9), ("pain", 3): (5, 2.0)}
    previous = {("pain", 1): (6, 3.7), ("pain", 3): (3, 4.0)}
    lines = run_summary(FROZEN, results=results, previous=previous, min_group=5)
    texts = [line.text(5) for line in lines]
    assert texts[0] == "*DEBT-1* Item 1: mean pain 4.2 from 7 (+0.5 since last run)"
    assert "*DEBT-3* Item 3: mean pain 2.0 from 5" in texts  # no change: last run was too small
    hidden = next(t for t in texts if t.startswith("*DEBT-2*"))
    assert hidden == "*DEBT-2* Item 2: fewer than 5 answers"
    assert "4.9" not in " ".join(texts) and "4 " not in hidden


def test_summary_covers_every_scale_question_in_order() -> None:
    frozen = {
        "questions": [
            {"id": "mood", "type": "likert", "scale": SCALE, "prompt": "How was *this week*?"},
            {"id": "note", "type": "text", "scale": None, "prompt": "Anything else?"},
            {"id": "pain", "type": "likert", "scale": SCALE, "items": ITEMS[:2]},
            {"id": "ease", "type": "likert", "scale": SCALE, "items": ITEMS[:1]},
            {"id": "nps", "type": "nps", "scale": {"min": 0, "max": 10}, "prompt": "Recommend?"},
        ]
    }
    results = {
        ("mood", None): (6, 3.5),
        ("pain", 1): (5, 2.0),
        ("pain", 2): (6, 4.0),
        ("ease", 1): (5, 3.0),
        ("nps", None): (2, 9.0),
        ("note", None): (9, 0.0),  # text answers have no value and no line
    }
    previous = {("mood", None): (5, 3.0)}
    texts = [
        line.text(5)
        for line in run_summary(frozen, results=results, previous=previous, min_group=5)
    ]
    assert texts == [
        "*How was *this week*?*: mean 3.5 from 6 (+0.5 since last run)",
        "*DEBT-2* Item 2: mean pain 4.0 from 6",
        "*DEBT-1* Item 1: mean pain 2.0 from 5",
        "*DEBT-1* Item 1: mean ease 3.0 from 5",
        "*Recommend?*: fewer than 5 answers",
    ]


def test_item_titles_are_escaped_in_results() -> None:
    items = [{"id": 1, "key": "DEBT-1", "title": "<!channel> & co"}]
    frozen = {"questions": [{"id": "pain", "type": "likert", "scale": SCALE, "items": items}]}
    lines = run_summary(frozen, results={("pain", 1): (5, 3.0)}, previous={}, min_group=5)
    assert lines[0].text(5) == "*DEBT-1* &lt;!channel&gt; &amp; co: mean pain 3.0 from 5"


def test_live_results_only_for_named_surveys_that_ask_for_them() -> None:
    shown = {"results_hidden_until_close": False}
    assert shows_live_results({"anonymous": False, "definition": shown})
    assert not shows_live_results({"anonymous": True, "definition": shown})
    assert not shows_live_results({"anonymous": False, "definition": {}})


def _ids(user: str, run_id: int, secret: str | None = None) -> list[int]:
    return [i["id"] for i in sample_items(ITEMS, n=3, user=user, run_id=run_id, secret=secret)]


def test_an_anonymous_sample_names_nobody_and_links_no_runs() -> None:
    """Which items an anonymous key answered must not tell whose key it is (anyone can hash a
    user id) nor follow the person to the next run (a window moved on by n)."""
    people = [f"U{n:03d}" for n in range(40)]
    secret = "anon-secret-for-tests"
    # the same person in the same run always gets the same items: a re-answer replaces
    assert _ids("U001", 7, secret) == _ids("U001", 7, secret)
    # without the secret, the items someone was asked cannot be worked out from their id
    guessed = sum(_ids(p, 7, secret) == _ids(p, 7) for p in people)
    assert guessed <= 10, guessed  # 1 in 8 by chance: 5 of 40 expected
    # next run's items are not this run's moved on by n: no link between the two keys
    moved = sum(
        _ids(p, 8, secret) == [(i - 1 + 3) % 8 + 1 for i in _ids(p, 7, secret)] for p in people
    )
    assert moved <= 10, moved
    assert sum(_ids(p, 8) == [(i - 1 + 3) % 8 + 1 for i in _ids(p, 7)] for p in people) == 40
    # every item still gets answers
    asked = Counter(i for p in people for i in _ids(p, 7, secret))
    assert set(asked) == {item["id"] for item in ITEMS}
