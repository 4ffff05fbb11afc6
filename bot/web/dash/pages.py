"""The signed-in pages: each reads its data from ``bot.services.dash_pages`` and renders a
template. Wording only here: every number comes from the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup

from bot.core.dash_session import DashSession
from bot.core.display import trend_arrow
from bot.core.priority import ScoreBreakdown
from bot.core.records import CATEGORIES
from bot.core.roi_text import METHODS, VERDICTS, days, effect_text, label, money, numbers, weeks
from bot.runtime import Runtime
from bot.services import dash_pages, roi
from bot.services.register_csv import KEY_PATTERN
from bot.web.dash import charts
from bot.web.dash.http import Response
from bot.web.dash.render import ARROWS, render

#: The longest component name a filter takes (the register's limit).
MAX_COMPONENT = 100


class BadInput(Exception):
    """A query parameter that cannot be read; the message names it."""


@dataclass(frozen=True)
class Page:
    """A signed-in request: who, and the runtime of their workspace."""

    signed: DashSession
    runtime: Runtime

    @property
    def team(self) -> str:
        return self.signed.team

    def html(self, template: str, here: str, status: int = 200, **context: Any) -> Response:
        body = render(template, signed=self.signed, here=here, **context)
        return Response(status, body)

    def message(self, status: int, heading: str, *paragraphs: str) -> Response:
        return self.html(
            "message.html",
            "",
            status,
            heading=heading,
            paragraphs=list(paragraphs),
            sign_in_again=False,
            back="/dash",
        )


@dataclass(frozen=True)
class Row:
    """One line of the ranking, ready to show."""

    rank: int
    key: str
    title: str
    category: str
    total: str
    bar: Markup
    arrow: str  # "" for an item too few people answered about
    arrow_text: str
    people: str


def _row(rank: int, b: ScoreBreakdown) -> Row:
    bar = charts.bar_of(b)
    if b.suppressed:
        arrow, arrow_text, people = "", "not shown", f"fewer than {b.min_group} people"
    else:
        arrow = trend_arrow(b)
        arrow_text = ARROWS[arrow]
        count = b.n_respondents or 0
        people = f"{count} {'person' if count == 1 else 'people'}"
    bar_markup = charts.bar_svg(bar)
    return Row(
        rank,
        b.key,
        b.title,
        b.category or "",
        f"{bar.total:.1f}",
        bar_markup,
        arrow,
        arrow_text,
        people,
    )


def ranking(page: Page, query: dict[str, str]) -> Response:
    category = query.get("category") or None
    component = query.get("component") or None
    if category is not None and category not in CATEGORIES:
        raise BadInput(f"category: expected {' or '.join(CATEGORIES)}")
    if component is not None and len(component) > MAX_COMPONENT:
        raise BadInput(f"component: at most {MAX_COMPONENT} characters")
    data = dash_pages.ranking_page(page.runtime, page.team, category=category, component=component)
    filters = [
        f"{name} {value}"
        for name, value in (("category", category), ("component", component))
        if value
    ]
    scope = f" in {' and '.join(filters)}" if filters else ""
    components = list(data.components)
    if component is not None and component not in components:
        components.append(component)
    return page.html(
        "ranking.html",
        "ranking",
        page=data,
        rows=[_row(rank, b) for rank, b in data.items],
        categories=CATEGORIES,
        components=components,
        caption=f"{len(data.items)} open debt items{scope}, highest score first",
        empty=f"No open debt items{scope}.",
    )


def _week_labels(weeks_: list[date]) -> list[str]:
    return [f"{week:%b %d}" for week in weeks_]


def _series_text(what: str, labels: list[str], values: list[float | None]) -> str:
    shown = [
        f"{label} {value:.1f}"
        for label, value in zip(labels, values, strict=True)
        if value is not None
    ]
    return f"{what}: " + ("; ".join(shown) if shown else "no values yet") + "."


def _value(value: Any) -> str:
    return "–" if value in (None, "") else str(value)


def _change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """An audit event's change in words: ``status: open → resolved``."""
    before, after = before or {}, after or {}
    parts = []
    for name in [*after, *(name for name in before if name not in after)]:
        new = _value(after.get(name))
        parts.append(
            f"{name}: {_value(before[name])} → {new}" if name in before else f"{name}: {new}"
        )
    return "; ".join(parts) or "–"


def item(page: Page, key: str) -> Response:
    if not KEY_PATTERN.match(key):
        raise BadInput("KEY: expected a debt item key like DEBT-12")
    data = dash_pages.item_page(page.runtime, page.team, key.upper())
    if data is None:
        return page.message(
            404, "No such debt item", f"This workspace has no debt item {key.upper()}."
        )
    labels = _week_labels(data.weeks)
    score_chart = charts.line_chart(
        labels, data.scores, low=0, high=100, ticks=(0, 25, 50, 75, 100)
    )
    pain_chart = None
    if data.pains is not None:
        pain_chart = charts.line_chart(labels, data.pains, low=1, high=5, ticks=(1, 2, 3, 4, 5))
    it = data.item
    fields = [
        ("Status", it.status),
        ("Category", it.category),
        ("Component", it.component),
        ("Owner", it.owner),
        ("Effort (estimate)", it.effort),
        ("Effort spent", days(it.effort_spent_days) if it.effort_spent_days is not None else ""),
        ("Accepted until", it.accepted_until.isoformat() if it.accepted_until else ""),
        ("Resolved", f"{it.resolved_at:%Y-%m-%d}" if it.resolved_at else ""),
        ("Description", it.description),
        ("Problem", it.problem),
        ("Affected metrics", it.affected_metrics),
        ("Proposed remediation", it.remediation),
        ("Expected impact", it.expected_impact),
        ("Success criterion", it.success_criterion),
        ("Added", f"{it.created_at:%Y-%m-%d}"),
    ]
    audit = [
        {
            "at": row.at,
            "actor": row.actor,
            "action": row.action,
            "change": _change(row.before, row.after),
            "reason": row.reason,
        }
        for row in data.audit
    ]
    return page.html(
        "item.html",
        "item",
        page=data,
        item=it,
        explained=data.explained,
        bar=None if data.explained is None else charts.bar_of(data.explained.ranked.breakdown),
        score_chart=score_chart,
        score_text=_series_text("Score by week", labels, data.scores),
        pain_chart=pain_chart,
        pain_text=_series_text("Mean pain by week", labels, data.pains or []) if data.pains else "",
        fields=fields,
        audit=audit,
    )


def polls(page: Page) -> Response:
    data = dash_pages.polls_page(page.runtime, page.team)
    surveys = []
    for latest in data.latest:
        history = data.history.get(latest.survey_id, [])
        labels = [f"{run.scheduled_for:%b %d}" for run in history]
        rated = all(run.rate is not None for run in history)
        if rated:
            values: list[float | None] = [100 * (run.rate or 0.0) for run in history]
            chart = charts.line_chart(labels, values, low=0, high=100, ticks=(0, 25, 50, 75, 100))
            title = f"{latest.title}: share of the audience answering, by run (%)"
            text = "; ".join(
                f"{lab} {v:.0f}%" for lab, v in zip(labels, values, strict=True) if v is not None
            )
        else:
            values = [float(run.respondents) for run in history]
            top = max([*(v or 0 for v in values), 1.0])
            chart = charts.line_chart(labels, values, low=0, high=top, ticks=(0, top))
            title = f"{latest.title}: people answering, by run"
            text = "; ".join(
                f"{lab} {v:.0f}" for lab, v in zip(labels, values, strict=True) if v is not None
            )
        surveys.append(
            {
                "latest": latest,
                "chart": chart if len(history) > 1 else None,
                "chart_title": title,
                "chart_text": f"{title}: {text}.",
            }
        )
    return page.html("polls.html", "polls", page=data, surveys=surveys)


def _cost(report: roi.ItemRoi) -> str:
    cost = report.cost
    if cost.effort_days is None:
        return "effort not recorded"
    spent = f"{days(cost.effort_days)} of effort"
    if cost.hours is not None:
        spent += f" ({cost.hours:g} h" + (
            f", {money(cost.money, cost.currency)})" if cost.money is not None else ")"
        )
    return spent


def _means(before: float | None, after: float | None) -> str:
    present = [v for v in (before, after) if v is not None]
    shown = iter(numbers(*present) if present else [])
    return f"{'–' if before is None else next(shown)} → {'–' if after is None else next(shown)}"


def _saving(report: roi.ItemRoi) -> str:
    saved = report.hours_saved_per_week
    if saved is None:
        return (
            "Hours saved a week: not measured (needs hours-lost answers from at least the "
            "minimum group, before and after the fix)."
        )
    estimate, low, high = numbers(*saved)
    text = f"Hours saved a week: {estimate} (90 %: {low} to {high})"
    if report.money_saved_per_week is not None:
        text += f", {money(report.money_saved_per_week, report.cost.currency)} a week"
    if report.payback_weeks is not None:
        text += f"; payback in {weeks(report.payback_weeks)}"
    elif report.cost.effort_days is not None:
        text += "; no payback yet (no hours saved)"
    return text + "."


def _since(query: dict[str, str]) -> date | None:
    value = query.get("since") or None
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput("since: expected a date as YYYY-MM-DD") from None


def roi_view(page: Page, query: dict[str, str]) -> Response:
    since = _since(query)
    if since is not None and since > page.runtime.clock().date():
        raise BadInput("since: a day after today")
    data = dash_pages.roi_page(page.runtime, page.team, since=since)
    reports = []
    for report in data.reports:
        metrics = [
            {
                "name": label(m.name),
                "scope": m.scope,
                "unit": m.unit,
                "direction": m.direction,
                "means": _means(m.result.pre.mean, m.result.post.mean),
                "effect": "–" if m.result.effect is None else effect_text(m.result.effect, m.unit),
                "method": "–" if m.result.effect is None else METHODS[m.result.effect.method],
                "verdict": VERDICTS[m.result.verdict],
            }
            for m in report.metrics
        ]
        reports.append(
            {
                "key": report.key,
                "title": report.title,
                "resolved_on": report.resolved_on,
                "cost": _cost(report),
                "metrics": metrics,
                "saving": _saving(report),
                "caveats": list(report.caveats),
            }
        )
    t = data.totals
    totals = f"{t.items} item{'s' if t.items != 1 else ''} fixed, {days(t.effort_days)} of effort"
    if t.with_saving:
        totals += (
            f"; {t.hours_saved_per_week:.1f} hours saved a week where measured ({t.with_saving})"
        )
        if t.money_saved_per_week is not None:
            totals += f", {money(t.money_saved_per_week, data.currency)} a week"
    return page.html("roi.html", "roi", page=data, reports=reports, totals=totals + ".")


def register_csv(page: Page) -> Response:
    if not page.signed.is_lead:
        return page.message(
            403,
            "For team leads",
            "The register download is for team leads. Ask a lead for the register, or see "
            "each item's page.",
        )
    text = dash_pages.register_csv(page.runtime, page.team)
    today = page.runtime.clock().date().isoformat()
    return Response(
        200,
        text.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers=[("Content-Disposition", f'attachment; filename="debt-register-{today}.csv"')],
    )
