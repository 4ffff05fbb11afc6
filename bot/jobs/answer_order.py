"""Hide the order in which people answered an anonymous run.

Answers and participation rows are both numbered in answering order; side by side, the two
orders would pair each anonymous key with a user id. The worker's tick (and the close)
rewrites the run's participation rows in random order whenever new ones arrived, so what
the database keeps for longer than a tick no longer says who answered when.
"""

from __future__ import annotations

import random

from bot.runtime import Runtime
from storage import polls
from storage.models import PollRun

_RNG = random.SystemRandom()
#: Participation rows each open anonymous run had at its last shuffle, per database.
_SHUFFLED: dict[tuple[str, int], int] = {}


def hide_answer_order(
    runtime: Runtime, run: PollRun, *, closing: bool = False, rng: random.Random = _RNG
) -> bool:
    """Shuffle the anonymous run's participation rows if some arrived since the last time;
    ``closing``: the last time for this run."""
    if not run.anonymous or run.id is None:
        return False
    key = (str(runtime.engine.url), run.id)
    with runtime.transaction(write=False) as session:
        count = polls.participation_count(session, run_id=run.id)
    shuffled = False
    if count >= 2 and _SHUFFLED.get(key) != count:
        with runtime.transaction() as session:
            _SHUFFLED[key] = polls.shuffle_participation(session, run_id=run.id, rng=rng)
        shuffled = True
    if closing:
        _SHUFFLED.pop(key, None)
    return shuffled
