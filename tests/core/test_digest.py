"""The weekly digest's assembly (``bot.core.digest``) on small hand-written weeks.

No database: every input is written out here, so each test says what a reader would see.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.blocktext import blocks_to_text
from bot.core.digest import (
    MAX_MOVERS,
    DigestContent,
    DigestInputs,
    ItemRow,
    PainTally,
    PreviousRow,
    ResolvedRow,
    RunFigures,
    assemble,
    capacity,
    movers,
    participation,
    resolved,
    sparkline,
    split,
)
from bot.core.digest_model import RoiMetric, RoiRow
from bot.core.priority import ScoreBreakdown
from bot.core.roi import Effect
from bot.core.score_settings import COMPONENTS
from bot.core.weights_file import Capacity
from bot.services.register import command_reason, stated_why
from bot.slack.digest_views import digest_message
from surveys import Digest
from surveys.schema import DigestSections
from tests.factories import digest_template

WEEK = date(2026, 11, 16)
PREVIOUS_WEEK = WEEK - timedelta(weeks=1)
WEEKS = [WEEK - timedelta(weeks=3 - i) for i in range(4)]
AS_OF = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
SECTIONS = tuple(DigestSections.model_fields)


def template(top: int = 10, sections: Mapping[str, bool] | None = None) -> Digest:
    return digest_template(top, sections, title="Weekly debt digest", timezone="UTC")


def row(
    rank: int,
    key: str,
    *,
    risk: float = 20.0,
    pain: float = 12.5,
    breadth: float = 6.0,
    trend: float = 0.0,
    signals: float = 0.0,
    floor: float = 0.0,
    n: int | None = 8,
    category: str = "operational",
    owner: str | None = "U0OWNER01",
    effort: str | None = "M",
    title: str | None = None,
) -> ItemRow:
    """An open item ranked ``rank``; its components add up to its score. ``n=None``: suppressed."""
    components = {
        "risk": risk,
        "severity_floor": floor,
        "pain": pain,
        "breadth": breadth,
        "trend": trend,
        "signals": signals,
    }
    suppressed = n is None
    breakdown = ScoreBreakdown(
        key=key,
        score=math.fsum(components.values()),
        components=components,
        as_of=AS_OF,
        settings_version="default-0a1b2c3d",
        title=title or f"Debt item {key}",
        category=category,
        suppressed=suppressed,
        min_group=5,
        n_respondents=n,
        factors={"trend": trend / 10},
        pain_mean=None if suppressed else 1 + 4 * pain / 25,
    )
    return ItemRow(rank, breakdown, category, owner, effort)


def inputs(
    items: Sequence[ItemRow],
    *,
    top: int = 10,
    sections: Mapping[str, bool] | None = None,
    previous: Mapping[str, PreviousRow] | None = None,
    previous_week: date | None = PREVIOUS_WEEK,
    weekly_pain: Mapping[str, Sequence[PainTally]] | None = None,
    runs: Sequence[RunFigures] = (),
    resolved_rows: Sequence[ResolvedRow] = (),
    budget: Capacity | None = None,
    roi_rows: Sequence[RoiRow] = (),
) -> DigestInputs:
    return DigestInputs(
        template=template(top, sections),
        week=WEEK,
        items=items,
        weeks=WEEKS,
        weekly_pain=weekly_pain or {},
        previous=previous or {},
        previous_week=previous_week,
        runs=runs,
        resolved=resolved_rows,
        capacity=budget or Capacity(),
        min_group=5,
        roi=roi_rows,
    )


def week_of(*means: float | None, respondents: int = 8) -> list[PainTally]:
    return [
        PainTally()
        if m is None
        else PainTally(answers=respondents, total=m * respondents, respondents=respondents)
        for m in means
    ]


def was(item: ItemRow, rank: int, **changed: float) -> PreviousRow:
    """``item`` in last week's snapshot at ``rank``: its components but for ``changed``."""
    components = {**item.breakdown.shown().components, **changed}
    return PreviousRow(rank, math.fsum(components.values()), components)


def rendered(content: DigestContent) -> str:
    return blocks_to_text(digest_message(content)["blocks"])


# -- the ranking -----------------------------------------------------------------------------


def test_top_items_are_in_rank_order_and_cut_at_top() -> None:
    items = [row(rank, f"DEBT-{rank}", risk=40.0 - rank) for rank in (7, 2, 5, 1, 3, 6, 4)]
    content = assemble(inputs(items, top=5))

    assert content.top is not None
    assert [item.rank for item in content.top] == [1, 2, 3, 4, 5]
    assert [item.key for item in content.top] == ["DEBT-1", "DEBT-2", "DEBT-3", "DEBT-4", "DEBT-5"]
    assert content.open_items == 7
    text = rendered(content)
    assert "What to fix next — top 5" in text
    assert "5. DEBT-5 · Debt item DEBT-5   53.5 →" in text
    assert "DEBT-6" not in text.split("────")[0]


def test_a_top_item_reads_its_score_reasons_and_people() -> None:
    item = row(1, "DEBT-1", risk=24.5, pain=18.2, breadth=9.0, trend=3.0, signals=4.3, n=12)
    (top,) = assemble(inputs([item])).top or ()

    assert (top.score, top.arrow, top.respondents) == (59.0, "↑", "12 people")
    assert top.reasons == "risk 24.5, pain 18.2"
    assert top.owner == "U0OWNER01" and not top.suppressed


# -- sparklines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 3, 5, None], "▁▅█·"),
        ([1.0, 2.0, 3.0, 4.0, 5.0], "▁▃▅▆█"),
        ([0.0, -3.0, 9.0, 5.5], "▁▁██"),  # clamped to 1..5
        ([3.0], "▅"),  # a single week
        ([None, float("nan"), float("inf")], "···"),
        ([], ""),
    ],
)
def test_sparkline(values: list[float | None], expected: str) -> None:
    assert sparkline(values) == expected


def test_an_items_sparkline_has_a_gap_for_each_week_under_the_threshold() -> None:
    pain = {
        "DEBT-1": [*week_of(2.0, None), *week_of(4.0, respondents=4), *week_of(5.0)],
        "DEBT-2": week_of(3.0),  # a single week with answers
        "DEBT-3": week_of(4.0, 4.0, respondents=3),  # never enough people: no sparkline
    }
    items = [row(1, "DEBT-1"), row(2, "DEBT-2"), row(3, "DEBT-3")]
    top = assemble(inputs(items, weekly_pain=pain)).top or ()

    assert [item.sparkline for item in top] == ["▃··█", "▅", ""]
    text = rendered(assemble(inputs(items, weekly_pain=pain)))
    assert "8 people · pain ▃··█" in text


# -- movers ----------------------------------------------------------------------------------


def test_movers_new_up_and_down_with_what_moved_most() -> None:
    a = row(1, "DEBT-1", risk=36.0)  # was #3: up by 2, not a mover
    b = row(2, "DEBT-2", risk=28.0, pain=16.2, signals=4.0)  # was #14: new in the top 10
    c = row(3, "DEBT-3", risk=33.0)  # was #1: down by 2, not a mover
    d = row(4, "DEBT-4", risk=31.0)  # not ranked last week: a new item
    e = row(5, "DEBT-5", risk=22.0, signals=6.0)  # was #8: up by 3
    f = row(6, "DEBT-6", risk=18.5, trend=-1.0)  # was #2: down by 4
    g = row(12, "DEBT-12", risk=5.0)  # was #9: down by 3, out of the top 10
    h = row(15, "DEBT-15", risk=2.0)  # was #20: up by 5, but outside the top 10
    previous = {
        "DEBT-1": was(a, 3),
        "DEBT-2": was(b, 14, pain=10.0, signals=2.0),
        "DEBT-3": was(c, 1),
        "DEBT-5": was(e, 8, signals=2.0),
        "DEBT-6": was(f, 2, risk=24.0, trend=0.5),
        "DEBT-12": was(g, 9, risk=9.0),
        "DEBT-15": was(h, 20),
    }
    found = movers(inputs([a, b, c, d, e, f, g, h], previous=previous))

    assert [(m.key, m.kind, m.previous_rank, m.rank, m.because) for m in found] == [
        ("DEBT-2", "new", 14, 2, "pain +6.2"),
        ("DEBT-4", "new", None, 4, "first ranked this week"),
        ("DEBT-6", "down", 2, 6, "risk -5.5"),
        ("DEBT-5", "up", 8, 5, "signals +4.0"),
        ("DEBT-12", "down", 9, 12, "risk -4.0"),
    ]


def test_movers_read_as_sentences() -> None:
    a = row(1, "DEBT-1", pain=19.0, title="Flaky ingestion")
    b = row(2, "DEBT-2", title="Manual deploys")
    c = row(3, "DEBT-3", title="No drift monitoring")
    d = row(4, "DEBT-4", title="Copy-paste notebooks", risk=10.0)
    previous = {"DEBT-1": was(a, 12, pain=11.0), "DEBT-4": was(d, 1, risk=26.0)}
    text = rendered(assemble(inputs([a, b, c, d], top=3, previous=previous)))

    assert "What moved since Nov 09\n" in text
    assert "🆕 DEBT-1 Flaky ingestion is new in the top 3 at #1 (was #12) — pain +8" in text
    assert "🆕 DEBT-2 Manual deploys is new in the top 3 at #2 — first ranked this week" in text
    assert "⬇️ DEBT-4 Copy-paste notebooks: #1 → #4 — risk -16" in text


def test_nothing_moves_without_a_previous_week() -> None:
    a, b = row(1, "DEBT-1"), row(2, "DEBT-2")
    week = inputs([a, b], previous={"DEBT-1": was(a, 9)}, previous_week=None)
    content = assemble(week)

    assert movers(week) == ()
    assert content.movers == ()
    assert "What moved" not in rendered(content)


def test_a_quiet_week_says_nothing_moved() -> None:
    a, b = row(1, "DEBT-1"), row(2, "DEBT-2")
    content = assemble(inputs([a, b], previous={"DEBT-1": was(a, 2), "DEBT-2": was(b, 1)}))

    assert content.movers == ()
    assert "What moved since Nov 09\nNothing moved by 3 ranks or more." in rendered(content)


def test_at_most_eight_movers_new_ones_first_then_the_largest() -> None:
    items = [row(rank, f"DEBT-{rank}", risk=40.0 - rank) for rank in range(1, 13)]
    # last week's order was the reverse: DEBT-1 was #12 ... DEBT-12 was #1
    previous = {item.breakdown.key: was(item, 13 - item.rank) for item in items}
    found = movers(inputs(items, previous=previous))

    assert len(found) == MAX_MOVERS == 8
    assert [(m.key, m.kind) for m in found] == [
        ("DEBT-1", "new"),  # #12 → #1
        ("DEBT-2", "new"),  # #11 → #2
        ("DEBT-12", "down"),  # #1 → #12: 11 ranks, out of the top 10
        ("DEBT-11", "down"),  # #2 → #11: 9 ranks
        ("DEBT-3", "up"),  # #10 → #3: 7 ranks (the higher rank first)
        ("DEBT-10", "down"),  # #3 → #10: 7 ranks
        ("DEBT-4", "up"),  # 5 ranks
        ("DEBT-9", "down"),
    ]  # left out: DEBT-5 and DEBT-8 (3 ranks each)


# -- participation ---------------------------------------------------------------------------


def run(survey: str, weeks_ago: int, respondents: int, audience: int | None) -> RunFigures:
    title = {"pain": "Weekly pain check", "retro": "Retro pulse"}.get(survey, survey)
    return RunFigures(survey, title, MONDAY - timedelta(weeks=weeks_ago), respondents, audience)


def test_participation_rate_change_in_points() -> None:
    lines = participation([run("pain", 1, 12, 20), run("pain", 0, 15, 20)])

    assert [(p.respondents, p.audience, p.rate, p.change, p.warning) for p in lines] == [
        (15, 20, 0.75, "+15 points", False)
    ]


def test_participation_warns_on_a_ten_point_drop() -> None:
    (ten,) = participation([run("pain", 0, 14, 20), run("pain", 1, 16, 20)])
    (nine,) = participation([run("pain", 0, 61, 100), run("pain", 1, 70, 100)])
    (one_point,) = participation([run("pain", 0, 69, 100), run("pain", 1, 70, 100)])

    assert (ten.change, ten.warning) == ("-10 points", True)
    assert (nine.change, nine.warning) == ("-9 points", False)
    assert (one_point.change, one_point.warning) == ("-1 point", False)


def test_a_drop_shown_as_ten_points_always_warns() -> None:
    (p,) = participation([run("pain", 0, 176, 250), run("pain", 1, 200, 250)])  # 9.6 points

    assert (p.change, p.warning) == ("-10 points", True)


def test_participation_warns_on_two_drops_in_a_row() -> None:
    runs = [run("pain", 2, 18, 20), run("pain", 1, 17, 20), run("pain", 0, 16, 20)]
    (p,) = participation(runs)

    assert (p.change, p.warning) == ("-5 points", True)
    # falling by less than a shown point is "no change", and no warning either
    slow = [run("pain", 2, 700, 1000), run("pain", 1, 699, 1000), run("pain", 0, 698, 1000)]
    (tiny,) = participation(slow)
    assert (tiny.change, tiny.warning) == ("no change", False)
    # a drop after a rise is not "two in a row"
    bounce_runs = [run("pain", 2, 15, 20), run("pain", 1, 17, 20), run("pain", 0, 16, 20)]
    (bounce,) = participation(bounce_runs)
    assert (bounce.change, bounce.warning) == ("-5 points", False)


def test_participation_counts_only_when_the_audience_is_unknown() -> None:
    (fell,) = participation([run("chan", 1, 10, None), run("chan", 0, 7, None)])
    (held,) = participation([run("chan", 1, 10, None), run("chan", 0, 9, None)])
    (first,) = participation([run("chan", 0, 9, None)])

    assert (fell.rate, fell.change, fell.warning) == (None, "-3 people", True)
    assert (held.change, held.warning) == ("-1 person", False)
    assert (first.change, first.warning) == ("", False)


def test_participation_reads_per_survey() -> None:
    runs = [
        run("retro", 0, 10, 12),
        run("retro", 2, 9, 12),
        run("pain", 0, 11, 18),
        run("pain", 1, 13, 18),
        run("pain", 2, 15, 18),
        run("chan", 0, 7, None),
    ]
    content = assemble(inputs([row(1, "DEBT-1")], runs=runs))

    assert [p.survey_id for p in content.participation or ()] == ["chan", "pain", "retro"]
    assert content.fatigue
    text = rendered(content)
    assert "• chan: 7 answered\n" in text
    assert "• Weekly pain check: 11 of 18 answered (61%), -11 points since the run before ⚠️" in text
    assert "• Retro pulse: 10 of 12 answered (83%), +8 points since the run before" in text
    assert text.count("survey fatigue?") == 1


def test_no_runs_yet() -> None:
    content = assemble(inputs([row(1, "DEBT-1")]))

    assert content.participation == () and not content.fatigue
    assert rendered(content).endswith("Who answered\nNo poll runs yet.")


# -- you said, we did ------------------------------------------------------------------------


def resolved_row(key: str, day: int, before: PainTally, after: PainTally) -> ResolvedRow:
    at = datetime(2026, 11, day, 14, 0, tzinfo=UTC)
    return ResolvedRow(key, f"Resolved item {key}", "operational", at, before, after)


def test_resolved_items_show_pain_before_and_after() -> None:
    rows = [
        resolved_row("DEBT-8", 13, PainTally(20, 66.0, 9), PainTally(6, 9.0, 6)),
        resolved_row("DEBT-2", 12, PainTally(21, 81.9, 12), PainTally()),
        resolved_row("DEBT-5", 14, PainTally(), PainTally(3, 13.0, 3)),
    ]
    found = resolved(rows, min_group=5)

    assert [(r.key, r.resolved_on, r.before, r.after) for r in found] == [
        ("DEBT-2", date(2026, 11, 12), "3.9/5 from 12 people", "no answers yet"),
        ("DEBT-8", date(2026, 11, 13), "3.3/5 from 9 people", "1.5/5 from 6 people"),
        ("DEBT-5", date(2026, 11, 14), "no answers", "fewer than 5 people"),
    ]


def test_a_resolved_item_says_why_when_the_lead_said_so() -> None:
    """`/debt status DEBT-4 resolved fixed by <PR 412> & a test`: the words, escaped."""
    why = stated_why(command_reason("/debt status", "fixed by <PR 412> & a test"))
    rows = [
        dataclasses.replace(resolved_row("DEBT-4", 12, PainTally(), PainTally()), why=why),
        resolved_row("DEBT-6", 13, PainTally(), PainTally()),  # resolved without a reason
    ]
    message = digest_message(assemble(inputs([row(1, "DEBT-1")], resolved_rows=rows)))
    assert "(fixed by &lt;PR 412&gt; &amp; a test)" in json.dumps(message["blocks"])
    lines = [line for line in blocks_to_text(message["blocks"]).splitlines() if "✅" in line]
    assert lines == [
        "✅ DEBT-4 Resolved item DEBT-4 — resolved Nov 12 (fixed by <PR 412> & a test). Pain "
        "before: no answers; after: no answers yet.",
        "✅ DEBT-6 Resolved item DEBT-6 — resolved Nov 13. Pain before: no answers; after: no "
        "answers yet.",
    ]
    # only the words a lead gave with a /debt command are shown, never other sources
    assert stated_why("/debt status") == ""
    assert stated_why("debt import reg.csv: bulk update") == ""


def test_resolved_pain_under_the_threshold_never_shows_its_numbers() -> None:
    # 12 answers from 4 people, mean 4.7: neither the mean nor the count may be shown
    rows = [resolved_row("DEBT-3", 12, PainTally(12, 56.4, 4), PainTally(2, 9.0, 2))]
    content = assemble(inputs([row(1, "DEBT-1")], resolved_rows=rows))

    assert [(r.before, r.after) for r in content.resolved or ()] == [
        ("fewer than 5 people", "fewer than 5 people")
    ]
    text = rendered(content)
    line = next(line for line in text.splitlines() if "DEBT-3" in line)
    assert line == (
        "✅ DEBT-3 Resolved item DEBT-3 — resolved Nov 12. "
        "Pain before: fewer than 5 people; after: fewer than 5 people."
    )
    assert "4.7" not in text and "4.5" not in text and "4 people" not in text


# -- suppression -----------------------------------------------------------------------------


def test_a_suppressed_item_shows_no_numbers_of_its_answers() -> None:
    hidden = row(
        2,
        "DEBT-7",
        risk=21.7,
        pain=12.5,  # the team's prior, not this item's answers
        breadth=4.5,
        signals=1.2,
        n=None,
        title="GPU quota alerts go nowhere",
    )
    shown = row(1, "DEBT-1", risk=25.0, pain=17.0, trend=2.5, n=9)
    # three people answered 4.6 on average each week: too few to show
    pain = {"DEBT-7": week_of(4.6, 4.6, 4.6, 4.6, respondents=3), "DEBT-1": week_of(3, 3, 4, 4)}
    previous = {"DEBT-7": was(hidden, 6), "DEBT-1": was(shown, 1)}
    content = assemble(inputs([shown, hidden], weekly_pain=pain, previous=previous))

    item = (content.top or ())[1]
    assert (item.key, item.suppressed) == ("DEBT-7", True)
    assert (item.respondents, item.sparkline, item.arrow) == ("fewer than 5 people", "", "")

    blocks = digest_message(content)["blocks"]
    text = blocks_to_text(blocks)
    lines = text.splitlines()
    at = lines.index("2. DEBT-7 · GPU quota alerts go nowhere   39.9")  # no arrow
    assert lines[at + 1] == "operational · @U0OWNER01 · fewer than 5 people"  # no sparkline
    for secret in ("4.6", "3 people", "3 answers", "n = 3"):
        assert secret not in text
    raw = "".join(str(block) for block in blocks)
    assert "4.6" not in raw and "3 people" not in raw
    # the item next to it does show its own
    assert "1. DEBT-1 · Debt item DEBT-1   50.5 ↑" in lines
    assert "operational · @U0OWNER01 · 9 people · pain ▅▅▆▆" in lines


def test_a_suppressed_breakdown_cannot_hold_a_count() -> None:
    with pytest.raises(ValueError, match="suppressed"):
        ScoreBreakdown(
            key="DEBT-1",
            score=0.0,
            components=dict.fromkeys(COMPONENTS, 0.0),
            as_of=AS_OF,
            settings_version="default-0a1b2c3d",
            suppressed=True,
            n_respondents=3,
        )


# -- capacity --------------------------------------------------------------------------------


def test_capacity_picks_the_highest_total_score_that_fits() -> None:
    items = [
        row(1, "DEBT-1", risk=40.0, pain=15.0, breadth=5.0, effort="L"),  # 60, 8 points
        row(2, "DEBT-2", risk=35.0, pain=10.0, breadth=5.0, effort="huge"),  # 50, invalid
        row(3, "DEBT-3", risk=25.0, pain=10.0, breadth=5.0, effort="M"),  # 40, 3 points
        row(4, "DEBT-4", risk=20.0, pain=10.0, breadth=5.0, effort="M"),  # 35, 3 points
        row(5, "DEBT-5", risk=15.0, pain=10.0, breadth=5.0, effort="s"),  # 30, 1 point
        row(6, "DEBT-6", risk=10.0, pain=10.0, breadth=5.0, effort="1"),  # 25, 1 point
        row(7, "DEBT-7", risk=5.0, pain=10.0, breadth=5.0, effort=None),  # 20, no estimate
        row(8, "DEBT-8", risk=1.0, pain=5.0, breadth=4.0, effort="2.25"),  # 10, invalid
    ]
    week = inputs(items, budget=Capacity(sprint_points=20, debt_share=0.25))  # 5 points
    cap = capacity(week)

    assert cap.budget_points == 5.0
    assert [(c.rank, c.key, c.effort, c.score) for c in cap.chosen] == [
        (3, "DEBT-3", "M", 40.0),
        (5, "DEBT-5", "s", 30.0),
        (6, "DEBT-6", "1", 25.0),
    ]
    assert (cap.total_score, cap.total_effort) == (95.0, 5.0)
    assert cap.unestimated == ("DEBT-2", "DEBT-7", "DEBT-8")  # highest-ranked first

    text = rendered(assemble(week))
    assert "Fits this sprint's debt budget (5 points)\n" in text
    assert "DEBT-3 (M), DEBT-5 (s), DEBT-6 (1) — score 95.0 for 5 points\n" in text
    assert "No usable estimate yet: DEBT-2, DEBT-7, DEBT-8\n" in text


def test_capacity_names_the_ten_highest_ranked_items_without_an_estimate() -> None:
    items = [row(n, f"DEBT-{n}", effort=None if n > 1 else "S") for n in range(1, 301)]
    week = inputs(items, budget=Capacity(sprint_points=10, debt_share=0.2))
    text = rendered(assemble(week))

    first_ten = ", ".join(f"DEBT-{n}" for n in range(2, 12))
    assert f"No usable estimate yet: {first_ten} and 289 more\n" in text
    assert "DEBT-12," not in text.split("No usable estimate yet")[1].split("\n")[0]


def test_capacity_when_nothing_fits() -> None:
    items = [row(1, "DEBT-1", effort="XL"), row(2, "DEBT-2", effort=None)]
    cap = capacity(inputs(items, budget=Capacity(sprint_points=10, debt_share=0.2)))

    assert (cap.chosen, cap.total_score, cap.total_effort) == ((), 0.0, 0.0)
    assert cap.unestimated == ("DEBT-2",)
    text = rendered(assemble(inputs(items, budget=Capacity(sprint_points=10, debt_share=0.2))))
    xl = Capacity().effort_points["XL"]
    assert f"Nothing estimated fits the budget: the smallest estimate is {xl:g} points." in text


@pytest.mark.parametrize(
    ("items", "said"),
    [
        ([row(1, "DEBT-1", effort=None)], "No open item has a usable estimate yet."),
        (  # an item scoring 0 is never proposed: the hint says so instead of "does not fit"
            [row(1, "DEBT-1", risk=0.0, pain=0.0, breadth=0.0, effort="S")],
            "No estimated item scores above 0.",
        ),
    ],
)
def test_capacity_says_why_it_proposes_nothing(items: list[ItemRow], said: str) -> None:
    text = rendered(assemble(inputs(items, budget=Capacity(sprint_points=10, debt_share=0.2))))
    assert said in text
    assert "Nothing estimated fits" not in text


# -- the split and the unowned ---------------------------------------------------------------


def test_split_shares_sum_to_one() -> None:
    items = [
        row(1, "DEBT-1", risk=30.0, category="experimentation"),
        row(2, "DEBT-2", risk=25.0),
        row(3, "DEBT-3", risk=21.0, category="experimentation"),
        row(4, "DEBT-4", risk=12.0),
        row(5, "DEBT-5", risk=3.0),
    ]
    lines = split(items)

    assert [(s.category, s.items, s.top_key) for s in lines] == [
        ("operational", 3, "DEBT-2"),
        ("experimentation", 2, "DEBT-1"),
    ]
    assert math.isclose(math.fsum(s.score_share for s in lines), 1.0)
    assert math.isclose(lines[1].score_share, (48.5 + 39.5) / 183.5)
    text = rendered(assemble(inputs(items)))
    assert "operational: 3 items, 52% of the score (top: DEBT-2)" in text
    assert "experimentation: 2 items, 48% of the score (top: DEBT-1)" in text


def test_split_with_one_category_only() -> None:
    lines = split([row(1, "DEBT-1")])

    assert [(s.items, s.score_share, s.top_key) for s in lines] == [
        (1, 1.0, "DEBT-1"),
        (0, 0.0, None),
    ]
    assert "experimentation: 0 items, 0% of the score\n" in rendered(
        assemble(inputs([row(1, "DEBT-1")]))
    )


def test_unowned_lists_the_highest_ranked_five_and_counts_all() -> None:
    items = [
        row(rank, f"DEBT-{rank}", owner=None if rank % 2 else "U0OWNER01") for rank in range(1, 15)
    ]
    content = assemble(inputs(items))

    assert [item.key for item in content.unowned or ()] == [
        "DEBT-1",
        "DEBT-3",
        "DEBT-5",
        "DEBT-7",
        "DEBT-9",
    ]
    assert content.unowned_total == 7
    text = rendered(content)
    assert "No owner (7 open items)\nDEBT-1 Debt item DEBT-1 (#1) · DEBT-3" in text
    assert "DEBT-9 Debt item DEBT-9 (#9) · and 2 more (/debt top)" in text
    # five or fewer: no "more"
    few = assemble(inputs(items[:6]))
    assert few.unowned_total == 3 and "more (" not in rendered(few)


# -- sections switched off -------------------------------------------------------------------

HEADINGS = {
    "top": "What to fix next",
    "movers": "What moved",
    "participation": "Who answered",
    "resolved": "You said, we did",
    "roi": "Return on debt work",
    "capacity": "debt budget",
    "unowned": "No owner (",
    "split": "Operational vs experimentation",
}


def full_week(sections: Mapping[str, bool] | None = None) -> DigestInputs:
    a = row(1, "DEBT-1", risk=30.0, owner=None, effort="S")
    b = row(2, "DEBT-2", risk=20.0, category="experimentation", effort="M")
    c = row(3, "DEBT-3", risk=10.0, effort=None)
    return inputs(
        [a, b, c],
        sections=sections,
        previous={"DEBT-1": was(a, 5), "DEBT-2": was(b, 1)},
        runs=[run("pain", 0, 8, 10), run("pain", 1, 10, 10)],
        resolved_rows=[resolved_row("DEBT-0", 12, PainTally(10, 30.0, 6), PainTally())],
        roi_rows=[
            RoiRow(
                "DEBT-9",
                "Flaky ingestion",
                date(2026, 9, 2),
                3.0,
                [
                    RoiMetric(
                        "pain",
                        "DEBT-9",
                        "1-5",
                        "lower",
                        "improved",
                        Effect(-1.2, -1.9, -0.5, "its"),
                    )
                ],
            )
        ],
    )


def test_every_section_is_there_when_all_are_on() -> None:
    content = assemble(full_week())
    text = rendered(content)

    for name, heading in HEADINGS.items():
        assert getattr(content, name) is not None, name
        assert heading in text, name


@pytest.mark.parametrize("off", SECTIONS)
def test_a_section_switched_off_is_none_and_not_rendered(off: str) -> None:
    content = assemble(full_week({off: False}))
    text = rendered(content)

    assert getattr(content, off) is None
    assert HEADINGS[off] not in text
    for name in set(SECTIONS) - {off}:
        assert getattr(content, name) is not None, name
        assert HEADINGS[name] in text, name


def test_only_one_section_on() -> None:
    content = assemble(full_week({name: name == "capacity" for name in SECTIONS}))

    assert [name for name in SECTIONS if getattr(content, name) is not None] == ["capacity"]
    text = rendered(content)
    assert [heading for heading in HEADINGS.values() if heading in text] == ["debt budget"]


def test_assembly_is_pure() -> None:
    week = full_week()
    assert assemble(week) == assemble(dataclasses.replace(week))
