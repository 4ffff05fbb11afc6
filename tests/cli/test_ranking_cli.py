"""`debtpulse top / why / snapshot / capacity`: the numbers from SQL match the pure scorer."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.core.anonymity import day_only
from bot.core.inputs import ItemInputs, PainAnswer, aggregate_pain, team_context
from bot.core.priority import score_item
from bot.core.rounding import round_components
from bot.core.score_settings import ScoreSettings
from bot.services.ranking import current_ranking, week_start
from bot.services.snapshots import take_snapshot
from storage import db, polls, register, responses
from storage.models import AuditEvent, PrioritySnapshot
from storage.types import utcnow

TEAM = "local"


def _item(session: Session, key: str, title: str, risk: tuple[int, int, int] | None, **kw: str):
    item, _ = register.upsert_item(
        session, team_id=TEAM, key=key, fields={"title": title, **kw}, now=utcnow()
    )
    if risk:
        register.add_assessment(
            session,
            item=item,
            impact=risk[0],
            likelihood=risk[1],
            detectability=risk[2],
            assessed_by="U0LEAD",
            at=utcnow(),
        )
    return item


def _answers(
    session: Session,
    *,
    anonymous: bool,
    weeks: dict[int, dict[str, list[int]]],
    items: dict[str, int],
    now: datetime,
) -> list[tuple[str, str, float, datetime]]:
    """weeks: weeks-ago -> {key: [values by respondent index]}; returns the raw answers."""
    raw = []
    for ago, per_item in weeks.items():
        slot = now - timedelta(weeks=ago)
        run, _ = polls.claim_run(
            session,
            team_id=TEAM,
            survey_id="pulse",
            scheduled_for=slot,
            values={"anonymous": anonymous},
        )
        assert run.id is not None
        for key, values in per_item.items():
            for who, value in enumerate(values):
                respondent = f"{'anon-' + str(run.id) + '-' if anonymous else ''}u{who}"
                responses.upsert_response(
                    session,
                    team_id=TEAM,
                    poll_run_id=run.id,
                    question_id="pain",
                    debt_item_id=items[key],
                    respondent=respondent,
                    value=value,
                    text_value=None,
                    at=day_only(slot),
                )
                raw.append((key, respondent, float(value), day_only(slot)))
    return raw


@pytest.fixture
def scored(cli_db: Engine) -> dict[str, object]:
    now = utcnow()
    with db.session_scope(cli_db) as session:
        items = {
            "DEBT-1": _item(
                session,
                "DEBT-1",
                "Flaky data ingestion",
                (4, 4, 2),
                category="operational",
                effort="M",
            ).id,
            "DEBT-2": _item(
                session,
                "DEBT-2",
                "No schema validation",
                (5, 2, 3),
                category="experimentation",
                effort="S",
            ).id,
            "DEBT-3": _item(
                session,
                "DEBT-3",
                "Copy-paste training notebook",
                None,
                category="experimentation",
                effort="L",
            ).id,
        }
        raw = _answers(
            session,
            anonymous=False,
            weeks={
                ago: {
                    "DEBT-1": [5, 4, 4, 5, 3, 4][: 6 - (ago % 2)],
                    "DEBT-2": [2, 3, 1, 2, 2, 3],
                    "DEBT-3": [5, 5, 4],
                }
                for ago in range(0, 11)
            },
            items=items,
            now=now,
        )
    return {"now": now, "raw": raw, "items": items}


def test_sql_aggregates_give_the_pure_scorers_numbers(cli_db: Engine, scored) -> None:
    now: datetime = scored["now"]  # type: ignore[assignment]
    raw = scored["raw"]
    settings = ScoreSettings()
    with Session(cli_db) as session:
        ranking = current_ranking(session, team_id=TEAM, now=now, settings=settings)
    by_key = {
        key: aggregate_pain(
            [PainAnswer(r, v, at) for k, r, v, at in raw if k == key], now=now, settings=settings
        )
        for key in ("DEBT-1", "DEBT-2", "DEBT-3")
    }
    team = team_context(by_key.values(), settings=settings)
    for ranked in ranking.items:
        sql = ranked.breakdown
        inputs = ranking.inputs[sql.key]
        pure = score_item(
            ItemInputs(
                key=sql.key,
                title=inputs.title,
                category=inputs.category,
                impact=inputs.impact,
                likelihood=inputs.likelihood,
                detectability=inputs.detectability,
                pain=by_key[sql.key],
                weekly_pain=inputs.weekly_pain,
                signals=(),
            ),
            team=team,
            now=now,
            settings=settings,
        )
        assert sql.components == pytest.approx(pure.components, abs=1e-9)
        assert sql.n_respondents == pure.n_respondents
    assert ranking.items[0].breakdown.key == "DEBT-1"
    assert ranking.find("DEBT-3").breakdown.suppressed  # type: ignore[union-attr]
    assert ranking.find("DEBT-1").breakdown.n_respondents == 6  # type: ignore[union-attr]


def test_anonymous_runs_count_respondents_by_their_largest_run(cli_db: Engine) -> None:
    now = utcnow()
    with db.session_scope(cli_db) as session:
        item = _item(session, "DEBT-1", "Flaky data ingestion", None)
        assert item.id is not None
        # 3 people answered in each of 4 anonymous runs: 12 different hashes, 3 people
        _answers(
            session,
            anonymous=True,
            weeks={a: {"DEBT-1": [4, 5, 4]} for a in range(4)},
            items={"DEBT-1": item.id},
            now=now,
        )
    with Session(cli_db) as session:
        ranking = current_ranking(session, team_id=TEAM, now=now, settings=ScoreSettings())
    breakdown = ranking.items[0].breakdown
    assert breakdown.suppressed
    assert breakdown.n_respondents is None


def test_top_table_and_json(cli, scored) -> None:
    table = cli("top")
    assert table.code == 0, table
    lines = table.out.splitlines()
    assert lines[1].split()[:2] == ["1", "DEBT-1"]
    assert "fewer than 5" in table.out
    assert lines[0].split()[-2:] == ["people", "title"]
    assert lines[-1].endswith("→ steady, · too few people to tell")
    result = cli("top", "--json", "--limit", "2")
    rows = json.loads(result.out)
    assert len(rows) == 2
    assert set(rows[0]) == {
        "rank",
        "key",
        "title",
        "category",
        "score",
        "components",
        "n_respondents",
        "suppressed",
    }
    assert set(rows[0]["components"]) == {
        "risk",
        "severity_floor",
        "pain",
        "breadth",
        "trend",
        "signals",
    }
    for row in rows:
        assert round(sum(row["components"].values()), 1) == row["score"]
    every = json.loads(cli("top", "--json").out)
    suppressed = next(row for row in every if row["key"] == "DEBT-3")
    assert suppressed["suppressed"] is True
    assert suppressed["n_respondents"] is None
    only = json.loads(cli("top", "--json", "--category", "experimentation").out)
    assert {row["category"] for row in only} == {"experimentation"}
    assert [row["rank"] for row in only] == list(range(1, len(only) + 1))
    bad = cli("top", "--category", "misc")
    assert bad.code == 1 and "--category: expected experimentation or operational" in bad.err


def test_why_explains_every_component_and_hides_suppressed_counts(cli, scored) -> None:
    result = cli("why", "DEBT-1")
    assert result.code == 0, result
    assert "impact 4, likelihood 4, detectability 2" in result.out
    assert "from 6 respondents" in result.out
    assert "New this week." in result.out
    rows = json.loads(cli("top", "--json").out)
    shown = next(r for r in rows if r["key"] == "DEBT-1")
    for name, label in [("risk", "Risk"), ("pain", "Pain"), ("breadth", "Breadth")]:
        assert f"{label:<15} {shown['components'][name]:>5.1f}" in result.out
    hidden = cli("why", "DEBT-3")
    assert "fewer than 5 respondents" in hidden.out
    first = hidden.out.splitlines()[0]
    assert re.fullmatch(r"DEBT-3 .*: score \d+\.\d, rank \d+ of \d+", first), first
    assert " 3 respondents" not in hidden.out and "mean 4." not in hidden.out
    assert "not assessed yet" in hidden.out
    missing = cli("why", "DEBT-99")
    assert missing.code == 1 and "DEBT-99: no debt item with that key" in missing.err


def test_why_json_gives_the_lines_and_hides_suppressed_counts(cli, scored) -> None:
    shown = json.loads(cli("why", "DEBT-1", "--json").out)
    top = json.loads(cli("top", "--json").out)
    assert (shown["rank"], shown["ranked_items"]) == (1, len(top))
    assert shown["score"] == top[0]["score"] and shown["n_respondents"] == 6
    lines = {line["component"]: line for line in shown["lines"]}
    assert list(lines) == list(shown["components"])
    assert all(lines[name]["points"] == shown["components"][name] for name in lines)
    assert round(sum(line["points"] for line in shown["lines"]), 1) == shown["score"]
    assert lines["pain"]["weight"] == 25 and "from 6 respondents" in lines["pain"]["detail"]
    assert shown["change"] == {
        "since": None,
        "previous_score": None,
        "delta": None,
        "components": [],
        "settings_changed": False,
        "sentence": "New this week.",
    }

    hidden = cli("why", "DEBT-3", "--json")
    data = json.loads(hidden.out)
    assert data["suppressed"] is True and data["respondents"] == "fewer than 5"
    assert data["n_respondents"] is None and data["pain_mean"] is None
    assert data["pain_interval"] is None
    assert "3 respondents" not in hidden.out and "mean 4." not in hidden.out
    missing = cli("why", "DEBT-99", "--json")
    assert missing.code == 1 and missing.out == ""


def test_why_of_a_closed_item_says_it_is_closed(cli, cli_db, scored) -> None:
    with Session(cli_db) as session:
        item = register.get_item(session, team_id=TEAM, key="DEBT-2")
        assert item is not None
        item.status = "wont_fix"
        session.add(item)
        session.commit()
    result = cli("why", "DEBT-2")
    assert result.code == 1
    assert (
        "DEBT-2: status wont_fix, so it has no score (only open and in_progress items are ranked)"
        in result.err
    )
    assert "Traceback" not in result.err


def test_snapshot_once_per_week_and_why_against_last_week(cli, cli_db: Engine, scored) -> None:
    now: datetime = scored["now"]  # type: ignore[assignment]
    last_week = now - timedelta(weeks=1)
    with db.session_scope(cli_db) as session:
        ranking = current_ranking(session, team_id=TEAM, now=last_week, settings=ScoreSettings())
        take_snapshot(session, ranking=ranking, team_id=TEAM, actor="U0LEAD", at=last_week)
        before = {r.breakdown.key: r.breakdown.shown() for r in ranking.items}
    first = cli("snapshot")
    assert f"snapshot for the week of {week_start(now.date()).isoformat()}: 3 items" in first.out
    again = cli("snapshot")
    assert "already taken; nothing changed" in again.out
    with Session(cli_db) as session:
        weeks = session.exec(select(PrioritySnapshot.taken_for).distinct()).all()
        assert len(weeks) == 2
        stored = session.exec(
            select(PrioritySnapshot).where(PrioritySnapshot.taken_for == max(weeks))
        ).all()
        # the shown numbers and, for "why", the exact ones they were rounded from
        for row in stored:
            assert row.exact_components is not None
            assert set(row.exact_components) == set(row.components)
            assert round_components(row.exact_components).total == row.score
            assert all(
                abs(row.exact_components[n] - row.components[n]) < 0.1 + 1e-9
                for n in row.components
            )
        weights = session.exec(
            select(AuditEvent).where(AuditEvent.action == "weights.changed")
        ).all()
        assert len(weights) == 1  # same settings both weeks: recorded once
    why = cli("why", "DEBT-1")
    since = week_start(last_week.date()).isoformat()
    now_score = json.loads(cli("top", "--json").out)[0]["score"]
    delta = round(now_score - before["DEBT-1"].total, 1)
    if delta == 0:
        assert f"Unchanged since {since}" in why.out
    else:
        word = "Up" if delta > 0 else "Down"
        assert f"{word} {abs(delta):.1f} since {since}" in why.out

    data = json.loads(cli("why", "DEBT-1", "--json").out)
    change = data["change"]
    assert (change["since"], change["previous_score"]) == (since, before["DEBT-1"].total)
    assert change["delta"] == delta and change["sentence"] in why.out
    moves = [part["delta"] for part in change["components"]]
    assert round(sum(moves), 1) == delta  # the component deltas add up to the total's
    assert [abs(m) for m in moves] == sorted((abs(m) for m in moves), reverse=True)
    assert {part["component"] for part in change["components"]} == set(data["components"])


def test_weights_file_overrides_and_is_audited(
    cli, cli_db: Engine, scored, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    for builtin in (Path(__file__).parents[2] / "surveys" / "library").glob("*.yaml"):
        (folder / builtin.name).write_text(builtin.read_text())
    (folder / "weights.yaml").write_text(
        "weights: {risk: 0, pain: 70, breadth: 10, trend: 10, signals: 10}\n"
        "capacity: {sprint_points: 20, debt_share: 0.2}\n"
    )
    monkeypatch.setenv("DEBTPULSE_SURVEYS_DIR", str(folder))
    rows = json.loads(cli("top", "--json").out)
    assert all(row["components"]["risk"] == 0 for row in rows)
    assert "weights custom-" in cli("top").out
    cli("snapshot", "--actor", "U0LEAD")
    with Session(cli_db) as session:
        event = session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "weights.changed")
            .order_by(col(AuditEvent.id).desc())
        ).first()
    assert event is not None and event.actor == "U0LEAD"
    assert event.after is not None and event.after["weights"]["pain"] == 70
    capacity = cli("capacity")
    assert "Debt budget: 4 points (20 × 20%)" in capacity.out

    (folder / "weights.yaml").write_text(
        "weights:\n  risk: 50\n  pain: 25\n  breadth: 15\n  trend: 10\n  signals: 15\n"
        "min_group: 2\nshrinkage: 3\n"
    )
    broken = cli("top")
    assert broken.code == 2
    assert f"{folder / 'weights.yaml'}:2: weights:" in broken.err or "weights.yaml:" in broken.err
    assert "weights.yaml:7: min_group: set DEBTPULSE_MIN_GROUP instead" in broken.err
    assert "weights.yaml:8: shrinkage:" in broken.err
    check = cli("surveys", "check", str(folder))
    assert check.code == 1 and "weights.yaml:8: shrinkage:" in check.err


def test_capacity_hint(cli, scored) -> None:
    result = cli("capacity", "--sprint-points", "20", "--share", "0.2")
    assert result.code == 0, result
    assert "Debt budget: 4 points" in result.out
    # M (3) + S (1) fit 4 points; L (8) does not
    chosen = [line.split()[0] for line in result.out.splitlines() if line.startswith("  DEBT")]
    assert sorted(chosen) == ["DEBT-1", "DEBT-2"]
    scores = {row["key"]: row["score"] for row in json.loads(cli("top", "--json").out)}
    for line in result.out.splitlines():
        if line.startswith("  DEBT"):
            key, _effort, score = line.split()[:3]
            assert float(score) == scores[key]


def test_capacity_lists_an_estimate_it_cannot_use_apart(cli, cli_db: Engine, scored) -> None:
    with Session(cli_db) as session:
        item = register.get_item(session, team_id=TEAM, key="DEBT-2")
        assert item is not None
        item.effort = "HUGE"  # a size since removed from weights.yaml's effort_points
        session.add(item)
        session.commit()
    result = cli("capacity", "--sprint-points", "20", "--share", "0.2")
    assert result.code == 0, result
    chosen = [line.split()[0] for line in result.out.splitlines() if line.startswith("  DEBT")]
    assert chosen == ["DEBT-1"]
    assert "No usable estimate yet: DEBT-2" in result.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--sprint-points", "0"), "--sprint-points: expected a number above 0"),
        (("--sprint-points", "-4"), "--sprint-points: expected a number above 0"),
        (("--sprint-points", "20000"), "and at most 10000"),
        (("--share", "0"), "--share: expected a number above 0 and at most 1"),
        (("--share", "1.5"), "--share: expected a number above 0 and at most 1"),
    ],
)
def test_capacity_refuses_an_empty_or_impossible_budget(cli, scored, args, message) -> None:
    result = cli("capacity", *args)
    assert result.code == 1, result
    assert message in result.err
    assert "Debt budget" not in result.out


def test_top_says_why_nothing_is_ranked(cli, cli_db: Engine, scored) -> None:
    assert cli("top", "--component", "nope").out.strip() == (
        "No open debt items match --component nope in team local."
    )
    empty = cli("top", "--team", "T0TYPO")
    assert empty.code == 0
    assert empty.out.strip() == (
        "No debt items in team T0TYPO. Teams with debt items: local (pass --team). "
        "Add some with `debtpulse debt import FILE.csv`."
    )
    assert json.loads(cli("top", "--team", "T0TYPO", "--json").out) == []
    with Session(cli_db) as session:
        items = register.list_items(session, team_id=TEAM)
        for item in items:
            item.status = "resolved"
            session.add(item)
        session.commit()
    assert cli("top").out.strip() == (
        f"No open debt items in team local: all {len(items)} are resolved, won't fix or accepted."
    )


def test_a_snapshot_of_a_team_without_items_is_refused(cli, cli_db: Engine, scored) -> None:
    result = cli("snapshot", "--team", "T0TYPO")
    assert result.code == 1
    assert (
        "No debt items in team T0TYPO. Teams with debt items: local (pass --team). "
        "No snapshot was stored." in result.err
    )
    with Session(cli_db) as session:
        assert session.exec(select(PrioritySnapshot)).all() == []
        assert session.exec(select(AuditEvent).where(AuditEvent.team_id == "T0TYPO")).all() == []
