"""Poll runs, their deliveries and who took part. A slot fires once; a delivery is made once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, func, select

from storage import deferred
from storage.dialect import insert, insert_for
from storage.models import Participation, PollDelivery, PollRun, Survey
from storage.types import utcnow


def run_by_slot(
    session: Session, *, team_id: str, survey_id: str, scheduled_for: datetime
) -> PollRun | None:
    """The team's run of the survey for the slot ``scheduled_for``; None when it never ran."""
    return session.exec(
        select(PollRun).where(
            PollRun.team_id == team_id,
            PollRun.survey_id == survey_id,
            PollRun.scheduled_for == scheduled_for,
        )
    ).first()


def ran_between(
    session: Session, *, team_id: str, survey_id: str, start: datetime | None, end: datetime
) -> bool:
    """Whether the survey had a run for a slot in ``[start, end)`` (``start`` None: ever)."""
    statement = select(PollRun.id).where(
        PollRun.team_id == team_id,
        PollRun.survey_id == survey_id,
        col(PollRun.scheduled_for) < end,
    )
    if start is not None:
        statement = statement.where(col(PollRun.scheduled_for) >= start)
    return session.exec(statement.limit(1)).first() is not None


def claim_run(
    session: Session,
    *,
    team_id: str,
    survey_id: str,
    scheduled_for: datetime,
    values: dict[str, Any] | None = None,
) -> tuple[PollRun, bool]:
    """Create the run for a slot unless it exists; returns (run, created).

    The unique constraint on (survey, team, slot) decides: of two racing callers exactly
    one gets ``created=True``.
    """
    row = {"team_id": team_id, "survey_id": survey_id, "scheduled_for": scheduled_for}
    row |= values or {}
    row.setdefault("status", "open")
    row.setdefault("anonymous", False)
    row.setdefault("content_hash", "")
    row.setdefault("frozen", {})
    row.setdefault("source", "schedule")
    statement = (
        insert(session, PollRun)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["survey_id", "team_id", "scheduled_for"])
        .returning(PollRun.id)
    )
    created = session.execute(statement).first() is not None
    run = run_by_slot(session, team_id=team_id, survey_id=survey_id, scheduled_for=scheduled_for)
    assert run is not None
    return run, created


def plan_delivery(
    session: Session,
    *,
    run: PollRun,
    recipient: str,
    channel_id: str = "",
    due_at: datetime | None = None,
) -> bool:
    """Record a delivery before sending (not before ``due_at``); False when one exists."""
    statement = (
        insert(session, PollDelivery)
        .values(
            team_id=run.team_id,
            poll_run_id=run.id,
            recipient=recipient,
            channel_id=channel_id,
            status="pending",
            attempts=0,
            last_error="",
            message_ts="",
            reminders_sent=0,
            updated_at=utcnow(),
            due_at=due_at,
        )
        .on_conflict_do_nothing(index_elements=["poll_run_id", "recipient"])
        .returning(PollDelivery.id)
    )
    return session.execute(statement).first() is not None


def deliveries(session: Session, *, run_id: int, status: str | None = None) -> list[PollDelivery]:
    query = select(PollDelivery).where(PollDelivery.poll_run_id == run_id)
    if status is not None:
        query = query.where(PollDelivery.status == status)
    return list(session.exec(query.order_by(col(PollDelivery.id))))


def record_participation(
    session: Session, *, run: PollRun | RunState, user_id: str, answered_on: date
) -> None:
    """Note that ``user_id`` answered ``run`` (no answer is stored here)."""
    statement = _participation_statement(session.get_bind().dialect.name)
    row = {"team_id": run.team_id, "poll_run_id": run.id, "user_id": user_id}
    deferred.execute(session, statement, [row | {"answered_on": answered_on}])


@cache
def _participation_statement(dialect: str) -> Any:
    table: Any = Participation.__table__  # type: ignore[attr-defined]
    statement = insert_for(dialect, table).inline()  # nothing read back: see storage.deferred
    return statement.on_conflict_do_nothing(index_elements=["poll_run_id", "user_id"])


def participation_count(session: Session, *, run_id: int) -> int:
    statement = select(func.count()).where(Participation.poll_run_id == run_id)
    return int(session.exec(statement).one())


class RunSummary(NamedTuple):
    run: PollRun
    respondents: int
    direct_recipients: int


def recent_runs(session: Session, *, team_id: str, limit: int = 15) -> list[RunSummary]:
    """Open runs first, then the most recent, with respondent and DM-recipient counts."""
    runs = list(
        session.exec(
            select(PollRun)
            .where(PollRun.team_id == team_id)
            .order_by(col(PollRun.status).desc(), col(PollRun.scheduled_for).desc())
            .limit(limit)
        )
    )
    ids = [run.id for run in runs]
    answered = dict(
        session.exec(
            select(Participation.poll_run_id, func.count())
            .where(col(Participation.poll_run_id).in_(ids))
            .group_by(col(Participation.poll_run_id))
        ).all()
    )
    direct = dict(
        session.exec(
            select(PollDelivery.poll_run_id, func.count())
            .where(col(PollDelivery.poll_run_id).in_(ids), col(PollDelivery.recipient).like("U%"))
            .group_by(col(PollDelivery.poll_run_id))
        ).all()
    )
    return [
        RunSummary(run, int(answered.get(run.id or 0, 0)), int(direct.get(run.id or 0, 0)))
        for run in runs
    ]


def open_runs_reaching(
    session: Session, *, team_id: str, user_id: str, participant: Callable[[PollRun], str]
) -> list[tuple[PollRun, str]]:
    """Open runs ``user_id`` has not answered that were delivered to them or to a channel,
    each with that recipient (the user's id for a DM, else the channel's id).

    ``participant(run)`` is how the run records the user's participation: the user id, or
    for an anonymous run the per-run key (no user id is stored when someone answers).
    """
    rows = list(
        session.exec(
            select(PollRun, PollDelivery.recipient)
            .join(PollDelivery, col(PollDelivery.poll_run_id) == col(PollRun.id))
            .where(
                PollRun.team_id == team_id,
                PollRun.status == "open",
                PollDelivery.status == "sent",
                (col(PollDelivery.recipient) == user_id)
                | col(PollDelivery.recipient).startswith("C")
                | col(PollDelivery.recipient).startswith("G"),
            )
            .order_by(col(PollRun.id))
        )
    )
    keys = {run.id: participant(run) for run, _ in rows}
    found = session.exec(
        select(Participation.poll_run_id, Participation.user_id).where(
            col(Participation.poll_run_id).in_(list(keys)),
            col(Participation.user_id).in_(set(keys.values())),
        )
    ).all()
    answered = {run_id for run_id, who in found if keys.get(run_id) == who}
    return [(run, recipient) for run, recipient in rows if run.id not in answered]


def mark_delivery(
    session: Session,
    *,
    delivery_id: int,
    status: str,
    now: datetime,
    channel_id: str = "",
    message_ts: str = "",
    error: str = "",
) -> None:
    delivery = session.get(PollDelivery, delivery_id)
    assert delivery is not None
    delivery.status = status
    delivery.attempts += 1
    delivery.updated_at = now
    if channel_id:
        delivery.channel_id = channel_id
    if message_ts:
        delivery.message_ts = message_ts
    delivery.last_error = error[:200]
    session.add(delivery)


def runs_with_status(session: Session, *, status: str, team_id: str | None = None) -> list[PollRun]:
    """The runs in ``status`` (of ``team_id`` only, when given), oldest first."""
    query = select(PollRun).where(PollRun.status == status)
    if team_id is not None:
        query = query.where(PollRun.team_id == team_id)
    return list(session.exec(query.order_by(col(PollRun.id))))


def teams_with_open_runs(session: Session) -> list[str]:
    """The teams that have an open run (the tick's work is theirs), sorted."""
    query = select(PollRun.team_id).where(PollRun.status == "open").distinct()
    return sorted(session.exec(query))


def close_run(session: Session, *, run_id: int, now: datetime) -> bool:
    """Mark the run closed; False when it was closed already (so only one closer acts)."""
    result = session.execute(
        update(PollRun)
        .where(col(PollRun.id) == run_id, col(PollRun.status) == "open")
        .values(status="closed", closed_at=now)
        .returning(col(PollRun.id))
    )
    return result.first() is not None


def respondents(session: Session, *, run_id: int) -> set[str]:
    """Who answered the run: user ids, or per-run keys for an anonymous run."""
    return set(
        session.exec(select(Participation.user_id).where(Participation.poll_run_id == run_id))
    )


def count_respondents(session: Session, *, run_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Participation)
            .where(Participation.poll_run_id == run_id)
        ).one()
    )


def previous_run(session: Session, *, run: PollRun) -> PollRun | None:
    """The survey's latest closed run before ``run``."""
    return session.exec(
        select(PollRun)
        .where(
            PollRun.team_id == run.team_id,
            PollRun.survey_id == run.survey_id,
            col(PollRun.scheduled_for) < run.scheduled_for,
            PollRun.status == "closed",
        )
        .order_by(col(PollRun.scheduled_for).desc())
        .limit(1)
    ).first()


def note_reminder(session: Session, *, delivery_id: int, covers: int, now: datetime) -> bool:
    """Claim the reminder that covers the first ``covers`` reminder offsets of the run: True
    for the one caller that recorded it, False when another did already (one conditional
    UPDATE: of two workers reminding at once, the second finds the row changed)."""
    result = session.execute(
        update(PollDelivery)
        .where(col(PollDelivery.id) == delivery_id, col(PollDelivery.reminders_sent) < covers)
        .values(reminders_sent=covers, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def record_survey(
    session: Session,
    *,
    team_id: str,
    survey_id: str,
    content_hash: str,
    definition: dict[str, Any],
    source: str,
    now: datetime,
) -> None:
    """Keep the template a run was opened from (replaced when the file changes)."""
    statement = insert(session, Survey).values(
        team_id=team_id,
        survey_id=survey_id,
        content_hash=content_hash,
        definition=definition,
        source=source,
        loaded_at=now,
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["team_id", "survey_id"],
            set_={
                "content_hash": statement.excluded.content_hash,
                "definition": statement.excluded.definition,
                "source": statement.excluded.source,
                "loaded_at": statement.excluded.loaded_at,
            },
            where=Survey.content_hash != statement.excluded.content_hash,
        )
    )


def run_by_id(session: Session, *, run_id: int, team_id: str | None = None) -> PollRun | None:
    """The run, as a copy read with one plain SELECT (not tracked by the session: the
    answer hot path); None when missing or, with ``team_id``, of another team."""
    table: Any = PollRun.__table__  # type: ignore[attr-defined]
    row = session.connection().execute(select(table).where(table.c.id == run_id)).first()
    if row is None or (team_id is not None and row.team_id != team_id):
        return None
    return PollRun(**row._mapping)


class RunState(NamedTuple):
    """What answering needs of a run, without its frozen questions (the answer hot path)."""

    id: int
    team_id: str
    status: str
    closes_at: datetime | None
    closed_at: datetime | None
    anonymous: bool
    content_hash: str


def run_state(
    session: Session, *, run_id: int, team_id: str | None = None, reuse: bool = False
) -> RunState | None:
    """The run's state with one narrow SELECT, without its frozen questions (a one-click
    vote needs none of them); None when missing or, with ``team_id``, of another team.

    ``reuse``: read once per transaction (answers written together, which change no run).
    """
    known: dict[int, Any] = session.info.setdefault("run_state", {}) if reuse else {}
    row = known.get(run_id)
    if row is None:
        row = session.connection().execute(_run_state_statement(), {"run_id": run_id}).first()
        if reuse:
            known[run_id] = row
    if row is None or (team_id is not None and row.team_id != team_id):
        return None
    return RunState(*row)


@cache
def _run_state_statement() -> Any:
    table: Any = PollRun.__table__  # type: ignore[attr-defined]
    columns = [table.c[name] for name in RunState._fields]
    return select(*columns).where(table.c.id == bindparam("run_id"))


def run_answering(
    session: Session, *, run_id: int, team_id: str | None = None
) -> tuple[RunState, dict[str, Any]] | None:
    """The run's state and its frozen questions with one narrow SELECT (no ORM object: the
    answer modal's hot path); None when missing or, with ``team_id``, of another team."""
    row = session.connection().execute(_run_answering_statement(), {"run_id": run_id}).first()
    if row is None or (team_id is not None and row.team_id != team_id):
        return None
    *state, frozen = row
    return RunState(*state), dict(frozen)


@cache
def _run_answering_statement() -> Any:
    table: Any = PollRun.__table__  # type: ignore[attr-defined]
    columns = [table.c[name] for name in RunState._fields] + [table.c.frozen]
    return select(*columns).where(table.c.id == bindparam("run_id"))


def run_frozen(session: Session, *, run_id: int) -> dict[str, Any]:
    """The questions and items frozen when the run opened (what :func:`run_state` leaves out)."""
    table: Any = PollRun.__table__  # type: ignore[attr-defined]
    frozen = session.connection().execute(select(table.c.frozen).where(table.c.id == run_id))
    return dict(frozen.scalar_one())
