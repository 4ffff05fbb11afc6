"""Answers collected elsewhere (another survey tool's export), imported as CSV.

Layout (DESIGN §3): ``survey_id,run_date,respondent,question_id,debt_key,value,text``.
Each row is checked against its survey's question. Answers to an anonymous survey are held
as live ones are, under the per-run key and the day, and released at the end of the import
(the imported runs are closed) in groups of at least the minimum group of people — the rule
live answers follow (:mod:`storage.held`); participation is keyed the same way. Released
answers keep no key, so an anonymous run is imported once: a file naming a run that has
answers already is refused. One bad row rejects the whole file.

An ``hours`` question's ``value`` is the number of hours of one of its buckets (``0``,
``0.5``, ``1.5``, ``3``, ``6``, ``12``, ``20``); any other number is refused with the row's
line, not rounded to a bucket, so an imported answer means what a clicked one does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from bot.core.answers import AnswerError, check_answer
from bot.core.csvfile import read_rows
from bot.core.problems import InputRejected, Problem
from bot.core.score_settings import DEFAULT_SETTINGS, ScoreSettings
from bot.services.poll_answers import respondent_of, store_answer
from storage import held, polls, register
from storage.models import DebtItem, PollRun
from surveys import LoadedTemplate
from surveys.questions import LikertQuestion, Question

COLUMNS = ("survey_id", "run_date", "respondent", "question_id", "debt_key", "value", "text")
REQUIRED = ("survey_id", "run_date", "respondent", "question_id", "value")
MAX_RESPONDENT = 128


@dataclass(frozen=True)
class ResponseRow:
    line: int
    survey: LoadedTemplate
    run_date: date
    respondent: str
    question_id: str
    debt_key: str | None
    value: float | None
    text: str | None

    @property
    def slot(self) -> tuple[str, date, str, str, str | None]:
        """What one stored answer is keyed by: a second row for it would replace the first."""
        question = self.survey.survey.question(self.question_id) if self.survey.survey else None
        item = self.debt_key if question is not None and question.over_debt_items else None
        return (self.survey.id, self.run_date, self.respondent, self.question_id, item)


@dataclass(frozen=True)
class ResponsesSummary:
    answers: int
    runs_created: int
    respondents: int
    held: int = 0
    """Anonymous answers left held after the import: no group of ``min_group`` people yet."""
    min_group: int = 5

    def __str__(self) -> str:
        text = (
            f"{_count(self.answers, 'answer')} stored from "
            f"{_count(self.respondents, 'respondent')}, "
            f"{_count(self.runs_created, 'run')} created"
        )
        if self.held:
            text += (
                f"; {_count(self.held, 'anonymous answer')} held until at least "
                f"{self.min_group} people have answered the same question about the same item"
            )
        return text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def parse_responses(
    text: str,
    *,
    catalog: dict[str, LoadedTemplate],
    anon_secret_set: bool,
    today: date,
) -> list[ResponseRow]:
    """Check every row against the surveys; raise InputRejected with every problem.

    A ``run_date`` after ``today`` (the caller's date) is refused: it would become the
    newest run.
    """
    rows: list[ResponseRow] = []
    parsed, problems = read_rows(text, columns=COLUMNS, required=REQUIRED)
    first_line: dict[tuple[str, date, str, str, str | None], int] = {}
    for line, cells in parsed:
        try:
            row = _parse_row(line, cells, catalog, anon_secret_set, today)
        except InputRejected as exc:
            problems += exc.problems
            continue
        slot = row.slot
        if slot in first_line:
            about = f" about {row.debt_key}" if slot[4] else ""
            problems.append(
                Problem(
                    line,
                    "respondent",
                    f"{row.respondent}'s answer to {row.question_id}{about} on "
                    f"{row.run_date} is already on line {first_line[slot]}",
                )
            )
            continue
        first_line[slot] = line
        rows.append(row)
    if problems:
        raise InputRejected(problems)
    return rows


def _stray_cells(line: int, question: Question, cells: dict[str, str]) -> list[Problem]:
    """A cell the question does not take is an error, not silently dropped."""
    value, text = cells.get("value", ""), cells.get("text", "")
    if question.type == "text" and value:
        return [Problem(line, "value", f"question {question.id} takes text, not a value")]
    if question.type in ("likert", "nps", "hours") and text:
        return [Problem(line, "text", f"question {question.id} takes a value, not text")]
    if question.type == "choice" and value and text:
        return [Problem(line, "text", f"question {question.id} takes its option in value only")]
    if question.type == "debt_item_choice":
        return [
            Problem(line, name, f"question {question.id} takes its answer in debt_key only")
            for name, cell in (("value", value), ("text", text))
            if cell
        ]
    return []


def _parse_row(
    line: int,
    cells: dict[str, str],
    catalog: dict[str, LoadedTemplate],
    anon_secret_set: bool,
    today: date,
) -> ResponseRow:
    problems = []
    survey = catalog.get(cells["survey_id"])
    if survey is None or survey.survey is None:
        known = ", ".join(sorted(t.id for t in catalog.values() if t.survey is not None))
        raise InputRejected(
            [Problem(line, "survey_id", f"no survey {cells['survey_id']!r} (known: {known})")]
        )
    if survey.survey.anonymous and not anon_secret_set:
        problems.append(
            Problem(line, "survey_id", f"{survey.id} is anonymous: set DEBTPULSE_ANON_SECRET")
        )
    try:
        run_date = date.fromisoformat(cells["run_date"])
    except ValueError:
        problems.append(
            Problem(line, "run_date", f"expected YYYY-MM-DD, got {cells['run_date']!r}")
        )
        run_date = date.min
    if run_date > today:
        problems.append(Problem(line, "run_date", f"{run_date} is after today ({today})"))
    respondent = cells["respondent"]
    if not respondent or len(respondent) > MAX_RESPONDENT:
        problems.append(
            Problem(line, "respondent", f"required, at most {MAX_RESPONDENT} characters")
        )
    question = survey.survey.question(cells["question_id"])
    if question is None:
        known = ", ".join(q.id for q in survey.survey.questions)
        problems.append(
            Problem(
                line,
                "question_id",
                f"{survey.id} has no question {cells['question_id']!r} ({known})",
            )
        )
        raise InputRejected(problems)
    debt_key = cells.get("debt_key", "").upper() or None
    about_item = question.over_debt_items or question.type == "debt_item_choice"
    if about_item and debt_key is None:
        problems.append(Problem(line, "debt_key", f"question {question.id} is about a debt item"))
    if not about_item and debt_key is not None:
        problems.append(
            Problem(line, "debt_key", f"question {question.id} is not about a debt item")
        )
    problems += _stray_cells(line, question, cells)
    text = cells.get("text") or None
    if question.type == "debt_item_choice":
        text = debt_key
    try:
        answer = check_answer(question, value=cells["value"], text=text)
    except AnswerError as exc:
        problems.append(Problem(line, exc.field, exc.message))
    else:
        problems += _whole_points(line, question, answer.value)
    if problems:
        raise InputRejected(problems)
    return ResponseRow(
        line=line,
        survey=survey,
        run_date=run_date,
        respondent=respondent,
        question_id=question.id,
        debt_key=debt_key,
        value=answer.value,
        text=answer.text,
    )


def _whole_points(line: int, question: Question, value: float | None) -> list[Problem]:
    """Only the points of a likert scale are answers: 4.5 is not (NPS is checked already)."""
    if isinstance(question, LikertQuestion) and value is not None and value != int(value):
        low, high = question.scale.min, question.scale.max
        return [Problem(line, "value", f"expected a whole number from {low} to {high}")]
    return []


def _run_for(
    session: Session, *, team_id: str, survey: LoadedTemplate, day: date
) -> tuple[PollRun, bool]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    existing = session.exec(
        select(PollRun)
        .where(
            PollRun.team_id == team_id,
            PollRun.survey_id == survey.id,
            col(PollRun.scheduled_for) >= start,
            col(PollRun.scheduled_for) < start + timedelta(days=1),
        )
        .order_by(col(PollRun.scheduled_for))
    ).first()
    if existing is not None:
        return existing, False
    assert survey.survey is not None
    return polls.claim_run(
        session,
        team_id=team_id,
        survey_id=survey.id,
        scheduled_for=start,
        values={
            "status": "closed",
            "opened_at": start,
            "closes_at": start,
            "closed_at": start,
            "anonymous": survey.survey.anonymous,
            "content_hash": survey.content_hash,
            "source": "import",
        },
    )


def _lock_order(
    row: ResponseRow, items: dict[str, DebtItem | None]
) -> tuple[bool, int, str, date, int]:
    """A run's rows are stored item by item in id order, as live answers are
    (``record_answers``): the per-item sums are then locked in one order, so an import beside
    people answering on PostgreSQL waits instead of deadlocking. A file holds no answer
    twice, so the order changes nothing that is stored."""
    item = items.get(row.debt_key) if row.debt_key else None
    item_id = item.id if item is not None else None
    return item_id is None, item_id or 0, row.survey.id, row.run_date, row.line


def store_responses(
    session: Session,
    *,
    team_id: str,
    rows: list[ResponseRow],
    anon_secret: str | None,
    settings: ScoreSettings = DEFAULT_SETTINGS,
) -> ResponsesSummary:
    """Write the rows in the caller's transaction; an unknown debt key rejects them all, as
    does an anonymous run that has answers already (they cannot be told apart or replaced).
    ``settings``: the minimum group and scoring horizon anonymous answers are released by."""
    keys = {row.debt_key for row in rows if row.debt_key}
    items = {key: register.get_item(session, team_id=team_id, key=key) for key in keys}
    unknown = [
        Problem(row.line, "debt_key", f"no debt item {row.debt_key} in this team")
        for row in rows
        if row.debt_key and items[row.debt_key] is None
    ]
    if unknown:
        raise InputRejected(unknown)
    runs: dict[tuple[str, date], PollRun] = {}
    created = 0
    answered: list[Problem] = []
    horizon = timedelta(weeks=settings.pain_horizon_weeks)
    # Run by run, oldest first, each closed run released before the next is stored: a pool
    # then holds what came before a run, as it does when runs close one after another.
    for slot_rows in _by_run(rows):
        first = slot_rows[0]
        run, was_created = _run_for(
            session, team_id=team_id, survey=first.survey, day=first.run_date
        )
        runs[(first.survey.id, first.run_date)] = run
        created += was_created
        assert run.id is not None
        if run.anonymous and not was_created and held.run_has_answers(session, run_id=run.id):
            answered.append(_answered_already(first))
        if answered:
            continue
        for row in sorted(slot_rows, key=lambda row: _lock_order(row, items)):
            _store(session, row=row, run=run, items=items, anon_secret=anon_secret)
        if run.anonymous and run.status == "closed":
            held.release_at_close(session, run=run, min_group=settings.min_group, horizon=horizon)
    if answered:
        raise InputRejected(answered)
    ids = [run.id for run in runs.values() if run.id is not None and run.anonymous]
    return ResponsesSummary(
        answers=len(rows),
        runs_created=created,
        respondents=len({(row.survey.id, row.run_date, row.respondent) for row in rows}),
        held=held.held_in_runs(session, run_ids=ids),
        min_group=settings.min_group,
    )


def _by_run(rows: list[ResponseRow]) -> list[list[ResponseRow]]:
    """The rows per run (survey and day), oldest run first, then in file order."""
    slots: dict[tuple[date, str], list[ResponseRow]] = {}
    for row in rows:
        slots.setdefault((row.run_date, row.survey.id), []).append(row)
    return [slots[slot] for slot in sorted(slots)]


def _answered_already(row: ResponseRow) -> Problem:
    return Problem(
        row.line,
        "run_date",
        f"{row.survey.id} is anonymous and its run of {row.run_date.isoformat()} has answers"
        " already: anonymous answers are released in groups and keep no key, so they cannot"
        " be replaced or added to (import each anonymous run once, in one file)",
    )


def _store(
    session: Session,
    *,
    row: ResponseRow,
    run: PollRun,
    items: dict[str, DebtItem | None],
    anon_secret: str | None,
) -> None:
    """One row: held (anonymous) or stored (named), with the run's participation."""
    item = items.get(row.debt_key) if row.debt_key else None
    question = row.survey.survey.question(row.question_id) if row.survey.survey else None
    item_id = item.id if item is not None and question and question.over_debt_items else None
    at = datetime.combine(row.run_date, time(), tzinfo=UTC)
    who = respondent_of(run, user=row.respondent, secret=anon_secret, at=at)
    store_answer(
        session,
        run=run,
        who=who,
        question_id=row.question_id,
        item_id=item_id,
        value=row.value,
        text_value=row.text,
    )
    polls.record_participation(session, run=run, user_id=who.key, answered_on=row.run_date)
