"""The debtpulse tables. Every row carries ``team_id`` (a Slack workspace id, or ``local``).

Constraints live in the database, not only in Python: a duplicate poll slot, delivery,
answer or signal is refused (or turned into an update) by a unique constraint, and enumerated
columns carry CHECK constraints so a bad value can never be stored by any code path.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class Category(StrEnum):
    experimentation = "experimentation"
    operational = "operational"


class Status(StrEnum):
    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"
    wont_fix = "wont_fix"
    accepted = "accepted"
    """Kept as it is on purpose until a review date (``accepted_until``): out of the ranking."""


class SignalKind(StrEnum):
    incident = "incident"
    alert = "alert"
    drift = "drift"
    flaky_test = "flaky_test"
    custom = "custom"
    ci_failure = "ci_failure"
    """A failed CI run (a GitHub workflow run, a GitLab pipeline or job)."""
    data_quality = "data_quality"
    """Data that failed its checks (an alert labelled so, a data-quality suite)."""
    code_quality = "code_quality"
    """A failed code-quality gate (SonarQube)."""


class MetricSource(StrEnum):
    api = "api"
    csv = "csv"


def _in(column: str, enum: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


def _between(column: str, low: int, high: int) -> str:
    return f"{column} BETWEEN {low} AND {high}"


def _fk(target: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> Any:
    return Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey(target, ondelete=ondelete),
            nullable=nullable,
            index=True,
        ),
    )


class DebtItem(SQLModel, table=True):
    """One entry of the debt register."""

    __tablename__ = "debt_item"
    __table_args__ = (
        UniqueConstraint("team_id", "key", name="uq_debt_item_team_key"),
        CheckConstraint(_in("category", Category), name="ck_debt_item_category"),
        CheckConstraint(_in("status", Status), name="ck_debt_item_status"),
        CheckConstraint("length(key) > 0", name="ck_debt_item_key_nonempty"),
        CheckConstraint("length(title) > 0", name="ck_debt_item_title_nonempty"),
        CheckConstraint(
            "effort_spent_days IS NULL OR (effort_spent_days >= 0 AND effort_spent_days <= 10000)",
            name="ck_debt_item_effort_spent",
        ),
        CheckConstraint(
            "(status = 'accepted' AND accepted_until IS NOT NULL) "
            "OR (status <> 'accepted' AND accepted_until IS NULL)",
            name="ck_debt_item_accepted_until",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    key: str = Field(max_length=32)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    category: str = Field(default=Category.operational.value, max_length=16)
    component: str = Field(default="", max_length=100)
    owner: str = Field(default="", max_length=64)
    status: str = Field(default=Status.open.value, max_length=16)
    effort: str = Field(default="", max_length=16)
    risk_flags: list[str] = Field(default_factory=list, sa_type=JSON)
    problem: str = Field(default="", sa_type=Text)
    affected_metrics: str = Field(default="", sa_type=Text)
    remediation: str = Field(default="", sa_type=Text)
    expected_impact: str = Field(default="", sa_type=Text)
    success_criterion: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    effort_spent_days: float | None = Field(default=None)
    """What fixing the item cost, in person-days (8 h a day, 5 days a week); None: not told."""
    accepted_until: date | None = Field(default=None)
    """The review date of an ``accepted`` item (set exactly then): it reopens on that day."""


class Assessment(SQLModel, table=True):
    """A lead's risk judgement of an item. History is kept; the newest counts."""

    __tablename__ = "assessment"
    __table_args__ = (
        CheckConstraint(_between("impact", 1, 5), name="ck_assessment_impact"),
        CheckConstraint(_between("likelihood", 1, 5), name="ck_assessment_likelihood"),
        CheckConstraint(_between("detectability", 1, 5), name="ck_assessment_detectability"),
        Index("ix_assessment_item_newest", "debt_item_id", "assessed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    debt_item_id: int = Field(
        sa_column=Column(Integer, ForeignKey("debt_item.id", ondelete="CASCADE"), nullable=False)
    )
    impact: int
    likelihood: int
    detectability: int
    assessed_by: str = Field(max_length=64)
    assessed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    note: str = Field(default="", sa_type=Text)


class Survey(SQLModel, table=True):
    """A survey or digest template as it was loaded (so a run can be explained later)."""

    __tablename__ = "survey"
    __table_args__ = (UniqueConstraint("team_id", "survey_id", name="uq_survey_team_survey"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    survey_id: str = Field(max_length=64)
    content_hash: str = Field(max_length=64)
    definition: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    source: str = Field(default="", max_length=500)
    loaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class PollRun(SQLModel, table=True):
    """One scheduled occurrence of a survey. A slot fires once, even across restarts."""

    __tablename__ = "poll_run"
    __table_args__ = (
        UniqueConstraint("survey_id", "team_id", "scheduled_for", name="uq_poll_run_slot"),
        CheckConstraint("status IN ('open', 'closed')", name="ck_poll_run_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    survey_id: str = Field(max_length=64)
    scheduled_for: datetime = Field(sa_type=UTCDateTime())
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    status: str = Field(default="open", max_length=16)
    anonymous: bool = Field(default=False)
    content_hash: str = Field(default="", max_length=64)
    frozen: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    source: str = Field(default="schedule", max_length=16)
    audience: int | None = Field(default=None)
    """How many people the run reached (DM recipients, or the channel's members); None: unknown."""


class PollDelivery(SQLModel, table=True):
    """One message of a run to one recipient. Recorded before sending, marked after."""

    __tablename__ = "poll_delivery"
    __table_args__ = (
        UniqueConstraint("poll_run_id", "recipient", name="uq_poll_delivery_recipient"),
        CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'skipped')", name="ck_poll_delivery_status"
        ),
        Index("ix_poll_delivery_queue", "team_id", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    poll_run_id: int = _fk("poll_run.id")
    recipient: str = Field(max_length=64)
    channel_id: str = Field(default="", max_length=64)
    message_ts: str = Field(default="", max_length=32)
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=200)
    reminders_sent: int = Field(default=0)
    """How many of the run's reminder offsets a reminder DM has covered (one DM may cover
    several that passed while no worker ran)."""
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    """Not sent before this time (the recipient's own local time, or when Slack asked to be
    tried again); None: at once."""

    @property
    def to_channel(self) -> bool:
        """A post in a channel (the recipient is a channel id), not a DM to a person."""
        return self.recipient.startswith(("C", "G"))


class PollResultPost(SQLModel, table=True):
    """A closed run's results, to be posted (or posted) in one channel: never lost.

    Recorded in the transaction that closes the run, then posted. The worker's tick posts any
    still ``pending`` (Slack was down at the close, or the process stopped before posting),
    so a restart loses no results. ``posting`` marks a post under way; one older than a send
    can take was interrupted and is tried again.
    """

    __tablename__ = "poll_result_post"
    __table_args__ = (
        UniqueConstraint("poll_run_id", "channel_id", name="uq_poll_result_post_channel"),
        CheckConstraint(
            "status IN ('pending', 'posting', 'posted', 'failed')",
            name="ck_poll_result_post_status",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    poll_run_id: int = _fk("poll_run.id")
    channel_id: str = Field(max_length=64)
    thread_ts: str = Field(default="", max_length=32)
    """The poll message's ts: the results go in its thread; empty: a message of its own."""
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=200)
    message_ts: str = Field(default="", max_length=32)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class Response(SQLModel, table=True):
    """One answer. Re-answering the same question (about the same item) replaces it.

    ``debt_item_id`` is NULL for questions not about an item. SQL treats NULLs as distinct in a
    unique constraint, so a partial unique index covers those answers.
    """

    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint(
            "poll_run_id", "question_id", "debt_item_id", "respondent", name="uq_response_answer"
        ),
        Index(
            "uq_response_answer_general",
            "poll_run_id",
            "question_id",
            "respondent",
            unique=True,
            sqlite_where=text("debt_item_id IS NULL"),
            postgresql_where=text("debt_item_id IS NULL"),
        ),
        Index("ix_response_item_question", "debt_item_id", "question_id", "answered_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    poll_run_id: int = _fk("poll_run.id")
    question_id: str = Field(max_length=64)
    debt_item_id: int | None = Field(
        default=None,
        sa_column=Column(
            "debt_item_id", Integer, ForeignKey("debt_item.id", ondelete="CASCADE"), nullable=True
        ),
    )
    respondent: str = Field(max_length=128)
    value: float | None = Field(default=None)
    text: str | None = Field(default=None, sa_type=Text)
    answered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    answered_day: date | None = Field(default=None)
    """The UTC day of ``answered_at``, kept so the score groups answers by day from an index."""
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class Participation(SQLModel, table=True):
    """Who answered a run, with no answer in it (drives reminders to non-respondents).

    ``user_id`` is the Slack user id for a named run; for an anonymous run it is the
    respondent's per-run key (as in ``held_answer``), so no table of an anonymous run holds a
    user id written when someone answered.
    """

    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("poll_run_id", "user_id", name="uq_participation_run_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    poll_run_id: int = _fk("poll_run.id")
    user_id: str = Field(max_length=64)
    answered_on: date


class HeldAnswer(SQLModel, table=True):
    """An anonymous answer not yet released: never shown, counted or exported.

    An anonymous run's answers are held while it is open. At its close, the answers to a
    question about an item are released (moved to ``response``) when at least the minimum
    group of distinct people gave them, pooled with the item's answers still held from
    earlier closed runs; otherwise they stay here until a later close completes a group, or
    expire unreleased when older than the scoring horizon.

    ``respondent`` is the per-run key (a re-answer replaces the earlier answer); ``person``
    (a keyed hash of team + user id, under the secret named by ``key_id``) counts distinct
    people across runs, and exists only here: a released answer keeps neither.
    """

    __tablename__ = "held_answer"
    __table_args__ = (
        UniqueConstraint(
            "poll_run_id", "question_id", "debt_item_id", "respondent", name="uq_held_answer"
        ),
        Index(
            "uq_held_answer_general",
            "poll_run_id",
            "question_id",
            "respondent",
            unique=True,
            sqlite_where=text("debt_item_id IS NULL"),
            postgresql_where=text("debt_item_id IS NULL"),
        ),
        Index("ix_held_answer_pool", "team_id", "question_id", "debt_item_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    poll_run_id: int = _fk("poll_run.id")
    question_id: str = Field(max_length=64)
    debt_item_id: int | None = Field(
        default=None,
        sa_column=Column(
            "debt_item_id", Integer, ForeignKey("debt_item.id", ondelete="CASCADE"), nullable=True
        ),
    )
    respondent: str = Field(max_length=128)
    key_id: str = Field(max_length=16)
    person: str = Field(max_length=128)
    value: float | None = Field(default=None)
    text: str | None = Field(default=None, sa_type=Text)
    answered_day: date


class AnswerRelease(SQLModel, table=True):
    """A group of anonymous answers released together: to one question (about one item, or
    none), by at least the minimum group of distinct people, at the close of ``poll_run_id``.

    The released answers are the ``response`` rows of that run, question and item; they all
    carry the run's day, so no number can tell one week's part of a pooled group from
    another's. ``people`` is the group's count of distinct people (the only count of people
    kept for anonymous answers; no key survives the release).
    """

    __tablename__ = "answer_release"
    __table_args__ = (
        UniqueConstraint("poll_run_id", "question_id", "debt_item_id", name="uq_answer_release"),
        Index(
            "uq_answer_release_general",
            "poll_run_id",
            "question_id",
            unique=True,
            sqlite_where=text("debt_item_id IS NULL"),
            postgresql_where=text("debt_item_id IS NULL"),
        ),
        Index("ix_answer_release_team_day", "team_id", "day"),
        CheckConstraint("people > 0 AND answers >= people", name="ck_answer_release_counts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    poll_run_id: int = _fk("poll_run.id")
    question_id: str = Field(max_length=64)
    debt_item_id: int | None = Field(
        default=None,
        sa_column=Column(
            "debt_item_id", Integer, ForeignKey("debt_item.id", ondelete="CASCADE"), nullable=True
        ),
    )
    day: date
    people: int
    answers: int


class Signal(SQLModel, table=True):
    """Automated evidence about an item (incident, alert, drift, flaky test, CI failure, data
    or code quality, custom)."""

    __tablename__ = "signal"
    __table_args__ = (
        UniqueConstraint("team_id", "dedup_key", name="uq_signal_dedup"),
        CheckConstraint(_in("kind", SignalKind), name="ck_signal_kind"),
        CheckConstraint(
            "ended_at IS NULL OR ended_at >= observed_at", name="ck_signal_ended_after_observed"
        ),
        Index("ix_signal_item_observed", "debt_item_id", "observed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    debt_item_id: int = Field(
        sa_column=Column(Integer, ForeignKey("debt_item.id", ondelete="CASCADE"), nullable=False)
    )
    kind: str = Field(max_length=16)
    value: float = Field(default=1.0)
    source: str = Field(default="", max_length=100)
    observed_at: datetime = Field(sa_type=UTCDateTime())
    dedup_key: str = Field(max_length=200)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    """When what the signal reports ended (an incident resolved), if the sender said so: the
    time to recover is ``ended_at - observed_at``. None: still going, or never told."""


class MetricPoint(SQLModel, table=True):
    """One observation of a time series the team already tracks (cycle time, retraining
    latency, ...), for a scope: ``team``, a component of the register, or a debt key.

    One value per metric, scope and moment: a point sent again replaces the value. The
    unique constraint's index (team, metric, scope, observed_at) is also what one series is
    read from over time, and which scopes have a metric. ``unit`` is the metric's own
    (built-in or declared in ``metrics.yaml``), kept so a point stays readable on its own.
    """

    __tablename__ = "metric_point"
    __table_args__ = (
        UniqueConstraint("team_id", "metric", "scope", "observed_at", name="uq_metric_point"),
        CheckConstraint(_in("source", MetricSource), name="ck_metric_point_source"),
        CheckConstraint("length(metric) > 0", name="ck_metric_point_metric_nonempty"),
        CheckConstraint("length(scope) > 0", name="ck_metric_point_scope_nonempty"),
        CheckConstraint("length(unit) > 0", name="ck_metric_point_unit_nonempty"),
        # finite: NaN and the infinities compare outside any range, on both databases
        CheckConstraint("value BETWEEN -1e308 AND 1e308", name="ck_metric_point_value_finite"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    metric: str = Field(max_length=64)
    scope: str = Field(max_length=100)
    value: float
    unit: str = Field(max_length=16)
    observed_at: datetime = Field(sa_type=UTCDateTime())
    source: str = Field(max_length=8)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class SignalToken(SQLModel, table=True):
    """A workspace's own bearer token for ``POST /api/signals``, kept as its SHA-256 only.

    One per team: rotating replaces the row in one transaction, so the old token stops
    working when it commits. The token itself is shown once, when it is made, and never
    stored; ``hint`` (its first characters) tells a lead which one is in use.
    """

    __tablename__ = "signal_token"
    __table_args__ = (
        UniqueConstraint("team_id", name="uq_signal_token_team"),
        UniqueConstraint("token_hash", name="uq_signal_token_hash"),
        CheckConstraint("length(token_hash) = 64", name="ck_signal_token_hash_length"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    token_hash: str = Field(max_length=64)
    """The hex SHA-256 of the token (a random 256-bit value, so a fast hash is enough)."""
    hint: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime())
    created_by: str = Field(max_length=64)


class WebhookSecret(SQLModel, table=True):
    """A workspace's secret for one webhook sender (``POST /api/hooks/<source>``), sealed.

    ``sealed`` is the secret encrypted and authenticated with a key derived from
    ``DEBTPULSE_ANON_SECRET`` (:mod:`bot.services.webhook_secrets`), bound to the row's team
    and source: a database reader cannot use it, nor move it to another workspace.
    ``key_id`` tells which key sealed it, so a changed ``DEBTPULSE_ANON_SECRET`` is told apart
    from a damaged row. One per team and source: adding another replaces it.
    """

    __tablename__ = "webhook_secret"
    __table_args__ = (
        UniqueConstraint("team_id", "source", name="uq_webhook_secret_source"),
        CheckConstraint(
            "source IN ('github', 'gitlab', 'alertmanager', 'pagerduty', 'sentry', 'sonarqube')",
            name="ck_webhook_secret_source",
        ),
        CheckConstraint("length(sealed) > 0", name="ck_webhook_secret_sealed_nonempty"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    source: str = Field(max_length=16)
    sealed: str = Field(sa_type=Text)
    key_id: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime())
    created_by: str = Field(max_length=64)


class PrioritySnapshot(SQLModel, table=True):
    """The ranking as it stood for a week: the audit trail of every posted number."""

    __tablename__ = "priority_snapshot"
    __table_args__ = (
        UniqueConstraint("team_id", "taken_for", "debt_item_id", name="uq_snapshot_week_item"),
        CheckConstraint("score >= 0 AND score <= 100", name="ck_snapshot_score_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    taken_for: date
    debt_item_id: int = Field(
        sa_column=Column(Integer, ForeignKey("debt_item.id", ondelete="CASCADE"), nullable=False)
    )
    rank: int
    score: float
    components: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # as shown
    # unrounded, so "why" can tell a component that moved from a rounding unit that did;
    # None for snapshots taken before migration 0007
    exact_components: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    n_respondents: int = Field(default=0)
    suppressed: bool = Field(default=False)
    weights_version: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class AuditEvent(SQLModel, table=True):
    """Who changed what and why. Append-only: the database refuses updates and deletes."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    subject: str = Field(default="", max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    reason: str = Field(default="", sa_type=Text)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class InboundEvent(SQLModel, table=True):
    """An event id seen from the chat platform: a redelivery of the same id has no effect."""

    __tablename__ = "inbound_event"
    __table_args__ = (UniqueConstraint("team_id", "event_id", name="uq_inbound_event"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    event_id: str = Field(max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), index=True)


class SlackPace(SQLModel, table=True):
    """How far one workspace's calls of one Web API method are booked under Slack's rate
    limit, shared by every process that calls Slack (see :mod:`storage.pacing`).

    ``booked_until`` is the bucket's theoretical arrival time (seconds since the epoch): a
    call may go once it is no more than the limit's burst ahead of now.
    """

    __tablename__ = "slack_pace"
    __table_args__ = (UniqueConstraint("team_id", "key", name="uq_slack_pace_key"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    key: str = Field(max_length=120)
    booked_until: float = Field(default=0.0)


class SchedulerLease(SQLModel, table=True):
    """Who runs the scheduler: one row per lease name, held until ``expires_at``.

    A worker takes the row when it is free or expired and renews it while alive; another
    worker waits instead of firing the same slots (see :mod:`storage.lease`).
    """

    __tablename__ = "scheduler_lease"
    __table_args__ = (UniqueConstraint("name", name="uq_scheduler_lease_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    holder: str = Field(max_length=200)
    acquired_at: datetime = Field(sa_type=UTCDateTime())
    renewed_at: datetime = Field(sa_type=UTCDateTime())
    expires_at: datetime = Field(sa_type=UTCDateTime())


class PainSum(SQLModel, table=True):
    """Running sums of the ``pain`` answers per item, run and day.

    Kept by database triggers on ``response`` (insert, re-answer, delete), in the same
    transaction as the answer, so the score reads a few thousand rows instead of every answer.
    ``n_geK`` counts answers of K or more (the Breadth threshold).
    """

    __tablename__ = "pain_sum"
    __table_args__ = (
        UniqueConstraint("debt_item_id", "poll_run_id", "day", name="uq_pain_sum_slot"),
        Index("ix_pain_sum_team_day", "team_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    debt_item_id: int = Field(
        sa_column=Column(Integer, ForeignKey("debt_item.id", ondelete="CASCADE"), nullable=False)
    )
    poll_run_id: int = Field(
        sa_column=Column(Integer, ForeignKey("poll_run.id", ondelete="CASCADE"), nullable=False)
    )
    day: date
    n: int = 0
    sum_x: float = 0.0
    sum_x2: float = 0.0
    n_ge2: int = 0
    n_ge3: int = 0
    n_ge4: int = 0
    n_ge5: int = 0


class DigestPost(SQLModel, table=True):
    """A digest posted (or being posted) to one channel for one week: posted once per week.

    The row is claimed (``status='posting'``) before the message is sent and marked
    ``posted`` with the message's ``ts`` after, so a restart or a second trigger the same week
    posts nothing; only a forced post replaces a week's row.
    """

    __tablename__ = "digest_post"
    __table_args__ = (
        UniqueConstraint("team_id", "digest_id", "week", "channel_id", name="uq_digest_post_week"),
        CheckConstraint("status IN ('posting', 'posted')", name="ck_digest_post_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    digest_id: str = Field(max_length=64)
    week: date
    channel_id: str = Field(max_length=32)
    status: str = Field(default="posting", max_length=16)
    ts: str = Field(default="", max_length=32)
    posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    forced: bool = Field(default=False)


class InboxAction(StrEnum):
    open = "open"
    """An occurrence (a failure, an alert, an incident) no rule routed to an item."""
    suggest = "suggest"
    """An issue labelled as debt without a key: a suggested item."""


class InboxStatus(StrEnum):
    pending = "pending"
    routed = "routed"
    ignored = "ignored"


class SignalInbox(SQLModel, table=True):
    """A webhook signal no item claimed (by its own key or a routing rule), waiting for a lead.

    Signals wait ``pending`` in groups (``group_key``: their source, kind and most telling
    attribute) until a lead routes the group to an item — each then becomes a ``signal``
    with its own ``observed_at`` and ``ended_at``, and the row is ``routed`` to that key —
    or ignores it. One row per ``dedup_key`` and team, as for signals.
    """

    __tablename__ = "signal_inbox"
    __table_args__ = (
        UniqueConstraint("team_id", "dedup_key", name="uq_signal_inbox_dedup"),
        CheckConstraint(_in("kind", SignalKind), name="ck_signal_inbox_kind"),
        CheckConstraint(_in("action", InboxAction), name="ck_signal_inbox_action"),
        CheckConstraint(_in("status", InboxStatus), name="ck_signal_inbox_status"),
        CheckConstraint(
            "ended_at IS NULL OR ended_at >= observed_at",
            name="ck_signal_inbox_ended_after_observed",
        ),
        CheckConstraint(
            "(status = 'routed' AND routed_to IS NOT NULL) "
            "OR (status <> 'routed' AND routed_to IS NULL)",
            name="ck_signal_inbox_routed_to",
        ),
        CheckConstraint(
            "(status = 'pending' AND decided_at IS NULL AND decided_by IS NULL) "
            "OR (status <> 'pending' AND decided_at IS NOT NULL AND decided_by IS NOT NULL)",
            name="ck_signal_inbox_decided",
        ),
        CheckConstraint("length(group_key) > 0", name="ck_signal_inbox_group_nonempty"),
        Index("ix_signal_inbox_waiting", "team_id", "status", "group_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    source: str = Field(max_length=100)
    kind: str = Field(max_length=16)
    action: str = Field(default=InboxAction.open.value, max_length=8)
    dedup_key: str = Field(max_length=200)
    observed_at: datetime = Field(sa_type=UTCDateTime())
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    value: float = Field(default=1.0)
    title: str = Field(default="", max_length=300)
    url: str = Field(default="", sa_type=Text)
    group_key: str = Field(max_length=300)
    attributes: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=InboxStatus.pending.value, max_length=16)
    routed_to: str | None = Field(default=None, max_length=32)
    """The debt key the row's group was routed to (``routed`` rows only)."""
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    received_at: datetime = Field(sa_type=UTCDateTime())


class SignalRoute(SQLModel, table=True):
    """A routing rule a lead saved from the inbox: webhook signals matching ``match`` (the
    source, kind and attributes of a group, as glob patterns) go to ``debt_key``. Read after
    the rules of ``routes.yaml``, oldest first."""

    __tablename__ = "signal_route"
    __table_args__ = (
        CheckConstraint("length(debt_key) > 0", name="ck_signal_route_key_nonempty"),
        Index("ix_signal_route_team", "team_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    match: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    debt_key: str = Field(max_length=32)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime())


#: The settings a workspace can set for itself (``bot.services.team_settings``).
TEAM_SETTING_KEYS = (
    "poll_channel",
    "digest_channels",
    "leads",
    "timezone",
    "min_group",
    "debt_budget",
)


class TeamSetting(SQLModel, table=True):
    """A workspace's own value of one setting, over the environment's default: one row per
    team and key, ``value`` as JSON text, with who changed it last and when. A key without a
    row takes the environment's value; every change is audited beside it."""

    __tablename__ = "team_setting"
    __table_args__ = (
        UniqueConstraint("team_id", "key", name="uq_team_setting_key"),
        CheckConstraint(
            f"key IN ({', '.join(repr(key) for key in TEAM_SETTING_KEYS)})",
            name="ck_team_setting_key",
        ),
        CheckConstraint("length(value) > 0", name="ck_team_setting_value_nonempty"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    key: str = Field(max_length=32)
    value: str = Field(sa_type=Text)
    changed_by: str = Field(max_length=64)
    changed_at: datetime = Field(sa_type=UTCDateTime())


class TeamLifecycle(StrEnum):
    active = "active"
    tokens_revoked = "tokens_revoked"
    """Slack revoked the bot token (``tokens_revoked``): nothing can be posted any more."""
    uninstalled = "uninstalled"
    """The app was removed from the workspace (``app_uninstalled``)."""


class TeamState(SQLModel, table=True):
    """Where a workspace stands: active, or its token revoked or the app uninstalled (all
    its work stops), and when its data is purged (``purge_after``; None: kept).

    A workspace with no row is active (a single-workspace install, or one installed before
    this table). ``gone_token`` is the SHA-256 prefix of the single-workspace bot token that
    was uninstalled or revoked: a different token in ``SLACK_BOT_TOKEN`` means the app was
    installed again.
    """

    __tablename__ = "team_state"
    __table_args__ = (
        UniqueConstraint("team_id", name="uq_team_state_team"),
        CheckConstraint(_in("state", TeamLifecycle), name="ck_team_state_state"),
        CheckConstraint(
            "(state = 'active' AND uninstalled_at IS NULL AND purge_after IS NULL "
            "AND gone_token IS NULL) OR (state <> 'active' AND uninstalled_at IS NOT NULL)",
            name="ck_team_state_uninstalled",
        ),
        CheckConstraint(
            "purge_after IS NULL OR purge_after >= uninstalled_at",
            name="ck_team_state_purge_after",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    state: str = Field(default=TeamLifecycle.active.value, max_length=16)
    installed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    """When the app was last installed (OAuth); None: not known (a single-workspace token)."""
    uninstalled_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    purge_after: datetime | None = Field(default=None, sa_type=UTCDateTime())
    gone_token: str | None = Field(default=None, max_length=16)
    updated_at: datetime = Field(sa_type=UTCDateTime())


class TeamPurge(SQLModel, table=True):
    """A workspace's data deleted: when, by whom, why, and how many rows per table — never
    the data. It outlives the purge it records (the database refuses to delete a row, or to
    change one but a ``running`` purge's own, in its transaction).

    While ``running`` (inside the purge's one transaction only) the database lets that
    team's ``audit_event`` rows be deleted; it is ``done`` when the transaction commits.
    """

    __tablename__ = "team_purge"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'done')", name="ck_team_purge_status"),
        Index("ix_team_purge_team", "team_id", "purged_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    purged_at: datetime = Field(sa_type=UTCDateTime())
    purged_by: str = Field(max_length=64)
    reason: str = Field(default="", sa_type=Text)
    status: str = Field(default="running", max_length=8)
    counts: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    """Rows deleted per table (``slack_installations`` and ``slack_bots`` included)."""


class DashboardLink(SQLModel, table=True):
    """A one-time dashboard sign-in link (``/debt dashboard``), kept as its SHA-256 only.

    It signs ``user_id`` in to ``team_id``'s dashboard once (``used_at`` set, in the same
    statement that checks it was not), within ten minutes of ``created_at``; whether the
    person is a lead was decided when the link was made. The link itself is shown once, in
    Slack, to that person alone, and never stored.
    """

    __tablename__ = "dashboard_link"
    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_dashboard_link_hash"),
        CheckConstraint("length(token_hash) = 64", name="ck_dashboard_link_hash_length"),
        CheckConstraint(
            "used_at IS NULL OR used_at >= created_at", name="ck_dashboard_link_used_after"
        ),
        Index("ix_dashboard_link_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64)
    """The hex SHA-256 of the link's token (a random 256-bit value)."""
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=64)
    is_lead: bool = Field(default=False)
    created_at: datetime = Field(sa_type=UTCDateTime())
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime())


metadata = SQLModel.metadata
