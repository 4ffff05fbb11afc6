"""The digest's "Return on debt work" section, from hand-written rows to what a reader sees:
verdict lines, one line for a fix without data, the faded fixes, the totals, Slack's limits
and mrkdwn escaping."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from bot.core.blocktext import blocks_to_text
from bot.core.digest import DigestInputs, assemble
from bot.core.digest_model import RoiMetric, RoiRow
from bot.core.follow_through import Fade
from bot.core.roi import Effect
from bot.core.roi_section import MAX_ROI_LINES, roi_section
from bot.sandbox.blockkit import validate_message
from bot.slack.digest_views import digest_message
from tests.factories import digest_template

WEEK = date(2026, 11, 16)
PAIN = RoiMetric("pain", "DEBT-12", "1-5", "lower", "improved", Effect(-1.64, -2.55, -0.72, "its"))
HOURS = RoiMetric(
    "hours_lost_per_person",
    "DEBT-12",
    "hours",
    "lower",
    "improved",
    Effect(-2.1, -3.0, -1.2, "its"),
)
CYCLE = RoiMetric(
    "feature_cycle_time_hours",
    "ingest",
    "hours",
    "lower",
    "no_change",
    Effect(-1.0, -5.0, 3.0, "did"),
)
INCIDENTS = RoiMetric(
    "incidents", "DEBT-7", "per_week", "lower", "worse", Effect(0.8, 0.2, 1.4, "its")
)
SHORT = RoiMetric(
    "pain",
    "DEBT-9",
    "1-5",
    "lower",
    "insufficient_data",
    None,
    why="insufficient data: 1 week with a value after the fix (2 needed)",
)
FIXED = RoiRow(
    "DEBT-12",
    "Flaky data ingestion",
    date(2026, 9, 2),
    3.0,
    [PAIN, HOURS, CYCLE],
    hours_saved_per_week=(12.6, 7.2, 18.0),
    money_saved_per_week=1197.0,
    payback_weeks=1.9,
    currency="EUR",
)
WORSE = RoiRow("DEBT-7", "Alert routing", date(2026, 10, 1), None, [INCIDENTS])
TOO_SOON = RoiRow("DEBT-9", "Notebook copies", date(2026, 11, 4), 1.5, [SHORT])


def text_of(rows: Sequence[RoiRow], sections: Mapping[str, bool] | None = None) -> str:
    inputs = DigestInputs(
        template=digest_template(sections=sections),
        week=WEEK,
        items=[],
        weeks=[],
        weekly_pain={},
        roi=rows,
    )
    message = digest_message(assemble(inputs))
    assert validate_message(message) == []
    return blocks_to_text(message["blocks"])


def test_the_section_as_the_team_reads_it() -> None:
    text = text_of([TOO_SOON, WORSE, FIXED])
    lines = text.splitlines()
    start = lines.index(
        "Return on debt work — fixes of the last 13 weeks, against what each measure would "
        "have done without them (90 % intervals)"
    )
    assert lines[start + 1 : start + 5] == [
        "📈 DEBT-12 Flaky data ingestion — resolved Sep 02, 3 days of effort: improved pain "
        "-1.64 (90 %: -2.55 to -0.72); hours lost per person -2.10 h (90 %: -3.00 to -1.20); "
        "no clear change in feature cycle time hours (ingest). 12.6 h saved a week "
        "(90 %: 7.2 to 18.0), 1,197 EUR a week; pays back in 1.9 weeks.",
        "📉 DEBT-7 Alert routing — resolved Oct 01: worse incidents +0.80 a week "
        "(90 %: +0.20 to +1.40).",
        "⏳ DEBT-9 Notebook copies — resolved Nov 04: insufficient data yet — pain: 1 week with "
        "a value after the fix (2 needed).",
        "Total: 3 fixes, 4.5 days of effort recorded; 12.6 h saved a week (1,197 EUR), "
        "measured on 1 of them.",
    ]


def test_a_faded_fix_is_flagged_with_the_command_to_reopen_it() -> None:
    fade = Fade(before=3.9, after=2.1, recent=3.8, noise=0.3, recent_weeks=3)
    faded = RoiRow(
        "DEBT-12",
        "Flaky data ingestion",
        date(2026, 8, 12),
        2.0,
        [
            RoiMetric(
                "pain",
                "DEBT-12",
                "1-5",
                "lower",
                "no_change",
                Effect(-0.4, -1.2, 0.4, "its"),
                fade=fade,
            )
        ],
    )
    text = text_of([faded])
    assert (
        "⚠️ DEBT-12 Flaky data ingestion: pain is back near its level before the fix "
        "(3.90 before, 2.10 after, 3.80 in the last 3 weeks). Reopen it? "
        "/debt status DEBT-12 open why…"
    ) in text
    assert (
        "➖ DEBT-12 Flaky data ingestion — resolved Aug 12, 2 days of effort: "
        "no clear change in pain."
    ) in text


def test_a_fade_in_a_shared_measure_is_not_the_items() -> None:
    """The component's or the team's numbers move with everything else done there."""
    fade = Fade(before=9.0, after=5.0, recent=9.0, noise=0.5, recent_weeks=3)
    shared = RoiMetric("mttr_hours", "team", "hours", "lower", "no_change", None, fade=fade)
    section = roi_section([RoiRow("DEBT-3", "x", date(2026, 9, 1), None, [shared])], 13)
    assert section.fading == ()


def test_no_fix_in_the_window_no_section() -> None:
    assert "Return on debt work" not in text_of([])


def test_switched_off_the_section_is_none() -> None:
    inputs = DigestInputs(
        template=digest_template(sections={"roi": False}),
        week=WEEK,
        items=[],
        weeks=[],
        weekly_pain={},
        roi=[FIXED],
    )
    content = assemble(inputs)
    assert content.roi is None
    assert "Return on debt work" not in blocks_to_text(digest_message(content)["blocks"])


def test_thirty_fixes_stay_within_slacks_limits() -> None:
    long_title = "Very long title " + "x" * 180
    rows = [
        RoiRow(f"DEBT-{n}", long_title, date(2026, 9, 1), 1.0, [PAIN, HOURS, CYCLE, INCIDENTS])
        for n in range(30)
    ]
    text = text_of(rows)  # validated against Block Kit's rules on the way
    assert text.count("📈 DEBT-") + text.count("↕️ DEBT-") == MAX_ROI_LINES
    assert "and 20 more: /debt roi KEY for any of them" in text
    assert "Total: 30 fixes, 30 days of effort recorded" in text


def test_titles_and_scopes_are_escaped() -> None:
    nasty = RoiMetric(
        "feature_cycle_time_hours",
        "<!channel> & co",
        "hours",
        "lower",
        "improved",
        Effect(-1, -2, -0.5, "did"),
    )
    row = RoiRow("DEBT-1", "Fix <script> & *bold*", date(2026, 9, 1), None, [nasty])
    inputs = DigestInputs(
        template=digest_template(),
        week=WEEK,
        items=[],
        weeks=[],
        weekly_pain={},
        roi=[row],
    )
    shown = str(digest_message(assemble(inputs))["blocks"])
    assert "Fix &lt;script&gt; &amp; *bold*" in shown
    assert "(&lt;!channel&gt; &amp; co)" in shown
    assert "<!channel>" not in shown
