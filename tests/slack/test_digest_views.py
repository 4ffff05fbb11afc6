"""The weekly digest as Block Kit: a golden week, Slack's limits, and mrkdwn escaping.

The golden files hold one realistic week of an ML platform team rendered by
``digest_message``: the blocks as JSON and the text a person reads (``blocks_to_text``).
Set ``DEBTPULSE_UPDATE_GOLDEN=1`` to rewrite them instead of comparing, then read the text.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.blocktext import blocks_to_text
from bot.core.digest import (
    DigestInputs,
    ItemRow,
    PainTally,
    PreviousRow,
    ResolvedRow,
    RunFigures,
    assemble,
)
from bot.core.priority import ScoreBreakdown
from bot.core.score_settings import COMPONENTS
from bot.core.weights_file import Capacity
from bot.sandbox.blockkit import validate_message
from bot.slack.digest_views import digest_message
from surveys import Digest
from surveys.schema import DigestSections
from tests.factories import digest_template

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
UPDATE = "DEBTPULSE_UPDATE_GOLDEN"
# read at import: the autouse fixture of tests/conftest.py clears DEBTPULSE_* variables
UPDATING = os.environ.get(UPDATE) == "1"
MIN_GROUP = 5

WEEK = date(2026, 11, 16)  # a Monday
PREVIOUS_WEEK = WEEK - timedelta(weeks=1)
SPARK_WEEKS = [WEEK - timedelta(weeks=7 - i) for i in range(8)]
AS_OF = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
SECTIONS = tuple(DigestSections.model_fields)


def template(top: int = 10, sections: Mapping[str, bool] | None = None) -> Digest:
    return digest_template(top, sections, title="ML platform debt digest", timezone="Europe/Berlin")


def breakdown(
    key: str,
    title: str,
    *,
    risk: float,
    pain: float,
    breadth: float,
    trend: float,
    signals: float,
    floor: float = 0.0,
    n: int | None = None,
    category: str = "operational",
) -> ScoreBreakdown:
    """A breakdown whose components are the weighted factors (35, 25, 15, 10, 15 points).

    ``n=None`` is a suppressed item: Pain is the team's prior, Breadth the prior, Trend 0.
    """
    components = {
        "risk": risk,
        "severity_floor": floor,
        "pain": pain,
        "breadth": breadth,
        "trend": trend,
        "signals": signals,
    }
    assert set(components) == set(COMPONENTS)
    suppressed = n is None
    return ScoreBreakdown(
        key=key,
        score=math.fsum(components.values()),
        components=components,
        as_of=AS_OF,
        settings_version="default-0a1b2c3d",
        title=title,
        category=category,
        suppressed=suppressed,
        min_group=MIN_GROUP,
        n_respondents=n,
        factors={
            "risk": (risk + floor) / 35,
            "severity_floor": float(floor > 0),
            "pain": pain / 25,
            "breadth": breadth / 15,
            "trend": trend / 10,
            "signals": signals / 15,
        },
        pain_mean=None if suppressed else 1 + 4 * pain / 25,
    )


def tallies(*means: float | None, respondents: int = 9) -> list[PainTally]:
    """One week's pain per value: ``respondents`` answers averaging it; None: no answers."""
    return [
        PainTally()
        if mean is None
        else PainTally(answers=respondents, total=mean * respondents, respondents=respondents)
        for mean in means
    ]


# -- one week of an ML platform team ---------------------------------------------------------

OWNER_ANA = "U04ANA0001"
OWNER_BEN = "U04BEN0002"


def ml_platform_week() -> DigestInputs:
    b = breakdown
    rows = [
        # rank, breakdown, owner, effort
        (
            b(
                "ML-12",
                "Flaky data ingestion from the events lake",
                risk=26.3,
                pain=19.4,
                breadth=11.2,
                trend=4.6,
                signals=9.8,
                n=14,
            ),
            OWNER_ANA,
            "M",
        ),
        (
            b(
                "ML-7",
                "Manual model deployment over SSH",
                risk=24.5,
                pain=17.9,
                breadth=10.1,
                trend=0.9,
                signals=4.4,
                n=12,
            ),
            None,
            "L",
        ),
        (
            b(
                "ML-15",
                "No drift monitoring for the ranking model",
                risk=17.5,
                floor=7.0,
                pain=14.2,
                breadth=7.5,
                trend=2.8,
                signals=6.1,
                n=9,
            ),
            "ml-platform",
            "S",
        ),
        (
            b(
                "ML-3",
                "Copy-paste training notebooks",
                risk=14.0,
                pain=18.8,
                breadth=12.0,
                trend=-1.2,
                signals=0.0,
                n=16,
                category="experimentation",
            ),
            OWNER_BEN,
            "M",
        ),
        (
            b(
                "ML-9",
                "Feature store backfills run by hand",
                risk=19.3,
                pain=13.1,
                breadth=6.4,
                trend=0.1,
                signals=3.0,
                n=8,
            ),
            None,
            None,
        ),
        (
            b(
                "ML-4",
                "No experiment tracking for offline evaluations",
                risk=15.8,
                pain=12.5,
                breadth=4.5,
                trend=0.0,
                signals=0.0,
                category="experimentation",
            ),
            OWNER_BEN,
            "S",
        ),
        (
            b(
                "ML-21",
                "Hard-coded hyperparameters in training jobs",
                risk=10.5,
                pain=14.6,
                breadth=7.9,
                trend=-2.3,
                signals=0.0,
                n=11,
                category="experimentation",
            ),
            None,
            "S",
        ),
        (
            b(
                "ML-18",
                "GPU quota alerts go to an archived channel",
                risk=13.1,
                pain=12.5,
                breadth=4.5,
                trend=0.0,
                signals=0.0,
            ),
            OWNER_ANA,
            "XS",
        ),
        (
            b(
                "ML-11",
                "Base images pinned to CUDA 11.8",
                risk=12.2,
                pain=9.6,
                breadth=3.8,
                trend=0.0,
                signals=1.5,
                n=7,
            ),
            "ml-platform",
            "2 weeks",
        ),
        (
            b(
                "ML-25",
                "Evaluation datasets are not versioned",
                risk=8.8,
                pain=10.4,
                breadth=4.1,
                trend=0.6,
                signals=0.0,
                n=6,
                category="experimentation",
            ),
            None,
            "M",
        ),
        (
            b(
                "ML-30",
                "Batch scoring jobs share one service account",
                risk=9.6,
                pain=6.7,
                breadth=2.0,
                trend=0.0,
                signals=0.0,
                n=5,
            ),
            "ml-platform",
            "S",
        ),
    ]
    ranked = sorted(rows, key=lambda row: -row[0].score)
    items = [
        ItemRow(rank, bd, bd.category or "operational", owner, effort)
        for rank, (bd, owner, effort) in enumerate(ranked, start=1)
    ]

    shown = {row.breakdown.key: row.breakdown.shown().components for row in items}

    def prev(rank: int, key: str, **changed: float) -> PreviousRow:
        """Last week's row of ``key``: this week's shown components, but for ``changed``."""
        components = {**shown[key], **changed}
        return PreviousRow(rank, round(math.fsum(components.values()), 1), components)

    previous = {
        "ML-12": prev(1, "ML-12", trend=2.4),
        "ML-7": prev(2, "ML-7", trend=0.1),
        "ML-3": prev(3, "ML-3", trend=0.6),
        # ML-21 falls from #4 to #7: the pain is easing
        "ML-21": prev(4, "ML-21", pain=17.2, trend=0.4),
        # ML-11 falls from #5 to #9: the CUDA upgrade is half done
        "ML-11": prev(5, "ML-11", risk=18.4, signals=3.0),
        "ML-4": prev(6, "ML-4"),
        # ML-15 climbs from #7 to #3: two drift incidents this month
        "ML-15": prev(7, "ML-15", signals=1.0, pain=12.9),
        "ML-18": prev(8, "ML-18"),
        # #9 was ML-2, resolved since
        "ML-30": prev(10, "ML-30"),
        # ML-9 enters the top 10 from #11: more people hit the backfills
        "ML-9": prev(11, "ML-9", pain=9.3, breadth=4.2),
    }
    # ML-25 is new this week (no previous rank)
    weekly = {
        "ML-12": tallies(3.2, 3.4, 3.3, None, 3.6, 3.9, 4.1, 4.3),
        "ML-7": tallies(3.9, 3.8, 4.0, 3.9, 3.8, 3.9, 4.0, 3.9),
        "ML-15": tallies(None, None, 2.4, 2.6, 2.9, 3.0, 3.2, 3.3),
        "ML-3": tallies(4.2, 4.1, 4.1, 4.0, 3.9, 3.9, 3.8, 3.8, respondents=12),
        "ML-9": tallies(2.1, 2.3, 2.6, 2.8, 3.0, 3.1, 3.2, 3.1, respondents=6),
        "ML-4": tallies(3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, respondents=3),
        "ML-21": tallies(3.9, 3.8, 3.6, 3.5, 3.4, 3.3, 3.2, 3.1),
        "ML-18": tallies(None, None, None, None, 4.0, 4.0, 4.5, 4.0, respondents=2),
        "ML-11": [*tallies(2.5, 2.6, 2.6, 2.5, 2.4, 2.5), *tallies(2.6, 2.5, respondents=4)],
        "ML-25": tallies(None, None, None, None, None, None, 2.9, 3.0, respondents=6),
        "ML-30": tallies(None, 2.0, None, 2.2, None, 2.1, None, 2.0, respondents=5),
    }
    monday = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
    runs = [
        # the weekly pain check: 15 of 18, then 13, then 11 — falling twice, 11 points
        RunFigures("weekly-pain", "Weekly pain check", monday, 11, 18),
        RunFigures("weekly-pain", "Weekly pain check", monday - timedelta(weeks=1), 13, 18),
        RunFigures("weekly-pain", "Weekly pain check", monday - timedelta(weeks=2), 15, 18),
        # the sprint retro pulse, every two weeks, steady
        RunFigures("retro-pulse", "Sprint retro pulse", monday - timedelta(days=3), 10, 12),
        RunFigures("retro-pulse", "Sprint retro pulse", monday - timedelta(days=17), 9, 12),
    ]
    resolved = [
        ResolvedRow(
            "ML-2",
            "Training jobs retry forever on OOM",
            "operational",
            datetime(2026, 11, 12, 15, 30, tzinfo=UTC),
            before=PainTally(answers=23, total=89.7, respondents=12),
            after=PainTally(),
        )
    ]
    return DigestInputs(
        template=template(),
        week=WEEK,
        items=items,
        weeks=SPARK_WEEKS,
        weekly_pain=weekly,
        previous=previous,
        previous_week=PREVIOUS_WEEK,
        runs=runs,
        resolved=resolved,
        capacity=Capacity(sprint_points=40, debt_share=0.15),
        min_group=MIN_GROUP,
    )


def render(inputs: DigestInputs) -> dict[str, Any]:
    return digest_message(assemble(inputs))


def test_ml_platform_week_matches_the_golden_files() -> None:
    message = render(ml_platform_week())
    as_json = json.dumps(message["blocks"], indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    as_text = blocks_to_text(message["blocks"], fallback=message["text"]) + "\n"
    json_path, text_path = GOLDEN / "digest_week.json", GOLDEN / "digest_week.txt"
    if UPDATING:
        GOLDEN.mkdir(exist_ok=True)
        json_path.write_text(as_json, encoding="utf-8")
        text_path.write_text(as_text, encoding="utf-8")
        return
    assert as_text == text_path.read_text(encoding="utf-8"), f"set {UPDATE}=1 to regenerate"
    assert as_json == json_path.read_text(encoding="utf-8"), f"set {UPDATE}=1 to regenerate"


def test_the_golden_week_is_what_the_team_would_read() -> None:
    """The few lines a reader checks first, so a regenerated golden file cannot drift silently."""
    text = blocks_to_text(render(ml_platform_week())["blocks"])
    assert "1. ML-12 · Flaky data ingestion from the events lake   71.3 ↑" in text
    assert "6. ML-4 · No experiment tracking for offline evaluations   32.8\n" in text
    assert "ML-11" in text and "11. " not in text  # cut at the top 10
    assert "⬆️ ML-15 No drift monitoring for the ranking model: #7 → #3 — signals +5.1" in text
    assert "Pain before: 3.9/5 from 12 people; after: no answers yet." in text
    assert "ML-12 (M), ML-15 (S), ML-4 (S), ML-21 (S) — score 189.9 for 6 points" in text
    assert "No usable estimate yet: ML-9, ML-11" in text
    assert "• Weekly pain check: 11 of 18 answered (61%), -11 points since the run before ⚠️" in text
    assert not any(line != line.rstrip() for line in text.splitlines())
    assert "\n\n\n" not in text


# -- Slack's limits ------------------------------------------------------------------------------


def crowded_week() -> DigestInputs:
    """40 items with 200-character titles, every one moved, 40 surveys, 30 resolved items."""
    items = []
    for i in range(1, 41):
        title = f"Item {i} " + "x" * (200 - len(f"Item {i} "))
        bd = breakdown(
            f"ML-{i}",
            title,
            risk=30 - i * 0.5,
            pain=20 - i * 0.25,
            breadth=10.0,
            trend=1.0,
            signals=5.0,
            n=6 + i,
            category="operational" if i % 3 else "experimentation",
        )
        items.append(ItemRow(i, bd, bd.category or "operational", None, "S"))
    # last week's order reversed: every item moved by at least three ranks but the middle two
    previous = {
        row.breakdown.key: PreviousRow(41 - row.rank, 50.0, {name: 1.0 for name in COMPONENTS})
        for row in items
    }
    weekly = {row.breakdown.key: tallies(*[2.0 + (i % 4) for i in range(8)]) for row in items}
    monday = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
    runs = [
        RunFigures(
            f"survey-{s:02d}",
            f"Survey number {s} " + "y" * 130,
            monday - timedelta(weeks=week),
            20 - week * 3,
            25,
        )
        for s in range(40)
        for week in range(3)
    ]
    resolved = [
        ResolvedRow(
            f"ML-{100 + r}",
            "Resolved " + "z" * 191,
            "operational",
            datetime(2026, 11, 13, 9, r, tzinfo=UTC),
            before=PainTally(answers=30, total=110.0, respondents=10),
            after=PainTally(answers=3, total=6.0, respondents=3),
        )
        for r in range(30)
    ]
    return DigestInputs(
        template=template(top=40).model_copy(update={"title": "T" * 150}),
        week=WEEK,
        items=items,
        weeks=SPARK_WEEKS,
        weekly_pain=weekly,
        previous=previous,
        previous_week=PREVIOUS_WEEK,
        runs=runs,
        resolved=resolved,
        capacity=Capacity(sprint_points=400, debt_share=0.5),
        min_group=MIN_GROUP,
    )


def _texts(block: Mapping[str, Any]) -> list[str]:
    found = [block["text"]["text"]] if isinstance(block.get("text"), Mapping) else []
    found += [element["text"] for element in block.get("elements", []) if "text" in element]
    return found + [field["text"] for field in block.get("fields", [])]


def test_a_crowded_week_stays_within_slacks_limits() -> None:
    content = assemble(crowded_week())
    assert content.top is not None and len(content.top) == 40
    assert content.movers is not None and len(content.movers) == 8
    message = digest_message(content)
    blocks: Sequence[Mapping[str, Any]] = message["blocks"]

    assert len(blocks) <= 50
    assert blocks[0]["type"] == "header" and len(blocks[0]["text"]["text"]) <= 150
    assert all(len(text) <= 3000 for block in blocks for text in _texts(block))
    assert len(message["text"]) <= 3000
    assert validate_message(message) == []
    # packed, not cut: every item of the top 40 and every survey is there in full
    text = blocks_to_text(blocks[1:])  # the header is cut at 150 characters
    assert all(f"{i}. ML-{i} · Item {i} " in text for i in range(1, 41))
    assert all(f"Survey number {s} " in text for s in range(40))
    assert "…" not in text


def test_limits_hold_for_every_section_alone() -> None:
    inputs = crowded_week()
    for name in SECTIONS:
        only = {other: other == name for other in SECTIONS}
        week = dataclasses.replace(inputs, template=template(top=40, sections=only))
        message = digest_message(assemble(week))
        assert validate_message(message) == [], name
        assert len(message["blocks"]) <= 50


# -- mrkdwn escaping -----------------------------------------------------------------------------


def test_titles_are_escaped_for_mrkdwn() -> None:
    nasty = "Fix <script> & *bold* in <!channel> notebooks"
    bd = breakdown("ML-1", nasty, risk=20, pain=15, breadth=8, trend=1, signals=2, n=7)
    inputs = DigestInputs(
        template=template(),
        week=WEEK,
        items=[ItemRow(1, bd, "experimentation", None, "M")],
        weeks=SPARK_WEEKS,
        weekly_pain={"ML-1": tallies(3, 3, 3, 3, 3, 3, 3, 3)},
        previous={},
        previous_week=PREVIOUS_WEEK,
        resolved=[
            ResolvedRow(
                "ML-0",
                "Drop <b> tags & co",
                "operational",
                datetime(2026, 11, 12, tzinfo=UTC),
                before=PainTally(),
                after=PainTally(),
            )
        ],
    )
    message = digest_message(assemble(inputs))
    dumped = json.dumps(message["blocks"], ensure_ascii=False)
    escaped = "Fix &lt;script&gt; &amp; *bold* in &lt;!channel&gt; notebooks"
    assert escaped in dumped
    assert "<script>" not in dumped and "<!channel>" not in dumped and " & " not in dumped
    assert "Drop &lt;b&gt; tags &amp; co" in dumped
    # the notification text is mrkdwn as well
    assert escaped in message["text"] and "<!channel>" not in message["text"]
    # and a reader sees the title as it was written (Slack shows *bold* in bold)
    assert "Fix <script> & bold in <!channel> notebooks" in blocks_to_text(message["blocks"])


def test_owners_read_as_mentions_or_as_the_team_names_they_are() -> None:
    rows = [
        ItemRow(
            n,
            breakdown(
                f"ML-{n}", f"Item {n}", risk=20 - n, pain=9, breadth=5, trend=0, signals=1, n=7
            ),
            "operational",
            owner,
            "S",
        )
        for n, owner in enumerate((OWNER_ANA, "WEBOPS", "UXR <!here>"), start=1)
    ]
    week = dataclasses.replace(ml_platform_week(), items=rows, previous={}, resolved=())
    text = json.dumps(render(week)["blocks"], ensure_ascii=False)
    assert f"operational · <@{OWNER_ANA}> · 7 people" in text
    assert "operational · WEBOPS · 7 people" in text
    assert "operational · UXR &lt;!here&gt; · 7 people" in text
    assert "<@WEBOPS>" not in text and "<!here>" not in text


def _suppress(row: ItemRow) -> ItemRow:
    b = row.breakdown
    return dataclasses.replace(
        row,
        breakdown=dataclasses.replace(
            b, suppressed=True, n_respondents=None, pain_mean=None, pain_interval=None
        ),
    )


def test_a_team_whose_items_are_mostly_below_the_threshold_is_told_why() -> None:
    usual = blocks_to_text(render(ml_platform_week())["blocks"])
    assert "are never shown (2 items so far)" in usual
    assert "so their pain is not shown yet" not in usual

    week = ml_platform_week()
    quiet = dataclasses.replace(week, items=[_suppress(row) for row in week.items])
    text = blocks_to_text(render(quiet)["blocks"])
    assert "are never shown (11 items so far)" in text
    assert (
        "Most items have answers from fewer than 5 people so far, so their pain is not shown "
        "yet. An item's pain shows once 5 different people have rated it, over any number of "
        "weeks." in text
    )
    assert text.count("fewer than 5 people") >= 11  # every item, and no count or mean
    assert " people · pain" not in text
