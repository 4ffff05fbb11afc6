"""Explain one item's score: the one use case behind ``/debt why`` and ``debtpulse why``.

It reads the current ranking (:func:`bot.services.ranking.current_ranking`, the numbers
``top`` shows), the item's line per component and how its score moved since the previous
snapshot; the callers only render the result (Block Kit, terminal text or JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core.display import ComponentLine, component_lines
from bot.core.explain import Change
from bot.core.priority import RankedItem
from bot.core.score_settings import ScoreSettings
from bot.services.ranking import Ranking, current_ranking, signal_since
from bot.services.snapshots import why_change
from storage import register, signals


@dataclass(frozen=True)
class Explained:
    """A ranked item's score, component by component, and how it moved."""

    ranked: RankedItem
    ranked_items: int  # how many items the team's ranking holds ("rank 2 of 7")
    lines: tuple[ComponentLine, ...]
    change: Change

    def to_public_dict(self) -> dict[str, Any]:
        """JSON-ready (``why --json``): the ranked item, its lines and its change."""
        return {
            **self.ranked.to_public_dict(),
            "ranked_items": self.ranked_items,
            "lines": [line.to_public_dict() for line in self.lines],
            "change": self.change.to_public_dict(),
        }


@dataclass(frozen=True)
class Explanation:
    """What ``why KEY`` can say about an item of the team.

    ``status`` is the item's register status, ``None`` when the team has no item with that
    key; ``explained`` is ``None`` when the item is not ranked (no such item, or a status
    other than open and in_progress).
    """

    key: str
    status: str | None
    explained: Explained | None

    @property
    def found(self) -> bool:
        return self.status is not None


def _signal_sources(
    session: Session, ranking: Ranking, *, team_id: str, key: str
) -> dict[str, int]:
    """How many of the signals the score read for ``key`` each source sent (the same
    horizon as the ranking's: the longest half-life, ten times)."""
    record = ranking.records[key]
    if record.id is None or not ranking.inputs[key].signals:
        return {}
    since = signal_since(ranking.now, ranking.settings)
    return signals.source_counts(session, team_id=team_id, debt_item_id=record.id, since=since)


def explain_item(
    session: Session,
    *,
    team_id: str,
    key: str,
    now: datetime,
    settings: ScoreSettings,
    ranking: Ranking | None = None,
) -> Explanation:
    """Explain the item ``key`` (as the register spells it) of ``team_id`` as of ``now``.

    ``ranking``: the team's whole ranking at ``now`` when the caller has it already (the
    dashboard's item page reads its pain groups too); otherwise it is computed here."""
    if ranking is None:
        ranking = current_ranking(session, team_id=team_id, now=now, settings=settings)
    ranked = ranking.find(key)
    change = why_change(session, ranking=ranking, team_id=team_id, key=key)
    if ranked is None or change is None:
        record = register.get_item(session, team_id=team_id, key=key)
        return Explanation(key, None if record is None else record.status, None)
    lines = component_lines(
        ranked.breakdown,
        item=ranking.inputs[key],
        team=ranking.team,
        settings=ranking.settings,
        sources=_signal_sources(session, ranking, team_id=team_id, key=key),
    )
    explained = Explained(ranked, len(ranking.items), tuple(lines), change)
    return Explanation(key, ranking.records[key].status, explained)
