"""The team the browser tests look at: a register, weeks of anonymous answers, signals and
snapshots, written through the services the CLI uses, relative to today.

Every open item but DEBT-5 is answered by 8 people a week, so its answers are released and
shown; DEBT-5 only by 3, so it stays "fewer than N people". Items span both categories and
several components (two in ``pipeline``, for the filter); DEBT-1 was assessed twice (a
history and an audit trail with reasons); DEBT-1 and DEBT-3 have signals from two sources.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

from bot.runtime import Runtime
from bot.services.ranking import current_ranking
from bot.services.register import import_register
from bot.services.register_csv import parse_register
from bot.services.responses_csv import parse_responses, store_responses
from bot.services.signals_in import parse_jsonl, store_signals
from bot.services.snapshots import take_snapshot
from storage import db

ANON_SECRET = "e2e-anon-secret"
REGISTER = """key,title,category,component,effort,owner,impact,likelihood,detectability
DEBT-1,Flaky data ingestion,operational,pipeline,M,U0OWNER,3,3,3
DEBT-2,Copy-paste training notebooks,experimentation,training,S,,2,3,2
DEBT-3,Manual model deployment,operational,serving,L,,3,4,2
DEBT-4,Missing drift monitoring,operational,monitoring,M,U0OWNER,3,2,4
DEBT-5,Hardcoded features in the recommender prototype,experimentation,recsys,S,,2,2,2
DEBT-6,Backfills run by hand,operational,pipeline,S,,2,2,3
"""
REASSESSED = """key,title,impact,likelihood,detectability
DEBT-1,Flaky data ingestion,5,4,3
"""
REASSESSED_KEY, REASSESSED_REASON = "DEBT-1", "two outages in a month"
#: Each item's pain, oldest week first (DEBT-1 worsens, DEBT-3 eases).
PAIN = {
    "DEBT-1": (3, 4, 4, 5),
    "DEBT-2": (2, 2, 2, 2),
    "DEBT-3": (5, 4, 4, 3),
    "DEBT-4": (3, 3, 3, 3),
    "DEBT-5": (4, 4, 4, 4),
    "DEBT-6": (2, 2, 3, 3),
}
FEW = {"DEBT-5"}  # answered by too few people to be shown
TRENDS = {"DEBT-1": "pain worsening", "DEBT-3": "pain improving"}
PEOPLE, FEW_PEOPLE = 8, 3
COMPONENTS = {"pipeline": {"DEBT-1", "DEBT-6"}}


def _monday(today: date) -> date:
    return today - timedelta(days=today.weekday())


def run_days(today: date) -> list[date]:
    """The four past weeks' Mondays, oldest first (all closed: this week's is not used)."""
    this_week = _monday(today)
    return [this_week - timedelta(weeks=weeks) for weeks in (4, 3, 2, 1)]


def answers_csv(today: date) -> str:
    lines = ["survey_id,run_date,respondent,question_id,debt_key,value,text"]
    for week, day in enumerate(run_days(today)):
        for key, pains in PAIN.items():
            for person in range(FEW_PEOPLE if key in FEW else PEOPLE):
                value = max(1, min(5, pains[week] + (person % 3) - 1))
                lines.append(f"weekly-debt-pulse,{day},p{person},pain,{key},{value},")
    return "\n".join(lines) + "\n"


def signals_jsonl(now: datetime) -> str:
    sent = [
        ("DEBT-1", "incident", "pagerduty", 2),
        ("DEBT-1", "incident", "pagerduty", 9),
        ("DEBT-1", "alert", "alertmanager", 3),
        ("DEBT-3", "alert", "alertmanager", 1),
        ("DEBT-3", "alert", "alertmanager", 5),
        ("DEBT-3", "ci_failure", "github", 4),
    ]
    return "".join(
        json.dumps(
            {
                "debt_key": key,
                "kind": kind,
                "value": 1,
                "source": source,
                "observed_at": (now - timedelta(days=days)).isoformat(),
                "dedup_key": f"{source}-{key}-{days}",
            }
        )
        + "\n"
        for key, kind, source, days in sent
    )


def seed(runtime: Runtime, *, team: str, now: datetime) -> None:
    """Write the team's weeks into ``runtime``'s database, one transaction per step."""
    engine = runtime.engine
    today = now.date()
    with db.session_scope(engine) as session:
        import_register(
            session,
            team_id=team,
            rows=parse_register(REGISTER),
            actor="U0LEAD",
            reason="imported the register",
            now=now - timedelta(weeks=6),
        )
    with db.session_scope(engine) as session:
        import_register(
            session,
            team_id=team,
            rows=parse_register(REASSESSED),
            actor="U0LEAD",
            reason=REASSESSED_REASON,
            now=now - timedelta(weeks=2),
        )
    with db.session_scope(engine) as session:
        rows = parse_responses(
            answers_csv(today), catalog=runtime.catalog, anon_secret_set=True, today=today
        )
        store_responses(
            session,
            team_id=team,
            rows=rows,
            anon_secret=ANON_SECRET,
            settings=runtime.score_settings,
        )
    with db.session_scope(engine) as session:
        store_signals(session, team_id=team, items=parse_jsonl(signals_jsonl(now)), now=now)
    for day in run_days(today)[1:]:  # the weekly snapshots: trend arrows and history
        at = datetime.combine(day + timedelta(days=3), time(9), tzinfo=UTC)
        with db.session_scope(engine) as session:
            ranking = current_ranking(
                session, team_id=team, now=at, settings=runtime.score_settings
            )
            take_snapshot(session, ranking=ranking, team_id=team, actor="test", at=at)
