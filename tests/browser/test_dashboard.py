"""The dashboard as a person meets it in Chromium: the link from Slack signs them in, the
ranking shows the same numbers as ``/debt why``, a filter narrows it, an item page explains
its score, a reused link shows nothing, and the keyboard reaches everything that matters.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from bot.services.explain import explain_item
from bot.services.ranking import current_ranking
from storage import db
from tests.browser import world
from tests.browser.conftest import Dash
from tests.e2e.conftest import TEAM

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def _ranking(dash: Dash) -> list[dict]:
    """The ranking as ``debtpulse top --json`` gives it, read now."""
    runtime = dash.runtime
    with db.session_scope(runtime.engine) as session:
        ranking = current_ranking(
            session, team_id=TEAM, now=runtime.clock(), settings=runtime.score_settings
        )
        return [ranked.to_public_dict() for ranked in ranking.items]


def _signed_in(page: Page, dash: Dash) -> None:
    page.goto(dash.link())
    assert page.url == f"{dash.url}/dash"


def _row_keys(page: Page) -> list[str]:
    return page.locator("tr[data-key]").evaluate_all("rows => rows.map(r => r.dataset.key)")


def test_the_link_signs_in_to_the_ranking(page: Page, dash: Dash, screenshots: Path) -> None:
    _signed_in(page, dash)
    cookie = next(c for c in page.context.cookies() if c["name"] == "debtpulse_dash")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.locator("h1").first.is_visible()
    ranking = _ranking(dash)
    assert _row_keys(page) == [item["key"] for item in ranking]
    for item in ranking:
        row = page.locator(f'tr[data-key="{item["key"]}"]')
        text = row.inner_text()
        assert item["title"] in text
        assert f"{item['score']:.1f}" in text
        assert row.locator("svg.bar rect").count() >= 2  # the bar, by component
        if item["suppressed"]:
            assert f"fewer than {dash.runtime.settings.min_group} people" in text
        else:
            assert f"{item['n_respondents']} people" in text
    assert {item["key"] for item in ranking if item["suppressed"]} == world.FEW
    for key, trend in world.TRENDS.items():
        assert trend in page.locator(f'tr[data-key="{key}"] td.trend').inner_text()
    page.screenshot(path=screenshots / "dash-ranking.png", full_page=True)


def test_a_filter_by_component_narrows_the_rows(page: Page, dash: Dash) -> None:
    _signed_in(page, dash)
    component = page.get_by_label("Component", exact=True)
    component.focus()
    page.keyboard.type("pipeline")  # as a person picks an option of a closed select
    assert component.input_value() == "pipeline"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Filter"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "component=pipeline" in page.url
    assert sorted(_row_keys(page)) == sorted(world.COMPONENTS["pipeline"])
    assert page.get_by_label("Component", exact=True).input_value() == "pipeline"


def test_an_item_page_explains_the_score_as_why_does(
    page: Page, dash: Dash, screenshots: Path
) -> None:
    _signed_in(page, dash)
    key = world.REASSESSED_KEY
    page.locator(f'tr[data-key="{key}"] a').click()
    page.wait_for_url(f"{dash.url}/dash/items/{key}")
    runtime = dash.runtime
    with db.session_scope(runtime.engine) as session:
        explanation = explain_item(
            session, team_id=TEAM, key=key, now=runtime.clock(), settings=runtime.score_settings
        )
    assert explanation.explained is not None
    shown = explanation.explained.ranked.breakdown.shown()
    body = page.locator("main").inner_text()
    assert explanation.explained.ranked.breakdown.title in body
    assert f"Score {shown.total:.1f}" in body
    why = page.locator("table.why tbody tr")
    assert why.count() == len(explanation.explained.lines)
    for row, line in zip(why.all(), explanation.explained.lines, strict=True):
        assert row.locator("th").inner_text() == line.label
        assert row.locator("td").first.inner_text() == f"{line.points:.1f}"
    assert page.locator("table.why tfoot td").first.inner_text() == f"{shown.total:.1f}"
    assert world.REASSESSED_REASON in body  # the audit trail, with its reason
    page.screenshot(path=screenshots / "dash-item.png", full_page=True)


def test_a_reused_link_shows_a_refusal_and_no_data(
    browser: Browser, page: Page, dash: Dash
) -> None:
    link = dash.link()
    first = browser.new_context()
    try:
        first_page = first.new_page()
        first_page.goto(link)
        assert first_page.url == f"{dash.url}/dash"  # the link's one use
    finally:
        first.close()
    answer = page.goto(link)
    assert answer is not None and answer.status == 410
    assert page.url == link
    assert not [c for c in page.context.cookies() if c["name"] == "debtpulse_dash"]
    assert "used already" in page.locator("h1").inner_text()
    text = page.locator("body").inner_text()
    assert page.locator("table, svg, nav").count() == 0
    for key in world.PAIN:
        assert key not in text
    assert dash.runtime.default_team not in text  # not even whose dashboard it was
    answer = page.goto(f"{dash.url}/dash")  # and the ranking itself stays closed
    assert answer is not None and answer.status == 401
    assert page.locator("tr[data-key]").count() == 0


def test_the_keyboard_reaches_the_filter_and_the_first_item(page: Page, dash: Dash) -> None:
    _signed_in(page, dash)
    first_link = page.locator("tr[data-key] a").first.get_attribute("href")
    reached: list[dict] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                return {
                    tag: el.tagName.toLowerCase(),
                    name: el.getAttribute("name"),
                    href: el.getAttribute("href"),
                    visible: el.matches(":focus-visible") && (
                        (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
                        || style.boxShadow !== "none"),
                };
            }"""
        )
        reached.append(focused)
        if focused["href"] == first_link:
            break
    names = [f["name"] for f in reached]
    assert "category" in names and "component" in names, reached
    assert reached[-1]["href"] == first_link, reached
    assert all(f["visible"] for f in reached if f["tag"] in {"a", "select", "button"}), reached
