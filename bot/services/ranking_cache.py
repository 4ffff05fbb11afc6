"""Rankings kept for a short while per workspace, for pages that show them again and again.

The dashboard computes the team's whole ranking for its ranking page and for every item page
(an item's score is pulled towards the team's mean pain). A ranking is used again for
:data:`TTL_S` seconds of the runtime's clock, and only while no new answer, released group, signal,
assessment, item or audited register change has arrived since (``storage.change_marks``:
one statement of primary-key lookups); it is computed by the same
:func:`bot.services.ranking.current_ranking`, so nothing about anonymity changes — a kept
ranking is one that was shown already, and the ranking page says when it was computed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime
from typing import NamedTuple

from bot.core.score_settings import ScoreSettings
from bot.services.ranking import Ranking, current_ranking
from storage import change_marks
from storage.reader import Reader

#: How long a ranking is used again at most (the decay of pain and signals over time is
#: slow: a minute moves no score by a shown decimal).
TTL_S = 30.0
#: Rankings kept at most (workspaces × filters), the oldest dropped first.
MAX_KEPT = 256


class _Kept(NamedTuple):
    marks: tuple[int | None, ...]
    ranking: Ranking


_KEPT: OrderedDict[tuple[Hashable, str, str, str | None, str | None], _Kept] = OrderedDict()
_LOCK = threading.Lock()


def ranking(
    reader: Reader,
    *,
    database: Hashable,
    team_id: str,
    now: datetime,
    settings: ScoreSettings,
    category: str | None = None,
    component: str | None = None,
) -> Ranking:
    """:func:`current_ranking`, or the same computed less than :data:`TTL_S` seconds ago when
    nothing it reads has changed since (its ``now`` is then the time it was computed).
    ``database``: which database ``reader`` reads (the runtime's engine)."""
    key = (database, team_id, settings.version, category, component)
    marks = change_marks.latest(reader)
    with _LOCK:
        kept = _KEPT.get(key)
    if kept is not None and kept.marks == marks:
        age = (now - kept.ranking.now).total_seconds()
        if 0 <= age < TTL_S:
            return kept.ranking
    fresh = current_ranking(
        reader,
        team_id=team_id,
        now=now,
        settings=settings,
        category=category,
        component=component,
    )
    with _LOCK:
        _KEPT[key] = _Kept(marks, fresh)
        _KEPT.move_to_end(key)
        while len(_KEPT) > MAX_KEPT:
            _KEPT.popitem(last=False)
    return fresh


def forget() -> None:
    """Drop every kept ranking (tests; a process that changed the score settings)."""
    with _LOCK:
        _KEPT.clear()
