"""The dashboard's pages show the numbers of the services Slack and the CLI use: the ranking
(and its filters), an item (why, weeks, signals, register, assessments, audit trail), the
polls (runs, participation, fatigue), the return on fixes and the register's CSV."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from bot.core.records import CATEGORIES
from bot.services import register as register_service
from bot.services import roi
from bot.services.explain import explain_item
from bot.services.ranking import current_ranking
from bot.web.dash.charts import bar_text
from storage import digest_reads, register
from tests.factories import TEAM
from tests.web.dash_world import FIRST_WEEK, LEAD, NOW, TITLES, Dash, runtime_for, seed, served


@pytest.fixture
def dash(engine: Engine) -> Iterator[Dash]:
    runtime = runtime_for(engine)
    seed(runtime)
    with served(runtime) as served_dash:
        yield served_dash


@pytest.fixture
def cookie(dash: Dash) -> str:
    return dash.sign_in(user=LEAD, is_lead=True)


def text_of(fragment: str) -> str:
    """What a fragment of HTML reads as: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(body: str) -> dict[str, str]:
    """The ranking's rows by key, as text, in page order."""
    found = re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', body, flags=re.S)
    return {key: text_of(row) for key, row in found}


def section(body: str, heading_id: str) -> str:
    match = re.search(rf'<h2 id="{heading_id}">.*?</section>', body, flags=re.S)
    assert match, heading_id
    return match.group(0)


def test_the_ranking_shows_the_ranking_services_numbers(dash: Dash, cookie: str) -> None:
    page = dash.get("/dash", cookie=cookie).body
    with dash.runtime.transaction(write=False) as session:
        ranking = current_ranking(
            session, team_id=TEAM, now=NOW, settings=dash.runtime.score_settings
        )

    shown = rows(page)
    assert list(shown) == [r.breakdown.key for r in ranking.items]
    assert "DEBT-4" not in shown  # resolved: not ranked
    assert page.count("<h1>") == 1
    for ranked in ranking.items:
        b = ranked.breakdown
        total = b.shown().total
        row = shown[b.key]
        assert row.startswith(f"{ranked.rank} {b.key} {b.title} {b.category} {total:.1f}")
        assert html.escape(bar_text(total, b.shown().components), quote=True) in page
        if b.suppressed:
            assert row.endswith("– not shown fewer than 5 people")
        else:
            assert row.endswith(f"{b.n_respondents} people")
    assert shown["DEBT-3"].endswith("fewer than 5 people")
    assert re.search(r'<a href="/dash/items/DEBT-1">DEBT-1</a>', page)


def test_the_filters_rank_within_a_category_or_a_component(dash: Dash, cookie: str) -> None:
    experimentation = dash.get("/dash?category=experimentation", cookie=cookie).body
    assert list(rows(experimentation)) == ["DEBT-2"]
    assert '<option value="experimentation" selected>' in experimentation

    pipeline = dash.get("/dash?component=pipeline", cookie=cookie).body
    assert [row.split()[:2] for row in rows(pipeline).values()] == [
        ["1", "DEBT-1"],
        ["2", "DEBT-3"],
    ]
    assert '<option value="pipeline" selected>' in pipeline
    assert '<label for="component">Component</label>' in pipeline

    none = dash.get("/dash?category=operational&component=training", cookie=cookie).body
    assert "No open debt items in category operational and component training." in none

    bad = dash.get("/dash?category=urgent", cookie=cookie)
    assert bad.status == 400
    assert f"category: expected {' or '.join(CATEGORIES)}" in text_of(bad.body)


def test_an_item_page_shows_why_weeks_signals_register_and_trail(dash: Dash, cookie: str) -> None:
    page = dash.get("/dash/items/debt-1", cookie=cookie)
    assert page.status == 200
    body = page.body
    with dash.runtime.transaction(write=False) as session:
        explained = explain_item(
            session, team_id=TEAM, key="DEBT-1", now=NOW, settings=dash.runtime.score_settings
        ).explained
    assert explained is not None
    assert "<h1>" in body and body.count("<h1>") == 1

    why = text_of(section(body, "why"))
    for line in explained.lines:
        assert f"{line.label} {line.points:.1f} {line.weight:g} {line.detail}" in why
    assert f"Total {explained.ranked.breakdown.shown().total:.1f}" in why
    assert explained.change.sentence in why
    assert "2 from pagerduty, 1 from alertmanager" in why  # the same words as /debt why

    # four weekly runs of six people answering 4, 4, 5, 3, 4, 5 about it: 4.2 each week
    pains = "; ".join(f"{FIRST_WEEK + timedelta(weeks=n):%b %d} 4.2" for n in range(4))
    assert f"Mean pain by week: {pains}." in body
    assert "Score by week:" in body and "Mean pain by week:" in body
    with dash.runtime.transaction(write=False) as session:
        item = register.get_item(session, team_id=TEAM, key="DEBT-1")
        assert item is not None and item.id is not None
        history = digest_reads.score_history(
            session, team_id=TEAM, item_ids=[item.id], since=NOW.date() - timedelta(weeks=12)
        )
    assert len(history) == 2  # the two weekly snapshots, and the score now
    for _, week, score in history:
        assert f"{week:%b %d} {score:.1f}" in body
    now = explained.ranked.breakdown.shown().total
    assert f"{NOW.date() - timedelta(days=2):%b %d} {now:.1f}." in body

    signals = text_of(section(body, "signals"))
    assert "pagerduty incident 2" in signals and "alertmanager alert 1" in signals

    fields = text_of(section(body, "register"))
    assert "Category operational" in fields and "Component pipeline" in fields

    assessments = text_of(section(body, "assessments"))
    assert "5 4 3 U0LEAD two outages in a month" in assessments
    assert "3 3 3 U0LEAD first look" in assessments

    trail = text_of(section(body, "audit"))
    assert "item.assessed impact: 3 → 5; likelihood: 3 → 4; detectability: 3 → 3" in trail
    assert "two outages in a month" in trail
    assert f"item.created title: {TITLES['DEBT-1']}" in trail


def test_a_suppressed_item_shows_no_pain_and_a_resolved_one_no_score(
    dash: Dash, cookie: str
) -> None:
    few = dash.get("/dash/items/DEBT-3", cookie=cookie).body
    assert "fewer than 5 people" in few
    assert "Pain by week is not shown: fewer than 5 people answered about this item." in few
    assert "Mean pain by week" not in few
    assert "2.3" not in text_of(section(few, "weeks"))  # their mean, never shown

    resolved = dash.get("/dash/items/DEBT-4", cookie=cookie).body
    assert "Status <strong>resolved</strong>" in resolved
    assert 'id="why"' not in resolved
    assert "Effort spent 3 days" in text_of(section(resolved, "register"))


def test_the_polls_page_shows_runs_participation_and_fatigue(dash: Dash, cookie: str) -> None:
    body = dash.get("/dash/polls", cookie=cookie).body
    runs = re.findall(r'<tr data-run="\d+">(.*?)</tr>', body, flags=re.S)
    assert len(runs) == 7  # four team-pulse runs, three quick-vote runs
    texts = [text_of(run) for run in runs]
    assert sum(" team-pulse " in f" {t} " for t in texts) == 4
    assert any(t.startswith("#") and " 6 – –" in t for t in texts)
    participation = text_of(section(body, "participation"))
    assert "quick-vote Latest run: 6 people answered, -6 people since the run before." in (
        participation
    )
    assert participation.count("survey fatigue?") == 1
    assert "quick-vote: people answering, by run: Oct 28 12; Nov 04 12; Nov 11 6." in body


def test_the_roi_page_shows_the_return_on_each_fix(dash: Dash, cookie: str) -> None:
    body = dash.get("/dash/roi", cookie=cookie).body
    ctx = roi.context_for(dash.runtime, TEAM)
    with dash.runtime.transaction(write=False) as session:
        report = roi.item_roi(session, ctx, "DEBT-4")
    shown = text_of(body)
    assert f"DEBT-4 {TITLES['DEBT-4']} Resolved {report.resolved_on.isoformat()}" in shown
    assert "3 days of effort" in shown
    for metric in report.metrics:
        assert metric.scope in shown
    assert "1 item fixed, 3 days of effort" in shown
    later = dash.get("/dash/roi?since=2026-11-10", cookie=cookie).body
    assert "No item was resolved since 2026-11-10." in later
    bad = dash.get("/dash/roi?since=last-week", cookie=cookie)
    assert bad.status == 400 and "since: expected a date as YYYY-MM-DD" in bad.body


def test_the_register_csv_is_the_export(dash: Dash, cookie: str) -> None:
    with dash.runtime.transaction(write=False) as session:
        exported = register_service.export_register(session, team_id=TEAM)
    assert dash.get("/dash/register.csv", cookie=cookie).body == exported
