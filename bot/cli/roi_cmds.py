"""``debtpulse roi``: what fixing an item returned, or every fix since a date, in the terminal."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.context import cli_runtime
from bot.cli.errors import check_writable, fail, write_file
from bot.cli.options import TeamOption
from storage.clock import utcnow

if TYPE_CHECKING:
    from bot.services.roi import ItemRoi, MetricReport, Totals


def _since(value: str | None, today: date) -> date | None:
    if value is None:
        return None
    try:
        since = date.fromisoformat(value)
    except ValueError:
        fail(f"--since: expected a date as YYYY-MM-DD, got {value!r}")
    if since > today:
        fail(f"--since: {since.isoformat()} is after today ({today.isoformat()})")
    return since


def roi(
    key: Annotated[
        str | None, typer.Argument(help="A resolved item's key, e.g. DEBT-12.", show_default=False)
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Every item resolved since this day (YYYY-MM-DD)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
    chart: Annotated[
        Path | None,
        typer.Option("--chart", help="Also draw KEY's main series and counterfactual as PNG."),
    ] = None,
    team: TeamOption = None,
) -> None:
    """What fixing an item returned: effect per metric with its 90 % interval, hours saved,
    payback, caveats. Give KEY, or --since DATE for every fix since then."""
    from bot.services import roi as roi_service

    if (key is None) == (since is None):
        fail("give a KEY or --since DATE (one of them)")
    if chart is not None:
        if key is None:
            fail("--chart: draws one item's report; give a KEY")
        check_writable(chart, "--chart")
    from bot.services import team_settings

    runtime = team_settings.team_view(cli_runtime(team, clock=utcnow))
    ctx = roi_service.context_for(runtime, runtime.default_team)
    first = _since(since, ctx.today)
    with runtime.transaction(write=False) as session:
        try:
            if first is not None:
                reports = roi_service.roi_since(session, ctx, first)
            else:
                assert key is not None
                reports = [roi_service.item_roi(session, ctx, key)]
        except roi_service.RoiRefused as refused:
            fail(refused.message)
    if chart is not None:
        _write_chart(reports[0], chart)
    if as_json:
        payload = [roi_service.as_json(r) for r in reports]
        if first is None:
            typer.echo(json.dumps(payload[0], indent=2, ensure_ascii=False))
        else:
            totals = roi_service.totals(reports)
            out = {"since": first.isoformat(), "items": payload, "totals": _totals_json(totals)}
            typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    if first is not None and not reports:
        typer.echo(f"No item resolved since {first.isoformat()}.")
        return
    for n, report in enumerate(reports):
        if n:
            typer.echo("")
        for line in text_lines(report):
            typer.echo(line)
    if first is not None:
        typer.echo("")
        typer.echo(_totals_line(roi_service.totals(reports), first, runtime.roi.currency))


def _write_chart(report: ItemRoi, path: Path) -> None:
    try:
        from bot.core.roi_chart import render_roi_chart
    except ImportError:  # the chart module is part of the charts feature
        fail("--chart: charts are not available in this installation")
    png = render_roi_chart(report)
    if png is None:
        fail("--chart: matplotlib is not installed (pip install 'debtpulse[charts]')")
    write_file(path, png, "--chart")


def _figure(value: float) -> str:
    return f"{value:+.2f}" if abs(value) < 100 else f"{value:+.0f}"


def metric_line(m: MetricReport) -> str:
    r = m.result
    pre = "–" if r.pre.mean is None else f"{r.pre.mean:.2f}"
    post = "–" if r.post.mean is None else f"{r.post.mean:.2f}"
    head = f"  {m.name} ({m.scope}, {m.unit}, {m.direction} is better): {pre} → {post}"
    if r.effect is None:
        return f"{head}; insufficient data ({r.pre.weeks} weeks before, {r.post.weeks} after)"
    e = r.effect
    return (
        f"{head}; effect {_figure(e.estimate)} a week (90 %: {_figure(e.low)} to "
        f"{_figure(e.high)}, {e.method}): {r.verdict.replace('_', ' ')}"
    )


def text_lines(report: ItemRoi) -> list[str]:
    cost = report.cost
    spent = "effort not recorded"
    if cost.effort_days is not None:
        spent = f"effort {cost.effort_days:g} days ({cost.hours:g} h"
        spent += f", {cost.money:,.0f} {cost.currency})" if cost.money is not None else ")"
    lines = [f"{report.key} {report.title}: resolved {report.resolved_on.isoformat()}, {spent}"]
    lines += [metric_line(m) for m in report.metrics] or ["  no metric measured around the fix"]
    saved = report.hours_saved_per_week
    if saved is not None:
        money = (
            f" ({report.money_saved_per_week:,.0f} {cost.currency})"
            if report.money_saved_per_week is not None
            else ""
        )
        lines.append(
            f"  hours saved a week: {saved[0]:.1f}{money} (90 %: {saved[1]:.1f} to {saved[2]:.1f})"
        )
    if report.payback_weeks is not None:
        lines.append(f"  payback: {report.payback_weeks:.1f} weeks")
    lines += [f"  caveat: {caveat}" for caveat in report.caveats]
    return lines


def _totals_json(t: Totals) -> dict[str, object]:
    return {
        "items": t.items,
        "effort_days": round(t.effort_days, 3),
        "hours_saved_per_week": round(t.hours_saved_per_week, 3),
        "money_saved_per_week": None
        if t.money_saved_per_week is None
        else round(t.money_saved_per_week, 2),
        "items_with_a_measured_saving": t.with_saving,
    }


def _totals_line(t: Totals, since: date, currency: str | None) -> str:
    money = (
        f" ({t.money_saved_per_week:,.0f} {currency})" if t.money_saved_per_week is not None else ""
    )
    return (
        f"Since {since.isoformat()}: {t.items} item(s) resolved, {t.effort_days:g} days of "
        f"effort recorded; {t.hours_saved_per_week:.1f} hours saved a week{money}, measured on "
        f"{t.with_saving} of them."
    )
