"""SQL aggregates the priority score is computed from — never a Python loop over answers.

``pain_groups`` reads every ``pain`` answer of a team once, grouped by item, run and day:
a few thousand rows stand for a million answers. Anonymous answers count only once released
in a group of at least the minimum group of people (``answer_release``; held answers are
not in ``response`` at all); a group recorded with fewer people (carried over from before
groups, or the minimum raised since) is never read. Distinct people: named answers by their
stable ids (``named_respondents``), anonymous ones by the largest group released in the
window (``released_respondents``) — no key survives a release to count them across groups.

The SQL is plain text run through a :class:`storage.reader.Reader`, on a session's
connection or (``debtpulse top`` on SQLite) on the standard library's ``sqlite3``: the same
statements either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from storage.reader import Reader, as_date, as_utc, in_list, reader_of

if TYPE_CHECKING:
    from sqlmodel import Session

PAIN_QUESTION = "pain"


def _released(item: str, run: str) -> str:
    """SQL: answers that count — a named run's, or an anonymous run's released in a group of
    at least ``:min_group`` people about that item (``item``, ``run``: the answer's columns;
    ``poll_run`` is the answer's run)."""
    return f"""(NOT poll_run.anonymous OR EXISTS (
        SELECT 1 FROM answer_release
        WHERE answer_release.poll_run_id = {run}
          AND answer_release.question_id = :pain
          AND answer_release.debt_item_id = {item}
          AND answer_release.people >= :min_group))"""


class PainGroup(NamedTuple):
    debt_item_id: int
    poll_run_id: int
    anonymous: bool
    day: date
    n_answers: int
    sum_x: float
    sum_x2: float
    n_high: int


class SignalRow(NamedTuple):
    debt_item_id: int
    kind: str
    value: float
    observed_at: datetime


def _items(column: str, item_ids: Iterable[int] | None) -> tuple[str, dict[str, Any]]:
    if item_ids is None:
        return "", {}
    listed, params = in_list("item", item_ids)
    return f" AND {column} IN {listed}", params


def pain_groups(
    source: Session | Reader,
    *,
    team_id: str,
    since: datetime,
    high_threshold: float,
    min_group: int,
    item_ids: Iterable[int] | None = None,
) -> list[PainGroup]:
    """Per (item, run, day): count, Σx, Σx², and the count of answers ≥ ``high_threshold``.

    Read from ``pain_sum`` (kept by triggers on ``response``): a few thousand rows however
    many answers there are. A threshold that is not a whole number 1..5 needs the answers
    themselves.
    """
    reader = reader_of(source)
    if high_threshold not in (1, 2, 3, 4, 5):
        return _pain_groups_from_answers(
            reader,
            team_id=team_id,
            since=since,
            high_threshold=high_threshold,
            min_group=min_group,
            item_ids=item_ids,
        )
    high = "n" if high_threshold == 1 else f"n_ge{int(high_threshold)}"
    only, params = _items("pain_sum.debt_item_id", item_ids)
    sql = f"""
        SELECT pain_sum.debt_item_id, pain_sum.poll_run_id, pain_sum.day, pain_sum.n,
               pain_sum.sum_x, pain_sum.sum_x2, pain_sum.{high}, poll_run.anonymous
        FROM pain_sum JOIN poll_run ON poll_run.id = pain_sum.poll_run_id
        WHERE pain_sum.team_id = :team AND pain_sum.day >= :since AND pain_sum.n > 0
          AND {_released("pain_sum.debt_item_id", "pain_sum.poll_run_id")}{only}"""
    params |= {
        "team": team_id,
        "since": since.date(),
        "pain": PAIN_QUESTION,
        "min_group": min_group,
    }
    return _groups(reader.rows(sql, params))


def _groups(rows: Iterable[Any]) -> list[PainGroup]:
    days: dict[object, date] = {}
    groups = []
    for item, run, day, n, sx, sx2, high, anonymous in rows:
        when = days.get(day)
        if when is None:
            when = days[day] = as_date(day)
        groups.append(
            PainGroup(item, run, bool(anonymous), when, n, sx or 0.0, sx2 or 0.0, high or 0)
        )
    return groups


def _pain_groups_from_answers(
    reader: Reader,
    *,
    team_id: str,
    since: datetime,
    high_threshold: float,
    min_group: int,
    item_ids: Iterable[int] | None,
) -> list[PainGroup]:
    only, params = _items("response.debt_item_id", item_ids)
    sql = f"""
        SELECT grouped.item, grouped.run, grouped.day, grouped.n, grouped.sx, grouped.sx2,
               grouped.high, poll_run.anonymous
        FROM (
            SELECT response.debt_item_id AS item, response.poll_run_id AS run,
                   response.answered_day AS day, count(*) AS n, sum(response.value) AS sx,
                   sum(response.value * response.value) AS sx2,
                   sum(CASE WHEN response.value >= :high THEN 1 ELSE 0 END) AS high
            FROM response
            WHERE response.team_id = :team AND response.question_id = :pain
              AND response.debt_item_id IS NOT NULL AND response.value IS NOT NULL
              AND response.answered_day >= :since{only}
            GROUP BY response.debt_item_id, response.poll_run_id, response.answered_day
        ) AS grouped
        JOIN poll_run ON poll_run.id = grouped.run
        WHERE {_released("grouped.item", "grouped.run")}"""
    params |= {
        "team": team_id,
        "since": since.date(),
        "pain": PAIN_QUESTION,
        "min_group": min_group,
        "high": high_threshold,
    }
    return _groups(reader.rows(sql, params))


def named_respondents(source: Session | Reader, *, team_id: str, since: datetime) -> dict[int, int]:
    """Distinct respondents per item over the non-anonymous runs (ids are stable there)."""
    reader = reader_of(source)
    runs = [
        run
        for (run,) in reader.rows(
            "SELECT id FROM poll_run WHERE team_id = :team AND NOT anonymous", {"team": team_id}
        )
    ]
    if not runs:
        return {}
    listed, params = in_list("run", runs)
    sql = f"""
        SELECT debt_item_id, count(DISTINCT respondent) FROM response
        WHERE poll_run_id IN {listed} AND question_id = :pain AND debt_item_id IS NOT NULL
          AND answered_day >= :since
        GROUP BY debt_item_id"""
    params |= {"pain": PAIN_QUESTION, "since": since.date()}
    return {int(item or 0): int(count) for item, count in reader.rows(sql, params)}


def released_respondents(
    source: Session | Reader, *, team_id: str, since: datetime, min_group: int
) -> dict[int, int]:
    """Per item, the most people of one anonymous group of ``pain`` answers released on or
    after ``since`` (at least ``min_group``): a floor for its distinct respondents."""
    sql = """
        SELECT debt_item_id, max(people) FROM answer_release
        WHERE team_id = :team AND question_id = :pain AND debt_item_id IS NOT NULL
          AND day >= :since AND people >= :min_group
        GROUP BY debt_item_id"""
    params = {"team": team_id, "pain": PAIN_QUESTION, "since": since.date(), "min_group": min_group}
    return {int(item or 0): int(people) for item, people in reader_of(source).rows(sql, params)}


def signal_rows(source: Session | Reader, *, team_id: str, since: datetime) -> list[SignalRow]:
    sql = """
        SELECT debt_item_id, kind, value, observed_at FROM signal
        WHERE team_id = :team AND observed_at >= :since"""
    rows = reader_of(source).rows(sql, {"team": team_id, "since": since})
    return [SignalRow(item, kind, value, as_utc(at)) for item, kind, value, at in rows]
