"""`/debt roi KEY`: the command as parsed, and the report's blocks within Slack's limits, with
every value from people escaped."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.core.blocktext import blocks_to_text
from bot.core.roi import analyse
from bot.sandbox.blockkit import validate_message
from bot.services.roi import Cost, ItemRoi, MetricReport
from bot.slack.parse import Command, parse
from bot.slack.roi_views import metric_line, roi_message

WEEKS = tuple(date(2026, 3, 2) + timedelta(weeks=n) for n in range(20))
SERIES = (*(4.0 + (0.2 if t % 2 else -0.2) for t in range(12)), None, *(2.0,) * 7)


def report(metrics: int = 1, caveats: int = 1, title: str = "Flaky data ingestion") -> ItemRoi:
    result = analyse(SERIES, 12, "lower")
    measured = [
        MetricReport(f"metric_{n}", "ingest & co", "hours", "lower", result, WEEKS, SERIES, 12)
        for n in range(metrics)
    ]
    return ItemRoi(
        key="DEBT-12",
        title=title,
        resolved_on=date(2026, 5, 27),
        cost=Cost(3.0, 24.0, 2280.0, "EUR"),
        metrics=tuple(measured),
        hours_saved_per_week=(12.6, 7.2, 18.0),
        money_saved_per_week=1197.0,
        payback_weeks=1.9,
        caveats=tuple(f"caveat {n} about <component> & co" for n in range(caveats)),
    )


def test_roi_takes_one_key_and_is_open_to_everyone() -> None:
    command = parse("roi debt-12")
    assert command == Command("roi", {"key": "DEBT-12"})
    assert not command.lead_only


def test_a_metric_reads_as_before_after_effect_method_and_verdict() -> None:
    metric = report().metrics[0]
    effect = metric.result.effect
    assert effect is not None
    assert metric_line(metric).splitlines() == [
        ":white_check_mark: *metric 0* · ingest &amp; co · hours, lower is better",
        f"4.00 → 2.00 (12 weeks before, 7 after) · effect {effect.estimate:.2f} h "
        f"(90 %: {effect.low:.2f} to {effect.high:.2f}), trend before the fix extrapolated · "
        "*improved*",
    ]


def test_cost_saving_and_payback_are_shown() -> None:
    text = blocks_to_text(roi_message(report(), min_group=5)["blocks"])
    assert "resolved May 27, 2026 · 3 days of effort (24 h, 2,280 EUR)" in text
    assert "Hours saved a week: 12.6 (90 %: 7.2 to 18.0) · 1,197 EUR a week" in text
    assert "Payback: 1.9 weeks" in text
    assert "fewer than 5 people count as not measured" in text


def test_forty_metrics_and_thirty_caveats_stay_within_slacks_limits() -> None:
    message = roi_message(report(metrics=40, caveats=30, title="x" * 300), min_group=5)
    assert validate_message(message) == []
    assert len(message["blocks"]) <= 50
    text = blocks_to_text(message["blocks"])
    assert all(f"metric {n} · ingest" in text for n in range(40))  # packed, not cut
    assert "and 18 more (debtpulse roi KEY)" in text


def test_values_from_people_are_escaped() -> None:
    message = roi_message(report(title="Fix <!channel> & *that*"), min_group=5)
    mrkdwn = " ".join(_mrkdwn(message["blocks"]))
    assert "<!channel>" not in mrkdwn and "<component>" not in mrkdwn
    assert "Fix &lt;!channel&gt; &amp; *that*" in mrkdwn
    assert "caveat 0 about &lt;component&gt; &amp; co" in mrkdwn
    assert message["blocks"][0]["text"]["type"] == "plain_text"  # the header: shown as typed


def _mrkdwn(node: Any) -> list[str]:
    """The text of every mrkdwn object (plain text is never read as markup)."""
    if isinstance(node, list):
        return [text for item in node for text in _mrkdwn(item)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if node.get("type") == "mrkdwn" else []
    return own + [text for value in node.values() for text in _mrkdwn(value)]
