"""``debtpulse top``, ``why``, ``snapshot`` and ``capacity``: the ranking in the terminal."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.context import cli_runtime
from bot.cli.errors import fail
from bot.cli.options import ActorOption, TeamOption, actor_name
from bot.core.records import CATEGORIES
from storage.clock import utcnow

if TYPE_CHECKING:
    from bot.runtime import Runtime

TOP_JSON_KEYS = (
    "rank",
    "key",
    "title",
    "category",
    "score",
    "components",
    "n_respondents",
    "suppressed",
)


def _runtime(team: str | None) -> Runtime:
    """The team's runtime: its own settings (a raised minimum group suppresses more)."""
    from bot.services import team_settings

    # "now" is this module's utcnow, read when the command starts: a test stands its
    # simulated clock in for it
    return team_settings.team_view(cli_runtime(team, clock=utcnow))


def _category(value: str | None) -> str | None:
    if value is not None and value not in CATEGORIES:
        fail(f"--category: expected experimentation or operational, got {value!r}")
    return value


def _no_items(team: str, counts: dict[str, int]) -> str:
    """ "No debt items in team T.", naming the teams that have some (a mistyped --team)."""
    others = sorted(t for t in counts if t != team)
    hint = f" Teams with debt items: {', '.join(others)} (pass --team)." if others else ""
    return f"No debt items in team {team}.{hint}"


def _nothing_ranked(team: str, counts: dict[str, int], filters: list[str]) -> str:
    if not counts.get(team):
        return _no_items(team, counts) + " Add some with `debtpulse debt import FILE.csv`."
    if filters:
        return f"No open debt items match {' '.join(filters)} in team {team}."
    done = "are resolved, won't fix or accepted"
    return f"No open debt items in team {team}: all {counts[team]} {done}."


def top(
    team: TeamOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many items.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
    category: Annotated[
        str | None, typer.Option(help="Only experimentation or operational debt.")
    ] = None,
    component: Annotated[str | None, typer.Option(help="Only items of this component.")] = None,
) -> None:
    """The current ranking with every score component."""
    from bot.core.display import trend_arrow
    from bot.services.ranking import current_ranking
    from storage import register_rows

    runtime = _runtime(team)
    settings = runtime.score_settings
    # read with sqlite3 alone on a SQLite file: SQLAlchemy's import takes longer than `top`
    with runtime.reading() as reader:
        ranking = current_ranking(
            reader,
            team_id=runtime.default_team,
            now=runtime.clock(),
            settings=settings,
            category=_category(category),
            component=component,
        )
        counts = register_rows.team_item_counts(reader) if not ranking.items else {}
    shown = ranking.items[:limit]
    if as_json:
        rows = [
            {k: v for k, v in item.to_public_dict().items() if k in TOP_JSON_KEYS} for item in shown
        ]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not shown:
        filters = [f"--{n} {v}" for n, v in (("category", category), ("component", component)) if v]
        typer.echo(_nothing_ranked(runtime.default_team, counts, filters))
        return
    typer.echo(
        f"{'#':>3}  {'key':<9} {'score':>5}    {'risk':>5} {'floor':>5} {'pain':>5} "
        f"{'brdth':>5} {'trend':>5} {'sgnl':>5}  {'people':<14} title"
    )
    for item in shown:
        b = item.breakdown
        c = b.shown().components
        typer.echo(
            f"{item.rank:>3}  {b.key:<9} {b.shown().total:>5.1f} {trend_arrow(b)}  "
            f"{c['risk']:>5.1f} {c['severity_floor']:>5.1f} {c['pain']:>5.1f} "
            f"{c['breadth']:>5.1f} {c['trend']:>5.1f} {c['signals']:>5.1f}  "
            f"{b.respondents_label:<14} {b.title}"
        )
    typer.echo(
        f"weights {settings.version}; `debtpulse why KEY` explains one item; "
        "↑ worsening, ↓ improving, → steady, · too few people to tell"
    )


def why(
    key: Annotated[str, typer.Argument(help="The item's key, e.g. DEBT-12.")],
    team: TeamOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
) -> None:
    """Explain one item's score, component by component, and how it moved."""
    from bot.core.display import score_with_arrow, top_reasons
    from bot.services.explain import explain_item

    runtime = _runtime(team)
    settings = runtime.score_settings
    key = key.upper()
    with runtime.transaction(write=False) as session:
        explanation = explain_item(
            session, team_id=runtime.default_team, key=key, now=runtime.clock(), settings=settings
        )
    explained = explanation.explained
    if explained is None:
        if not explanation.found:
            fail(f"{key}: no debt item with that key")
        fail(
            f"{key}: status {explanation.status}, so it has no score "
            "(only open and in_progress items are ranked)"
        )
    if as_json:
        typer.echo(json.dumps(explained.to_public_dict(), indent=2, ensure_ascii=False))
        return
    ranked, b = explained.ranked, explained.ranked.breakdown
    typer.echo(
        f"{b.key} {b.title}: score {score_with_arrow(b)}, "
        f"rank {ranked.rank} of {explained.ranked_items}"
    )
    for line in explained.lines:
        typer.echo(f"  {line.label:<15} {line.points:>5.1f} / {line.weight:g}  {line.detail}")
    typer.echo(f"  {'total':<15} {b.shown().total:>5.1f}")
    typer.echo(explained.change.sentence)
    if top_reasons(b):
        typer.echo(f"Mostly: {top_reasons(b)}.")


def snapshot(team: TeamOption = None, actor: ActorOption = None) -> None:
    """Store this week's ranking (once per week) for the audit trail and "why" deltas."""
    from bot.services.ranking import current_ranking
    from bot.services.snapshots import take_snapshot
    from storage import register_rows

    runtime = _runtime(team)
    settings = runtime.score_settings
    now = runtime.clock()
    with runtime.transaction() as session:
        counts = register_rows.team_item_counts(session)
        team_id = runtime.default_team
        if not counts.get(team_id):
            fail(_no_items(team_id, counts) + " No snapshot was stored.")
        ranking = current_ranking(session, team_id=team_id, now=now, settings=settings)
        result = take_snapshot(
            session, ranking=ranking, team_id=team_id, actor=actor_name(actor), at=now
        )
    typer.echo(str(result))


def capacity(
    team: TeamOption = None,
    sprint_points: Annotated[
        float | None, typer.Option(help="Sprint capacity in points (weights.yaml).")
    ] = None,
    share: Annotated[
        float | None, typer.Option(help="Share of the sprint for debt, above 0 and at most 1.")
    ] = None,
) -> None:
    """Which items fit this sprint's debt budget for the highest total score."""
    from bot.core.capacity import capacity_hint, split_estimates
    from bot.core.weights_file import MAX_SPRINT_POINTS
    from bot.services.ranking import current_ranking

    if sprint_points is not None and not 0 < sprint_points <= MAX_SPRINT_POINTS:
        fail(f"--sprint-points: expected a number above 0 and at most {MAX_SPRINT_POINTS:g}")
    if share is not None and not 0 < share <= 1:
        fail("--share: expected a number above 0 and at most 1, such as 0.15")
    runtime = _runtime(team)
    settings, planning = runtime.score_settings, runtime.capacity
    points = planning.sprint_points if sprint_points is None else sprint_points
    debt_share = planning.debt_share if share is None else share
    budget = points * debt_share
    with runtime.reading() as reader:
        ranking = current_ranking(
            reader, team_id=runtime.default_team, now=runtime.clock(), settings=settings
        )
    usable, unusable = split_estimates(
        [
            (i.breakdown.key, i.breakdown.shown().total, ranking.records[i.breakdown.key].effort)
            for i in ranking.items
        ],
        effort_scale=planning.effort_points,
    )
    hint = capacity_hint(usable, budget, effort_scale=planning.effort_points)
    typer.echo(f"Debt budget: {budget:g} points ({points:g} × {debt_share:.0%})")
    for key in hint.chosen:
        item = ranking.records[key]
        ranked = ranking.find(key)
        score = ranked.breakdown.shown().total if ranked is not None else 0.0
        typer.echo(f"  {key:<9} {item.effort:>3}  {score:>5.1f}  {item.title}")
    typer.echo(f"Total score {hint.total_score:.1f} for {hint.total_effort:g} points.")
    apart = (*hint.unestimated, *unusable)
    if apart:
        typer.echo(f"No usable estimate yet: {', '.join(apart)}")
