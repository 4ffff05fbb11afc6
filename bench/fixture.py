"""A large, realistic debtpulse database for the performance benchmarks (cached on disk).

``ensure_bench_db(path, responses=1_000_000)`` returns ``path`` holding, for team ``bench``:

- 200 debt items (both categories, several components, efforts, ~90% assessed, some with an
  assessment history);
- 52 weekly anonymous runs of ``weekly-debt-pulse`` ending this week, all closed, each
  answered by ~100 respondents: ``responses`` ``pain`` answers in all (each respondent answers
  a rotating window of items; with 1,000,000 answers that is ~192 items a week each), plus
  one ``worst`` answer and one participation row (the per-run key,
  ``bot.core.anonymity.respondent_key``, never a user id) per respondent and run;
- the answers as the closes released them (``storage.held.release_at_close``): in
  ``response`` under their run, each row with its own random ``anon:`` key and the run's day,
  in random order within each group, and one ``answer_release`` row per run, question and
  item (people = answers = that run's respondents to it, ~96 an item); answers of a group
  still short of ``DEBTPULSE_MIN_GROUP`` people (only in a small fixture) in ``held_answer``;
- a few hundred signals over the last four months.

Rows go in with raw ``executemany`` INSERTs in one transaction, into a schema created by the
real migrations (``storage.db.upgrade``) — this is a fixture, not a test of the import path.
The database is rebuilt when its parameters change or when a new week has started, so the
newest run is always this week's (the score's recency weights depend on the clock).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import random
import sqlite3
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.core.anonymity import person_key, respondent_key
from bot.core.catalog import load_catalog
from bot.core.score_settings import DEFAULT_SETTINGS
from storage import db
from surveys import LoadedTemplate

TEAM = "bench"
SURVEY = "weekly-debt-pulse"
DIGEST = "weekly-digest"
ITEMS = 200
RUNS = 52
RESPONDENTS = 100
SIGNALS = 300
ANON_SECRET = "bench-anon-secret"
FIXTURE_VERSION = 4  # 4: answers released in groups (schema 0009), runs all closed
MIN_GROUP = DEFAULT_SETTINGS.min_group
HORIZON_WEEKS = DEFAULT_SETTINGS.pain_horizon_weeks
DEFAULT_PATH = Path(__file__).parent / ".data" / "bench.db"

_COMPONENTS = ("ingest", "features", "training", "serving", "experiments", "dashboards")
_EFFORTS = ("XS", "S", "M", "L", "XL", "3", "5", "8")
_KINDS = ("incident", "alert", "alert", "alert", "drift", "flaky_test", "custom")


def _ts(moment: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it in SQLite (naive, microseconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def this_monday(today: date | None = None) -> date:
    today = today or datetime.now(UTC).date()
    return today - timedelta(days=today.weekday())


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _wanted_meta(responses: int) -> dict[str, object]:
    return {
        "fixture_version": FIXTURE_VERSION,
        "schema": db.head_revision(),
        "responses": responses,
        "min_group": MIN_GROUP,
        "last_run": this_monday().isoformat(),
    }


def ensure_bench_db(path: Path = DEFAULT_PATH, responses: int = 1_000_000) -> Path:
    """The benchmark database at ``path``, built (or rebuilt) only when needed."""
    path = Path(path)
    wanted = _wanted_meta(responses)
    meta = _meta_path(path)
    if path.exists() and meta.exists():
        try:
            if json.loads(meta.read_text(encoding="utf-8")) == wanted:
                return path
        except ValueError:
            pass
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"building {path} ({responses:,} pain responses) …", file=sys.stderr, flush=True)
    tmp = path.with_name(path.name + ".building")
    _remove(tmp)
    build(tmp, responses=responses)
    _remove(path)
    tmp.replace(path)
    meta.write_text(json.dumps(wanted, indent=2) + "\n", encoding="utf-8")
    print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return path


def _remove(path: Path) -> None:
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        candidate.unlink(missing_ok=True)


def _migrate(path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        db.upgrade(engine)
    finally:
        engine.dispose()


def build(path: Path, *, responses: int, seed: int = 20240101) -> None:
    """Create the schema with the real migrations, then bulk-insert every row."""
    _migrate(path)
    rng = random.Random(seed)
    last_run = this_monday()
    first_run = last_run - timedelta(weeks=RUNS - 1)
    start = datetime.combine(first_run, datetime.min.time(), tzinfo=UTC) - timedelta(days=30)
    catalog = load_catalog(None)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-200000")
        con.execute("BEGIN")
        _insert_surveys(con, catalog, start)
        truth = _insert_items(con, rng, start)
        runs = _insert_runs(con, first_run, catalog[SURVEY].content_hash)
        _insert_answers(con, rng, runs, truth, responses)
        _insert_signals(con, rng, last_run)
        con.execute("COMMIT")
        # No ANALYZE: debtpulse never runs it, so the planner sees what it sees in production.
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


def _insert_surveys(
    con: sqlite3.Connection, catalog: dict[str, LoadedTemplate], start: datetime
) -> None:
    rows = [
        (
            TEAM,
            template_id,
            catalog[template_id].content_hash,
            json.dumps(catalog[template_id].template.model_dump(mode="json")),
            str(catalog[template_id].path),
            _ts(start),
        )
        for template_id in (SURVEY, DIGEST)
    ]
    con.executemany(
        "INSERT INTO survey (team_id, survey_id, content_hash, definition, source, loaded_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


def _insert_items(con: sqlite3.Connection, rng: random.Random, start: datetime) -> list[float]:
    """200 items (ids 1..200) and their assessments; returns each item's true mean pain."""
    items = []
    assessments = []
    truth = []
    for n in range(1, ITEMS + 1):
        created = start + timedelta(days=rng.randrange(20))
        category = "experimentation" if n % 3 == 0 else "operational"
        status = "in_progress" if n % 10 == 0 else "open"
        items.append(
            (
                n,
                TEAM,
                f"DEBT-{n}",
                f"Debt item {n}: {rng.choice(_COMPONENTS)} shortcut",
                "Generated for the benchmark.",
                category,
                rng.choice(_COMPONENTS),
                f"U{rng.randrange(10**8):08d}",
                status,
                rng.choice(_EFFORTS),
                "[]",
                "",
                "",
                "",
                "",
                "",
                _ts(created),
                _ts(created),
                None,
            )
        )
        truth.append(rng.uniform(1.5, 4.5))
        if rng.random() < 0.9:
            for version in range(rng.choice((1, 1, 2, 3))):
                assessments.append(
                    (
                        TEAM,
                        n,
                        rng.randint(1, 5),
                        rng.randint(1, 5),
                        rng.randint(1, 5),
                        "ULEAD0001",
                        _ts(created + timedelta(days=7 * version + 1)),
                        "",
                    )
                )
    con.executemany(
        "INSERT INTO debt_item (id, team_id, key, title, description, category, component, owner,"
        " status, effort, risk_flags, problem, affected_metrics, remediation, expected_impact,"
        " success_criterion, created_at, updated_at, resolved_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        items,
    )
    con.executemany(
        "INSERT INTO assessment (team_id, debt_item_id, impact, likelihood, detectability,"
        " assessed_by, assessed_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        assessments,
    )
    return truth


def _insert_runs(con: sqlite3.Connection, first_run: date, content_hash: str) -> list[date]:
    """52 weekly anonymous runs (ids 1..52), Mondays 10:00 UTC, all closed (this week's too:
    an open run's answers are held, and the benchmarks read released answers)."""
    runs = [first_run + timedelta(weeks=w) for w in range(RUNS)]
    now = datetime.now(UTC)
    rows = []
    for run_id, day in enumerate(runs, start=1):
        at = _midnight(day) + timedelta(hours=10)
        closed = min(at + timedelta(hours=48), now)
        rows.append(
            (
                run_id,
                TEAM,
                SURVEY,
                _ts(at),
                _ts(at),
                _ts(closed),
                _ts(closed),
                "closed",
                1,
                content_hash,
                "{}",
                "schedule",
            )
        )
    con.executemany(
        "INSERT INTO poll_run (id, team_id, survey_id, scheduled_for, opened_at, closes_at,"
        " closed_at, status, anonymous, content_hash, frozen, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return runs


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _user(person: int) -> str:
    return f"U{person:07d}"


@dataclass(frozen=True)
class _Held:
    """An answer not (yet) released: the run it was given in, the run's day, who gave it."""

    run_id: int
    day: date
    person: int
    value: float | None
    text: str | None


def _insert_answers(
    con: sqlite3.Connection,
    rng: random.Random,
    runs: list[date],
    truth: list[float],
    responses: int,
) -> None:
    """``responses`` pain answers over the runs; each respondent a rotating window of items.

    Every run is closed with ``held.release_at_close``'s rule, replayed here in bulk: per
    (question, item) the run was answered on, its answers pooled with those still held from
    the horizon before it are released when at least ``MIN_GROUP`` distinct people gave them
    — ``response`` rows under the closing run, in random order, each with a fresh random
    ``anon:`` key, dated the run's day at 00:00, and one ``answer_release`` row. With the
    default size every item has ~96 people a run, so each run releases its own answers; in a
    small fixture the groups that never fill stay in ``held_answer`` (or expire, as the
    worker's tick would). Participation rows hold the per-run keys, not user ids.
    """
    respondents = max(RESPONDENTS, math.ceil(responses / (len(runs) * ITEMS)))
    gauss = rng.gauss
    horizon = timedelta(weeks=HORIZON_WEEKS)
    held: dict[tuple[str, int | None], list[_Held]] = defaultdict(list)
    releases: list[tuple[object, ...]] = []
    participation: list[tuple[object, ...]] = []
    for run_id, (day, run_total) in enumerate(
        zip(runs, _split(responses, len(runs)), strict=True), start=1
    ):
        answered: dict[tuple[str, int | None], list[_Held]] = defaultdict(list)
        keys = []
        for person, count in enumerate(_split(run_total, respondents)):
            if count == 0:
                continue
            keys.append(respondent_key(secret=ANON_SECRET, run_id=run_id, user_id=_user(person)))
            offset = (person * 37 + run_id * 11) % ITEMS
            for j in range(count):
                index = (offset + j) % ITEMS
                value = float(min(5, max(1, round(truth[index] + gauss(0.0, 1.0)))))
                answered["pain", index + 1].append(_Held(run_id, day, person, value, None))
            worst = f"DEBT-{offset + 1}"
            answered["worst", None].append(_Held(run_id, day, person, None, worst))
        # The per-run keys, in no order that lines up with anything (sorted HMACs).
        participation.extend((TEAM, run_id, key, day.isoformat()) for key in sorted(keys))
        at = _ts(_midnight(day))
        released: list[tuple[object, ...]] = []
        for question, item in sorted(answered, key=lambda qi: (qi[0], qi[1] or 0)):
            pool = [h for h in held[question, item] if h.day >= day - horizon]
            pool += answered[question, item]
            people = len({h.person for h in pool})
            if people < MIN_GROUP:
                held[question, item] = pool
                continue
            group = [
                (TEAM, run_id, question, item, _token(rng), h.value, h.text, at, at[:10], at)
                for h in pool
            ]
            rng.shuffle(group)
            released += group
            releases.append((TEAM, run_id, question, item, day.isoformat(), people, len(pool)))
            held[question, item] = []
        con.executemany(
            "INSERT INTO response (team_id, poll_run_id, question_id, debt_item_id, respondent,"
            " value, text, answered_at, answered_day, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            released,
        )
    con.executemany(
        "INSERT INTO answer_release (team_id, poll_run_id, question_id, debt_item_id, day,"
        " people, answers) VALUES (?, ?, ?, ?, ?, ?, ?)",
        releases,
    )
    con.executemany(
        "INSERT INTO participation (team_id, poll_run_id, user_id, answered_on)"
        " VALUES (?, ?, ?, ?)",
        participation,
    )
    # What never reached a group: held while younger than the horizon, then expired.
    expire_before = datetime.now(UTC).date() - horizon
    con.executemany(
        "INSERT INTO held_answer (team_id, poll_run_id, question_id, debt_item_id, respondent,"
        " key_id, person, value, text, answered_day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                TEAM,
                h.run_id,
                question,
                item,
                respondent_key(secret=ANON_SECRET, run_id=h.run_id, user_id=_user(h.person)),
                *_person(h.person),
                h.value,
                h.text,
                h.day.isoformat(),
            )
            for (question, item), pool in held.items()
            for h in pool
            if h.day >= expire_before
        ),
    )


@functools.cache
def _person(person: int) -> tuple[str, str]:
    return person_key(secret=ANON_SECRET, team_id=TEAM, user_id=_user(person))


def _token(rng: random.Random) -> str:
    """A released answer's respondent: a fresh random key, as ``held._release`` writes."""
    return f"anon:{rng.getrandbits(160):040x}"


def _insert_signals(con: sqlite3.Connection, rng: random.Random, last_run: date) -> None:
    now = datetime.combine(last_run, datetime.min.time(), tzinfo=UTC)
    rows = []
    for n in range(SIGNALS):
        observed = now - timedelta(minutes=rng.randrange(120 * 24 * 60))
        rows.append(
            (
                TEAM,
                rng.randint(1, ITEMS),
                rng.choice(_KINDS),
                float(rng.choice((1, 1, 1, 2, 5))),
                "bench",
                _ts(observed),
                f"bench-{n}",
                _ts(observed),
            )
        )
    con.executemany(
        "INSERT INTO signal (team_id, debt_item_id, kind, value, source, observed_at, dedup_key,"
        " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def fixture_arguments(description: str, *, repeat: str | None = None) -> argparse.ArgumentParser:
    """The options of every benchmark on this database: ``--db``, ``--responses`` and, when
    ``repeat`` names what is repeated, ``--repeat`` (checked to be at least 1)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", type=Path, default=DEFAULT_PATH, help="fixture database file")
    parser.add_argument("--responses", type=int, default=1_000_000, help="pain answers")
    if repeat is not None:
        parser.add_argument("--repeat", type=_at_least_one, default=5, help=repeat)
    return parser


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: list[str] | None = None) -> None:
    args = fixture_arguments(__doc__.splitlines()[0]).parse_args(argv)
    path = ensure_bench_db(args.db, responses=args.responses)
    print(f"{path} ({os.path.getsize(path) / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
