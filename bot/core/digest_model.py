"""The digest's data: what :func:`bot.core.digest.assemble` reads and what it decides.

Plain frozen dataclasses, no logic beyond small derived values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.core.follow_through import Fade
from bot.core.priority import ScoreBreakdown
from bot.core.roi import Direction, Effect, Verdict
from bot.core.weights_file import Capacity
from surveys import Digest

# -- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    """One open item as ranked this week."""

    rank: int
    breakdown: ScoreBreakdown
    category: str
    owner: str | None = None
    effort: str | None = None


@dataclass(frozen=True)
class PreviousRow:
    """The item in last week's snapshot."""

    rank: int
    score: float
    components: Mapping[str, float]


@dataclass(frozen=True)
class PainTally:
    """Pain answers in a window: how many, their sum, and the safe count of respondents."""

    answers: int = 0
    total: float = 0.0
    respondents: int = 0

    def mean(self, min_group: int) -> float | None:
        return self.total / self.answers if self.answers and self.respondents >= min_group else None


@dataclass(frozen=True)
class RunFigures:
    """One poll run of a survey: who answered out of whom."""

    survey_id: str
    title: str
    scheduled_for: datetime
    respondents: int
    audience: int | None

    @property
    def rate(self) -> float | None:
        return self.respondents / self.audience if self.audience else None


@dataclass(frozen=True)
class ResolvedRow:
    key: str
    title: str
    category: str
    resolved_at: datetime
    before: PainTally
    after: PainTally
    why: str = ""  # the words the lead gave with the change, if any


@dataclass(frozen=True)
class RoiMetric:
    """One metric around a fix, as the ROI report measured it (weeks below the anonymity
    group have no value there already)."""

    name: str
    scope: str
    unit: str
    direction: Direction
    verdict: Verdict
    effect: Effect | None
    why: str = ""  # with no effect: why (the analysis' "insufficient data: ..." caveat)
    fade: Fade | None = None  # the item's own measure, back near its level before the fix


@dataclass(frozen=True)
class RoiRow:
    """An item resolved in the ROI section's window, with its return."""

    key: str
    title: str
    resolved_on: date
    effort_days: float | None
    metrics: Sequence[RoiMetric]
    hours_saved_per_week: tuple[float, float, float] | None = None
    money_saved_per_week: float | None = None
    payback_weeks: float | None = None
    currency: str | None = None


@dataclass(frozen=True)
class InboxCount:
    """Groups of webhook signals waiting in the inbox for a lead: now, and at the last
    digest (a week before when there was none)."""

    waiting: int
    before: int

    @property
    def grew(self) -> bool:
        return self.waiting > self.before


@dataclass(frozen=True)
class DigestInputs:
    template: Digest
    week: date
    items: Sequence[ItemRow]
    weeks: Sequence[date]  # the sparkline's weeks, oldest first
    weekly_pain: Mapping[str, Sequence[PainTally]]  # per key, aligned with ``weeks``
    previous: Mapping[str, PreviousRow] = field(default_factory=dict)
    previous_week: date | None = None
    runs: Sequence[RunFigures] = ()  # newest first
    resolved: Sequence[ResolvedRow] = ()
    capacity: Capacity = field(default_factory=Capacity)
    min_group: int = 5
    roi: Sequence[RoiRow] = ()  # items resolved in the last ``roi_weeks`` weeks
    roi_weeks: int = 13
    inbox: InboxCount | None = None


# -- content -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TopItem:
    rank: int
    key: str
    title: str
    category: str
    owner: str | None
    score: float
    arrow: str
    reasons: str
    sparkline: str
    suppressed: bool
    respondents: str  # "12 people" or "fewer than 5 people"


@dataclass(frozen=True)
class Mover:
    key: str
    title: str
    rank: int | None  # None: left the open list
    previous_rank: int | None  # None: new this week
    kind: str  # "new" | "up" | "down"
    because: str  # e.g. "pain +4.1" — the component that moved most


@dataclass(frozen=True)
class Participation:
    survey_id: str
    title: str
    respondents: int
    audience: int | None
    rate: float | None
    change: str  # "+3 points" / "−2 people" / "" (no earlier run)
    warning: bool


@dataclass(frozen=True)
class Resolved:
    key: str
    title: str
    resolved_on: date
    before: str
    after: str
    why: str = ""


@dataclass(frozen=True)
class CapacityLine:
    rank: int
    key: str
    title: str
    effort: str
    score: float


@dataclass(frozen=True)
class CapacitySection:
    budget_points: float
    chosen: tuple[CapacityLine, ...]
    total_score: float
    total_effort: float
    unestimated: tuple[str, ...]  # the highest-ranked ones, at most MAX_UNESTIMATED
    unestimated_total: int = 0
    estimated: int = 0  # open items with a usable estimate
    smallest_estimate: float | None = None  # the least effort of those scoring above 0


@dataclass(frozen=True)
class SplitLine:
    category: str
    items: int
    score_share: float  # of the total score of open items, 0-1
    top_key: str | None


@dataclass(frozen=True)
class RoiLine:
    """What the digest says of one fix; ``kind`` is the item's overall verdict:
    ``improved``, ``worse``, ``mixed``, ``no_change`` or ``insufficient_data``."""

    key: str
    title: str
    resolved_on: date
    kind: str
    effort: str  # "3 days of effort", or "" when not recorded
    improved: tuple[str, ...]  # "pain -1.64 (90 %: -2.55 to -0.72)"
    worse: tuple[str, ...]
    unchanged: tuple[str, ...]  # metric names
    saving: str  # "9.2 h saved a week (874 EUR)", or ""
    payback: str  # "pays back in 2.6 weeks", or ""
    insufficient: str  # with nothing measured: why, in one line


@dataclass(frozen=True)
class FadeNote:
    """A fix whose effect faded: the measure back near its level before the fix."""

    key: str
    title: str
    metric: str
    before: str
    after: str
    recent: str
    recent_weeks: int


@dataclass(frozen=True)
class RoiSection:
    """The "Return on debt work" section: the fixes of the last ``weeks`` weeks, measured first."""

    weeks: int
    lines: tuple[RoiLine, ...]
    more: int  # lines left out (the section shows at most MAX_ROI_LINES)
    fading: tuple[FadeNote, ...]
    totals: str  # one sentence: items, effort, hours (and money) saved a week


@dataclass(frozen=True)
class DigestContent:
    digest_id: str
    title: str
    week: date
    previous_week: date | None
    open_items: int
    min_group: int
    suppressed_items: int  # open items with answers from fewer than min_group people
    top: tuple[TopItem, ...] | None
    movers: tuple[Mover, ...] | None
    participation: tuple[Participation, ...] | None
    resolved: tuple[Resolved, ...] | None
    capacity: CapacitySection | None
    unowned: tuple[TopItem, ...] | None
    unowned_total: int
    split: tuple[SplitLine, ...] | None
    roi: RoiSection | None = None
    inbox: InboxCount | None = None  # said only when it grew

    @property
    def mostly_suppressed(self) -> bool:
        """More than half the open items show no pain yet: worth saying how to get there."""
        return self.suppressed_items * 2 > self.open_items

    @property
    def fatigue(self) -> bool:
        return any(p.warning for p in self.participation or ())
