"""``explain_item``: the one "why KEY" behind ``/debt why`` and ``debtpulse why``."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.core.display import component_lines
from bot.core.score_settings import COMPONENTS, ScoreSettings
from bot.services.explain import explain_item
from bot.services.ranking import current_ranking, week_start
from bot.services.snapshots import take_snapshot
from storage import register
from tests.factories import NOW, TEAM, make_item

SETTINGS = ScoreSettings()


def _arrange(session: Session) -> None:
    for key, risk in (("DEBT-1", (5, 4, 2)), ("DEBT-2", (2, 2, 2))):
        item = make_item(session, key, category="operational")
        register.add_assessment(
            session,
            item=item,
            impact=risk[0],
            likelihood=risk[1],
            detectability=risk[2],
            assessed_by="U0LEAD",
            at=NOW - timedelta(weeks=2),
        )
    make_item(session, "DEBT-3", status="resolved")
    last_week = NOW - timedelta(weeks=1)
    ranking = current_ranking(session, team_id=TEAM, now=last_week, settings=SETTINGS)
    take_snapshot(session, ranking=ranking, team_id=TEAM, actor="U0LEAD", at=last_week)
    session.commit()


def test_a_ranked_item_is_explained_as_the_ranking_scores_it(session: Session) -> None:
    _arrange(session)
    explanation = explain_item(session, team_id=TEAM, key="DEBT-2", now=NOW, settings=SETTINGS)
    assert (explanation.key, explanation.status, explanation.found) == ("DEBT-2", "open", True)
    explained = explanation.explained
    assert explained is not None

    ranking = current_ranking(session, team_id=TEAM, now=NOW, settings=SETTINGS)
    ranked = ranking.find("DEBT-2")
    assert ranked is not None
    assert explained.ranked == ranked
    assert explained.ranked_items == len(ranking.items) == 2
    expected = component_lines(
        ranked.breakdown, item=ranking.inputs["DEBT-2"], team=ranking.team, settings=SETTINGS
    )
    assert list(explained.lines) == expected
    assert [line.name for line in explained.lines] == list(COMPONENTS)

    previous_week = week_start((NOW - timedelta(weeks=1)).date())
    assert explained.change.since == previous_week
    assert not explained.change.is_new

    public = explained.to_public_dict()
    assert public == {
        **ranked.to_public_dict(),
        "ranked_items": 2,
        "lines": [line.to_public_dict() for line in expected],
        "change": explained.change.to_public_dict(),
    }


def test_an_unranked_or_unknown_item_has_no_explanation(session: Session) -> None:
    _arrange(session)
    resolved = explain_item(session, team_id=TEAM, key="DEBT-3", now=NOW, settings=SETTINGS)
    assert (resolved.found, resolved.status, resolved.explained) == (True, "resolved", None)
    unknown = explain_item(session, team_id=TEAM, key="DEBT-9", now=NOW, settings=SETTINGS)
    assert (unknown.found, unknown.status, unknown.explained) == (False, None, None)
    other_team = explain_item(session, team_id="T0OTHER", key="DEBT-1", now=NOW, settings=SETTINGS)
    assert (other_team.found, other_team.explained) == (False, None)
