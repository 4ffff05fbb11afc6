"""What a lead is told after opening or closing a poll by hand: where it really went.

The database's delivery rows say what happened to each message; this turns them into one
line for ``/debt poll send`` and ``debtpulse poll send`` (a DM recipient is never named).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.runtime import Runtime
from storage import polls

if TYPE_CHECKING:
    from bot.services.poll_close import Closed

#: What to do about a channel the poll cannot be posted in.
CHANNEL_HINTS = {
    "not_in_channel": "invite debtpulse to the channel",
    "channel_not_found": "check the audience's channel id; a private channel needs debtpulse "
    "invited",
    "is_archived": "the channel is archived: unarchive it or change the survey's audience",
}
_OUTCOME = {"skipped": "was skipped", "failed": "was given up"}


def delivery_problem(recipient: str, status: str, error: str) -> str:
    """A failed send to ``recipient``: the channel and what to do, or a DM (no user id)."""
    outcome = _OUTCOME.get(status, "will be retried")
    if not recipient.startswith(("C", "G")):
        return f"a DM {outcome} ({error})"
    hint = CHANNEL_HINTS.get(error)
    return f"the poll in {recipient} {outcome} ({error})" + (f": {hint}" if hint else "")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Reach:
    """Where a run's messages stand."""

    channels: tuple[str, ...]  # channels the poll was posted in
    dms: int  # DMs sent
    later: int  # DMs waiting for the recipient's own local time
    retrying: int  # messages a later tick sends again (rate limits, connection errors)
    problems: tuple[str, ...]  # messages that will not be sent, and why

    @property
    def complete(self) -> bool:
        """Every message due now went out: none given up, skipped or waiting for a retry."""
        return not self.problems and not self.retrying

    def describe(self) -> str:
        """One line: what was sent, what comes later, what went wrong (no user ids)."""
        parts = [f"posted in {channel}" for channel in self.channels]
        if self.dms:
            parts.append(f"sent to {self.dms} {'person' if self.dms == 1 else 'people'}")
        if self.later:
            parts.append(f"{self.later} more at their own local time")
        if self.retrying:
            parts.append(f"{self.retrying} to be retried by the worker")
        if not parts:
            parts.append("nothing sent")
        return "; ".join([*parts, *self.problems])


def reach(runtime: Runtime, run_id: int) -> Reach:
    """What became of each message of the run, as stored."""
    with runtime.transaction(write=False) as session:
        deliveries = polls.deliveries(session, run_id=run_id)
    now = runtime.clock()
    sent = [d for d in deliveries if d.status == "sent"]
    pending = [d for d in deliveries if d.status == "pending"]
    # never tried yet and not due: waiting for the recipient's own local time
    later = [d for d in pending if d.due_at is not None and d.due_at > now and not d.attempts]
    lost = [d for d in deliveries if d.status in _OUTCOME]
    problems = [delivery_problem(d.recipient, d.status, d.last_error) for d in lost if d.to_channel]
    dm_problems = Counter((d.status, d.last_error) for d in lost if not d.to_channel)
    for (status, error), count in sorted(dm_problems.items()):
        outcome = _OUTCOME[status] if count == 1 else _OUTCOME[status].replace("was", "were")
        problems.append(f"{_plural(count, 'DM')} {outcome} ({error})")
    return Reach(
        channels=tuple(d.channel_id or d.recipient for d in sent if d.to_channel),
        dms=sum(1 for d in sent if not d.to_channel),
        later=len(later),
        retrying=len(pending) - len(later),
        problems=tuple(problems),
    )


def describe_open(survey_id: str, run_id: int, reached: Reach) -> str:
    """One line for the lead who opened the run by hand."""
    joiner = ": " if reached.complete else ", but "
    return f"Opened {survey_id} as run #{run_id}{joiner}{reached.describe()}."


def describe_close(run_id: int, closed: Closed) -> str:
    """One line for the lead who closed the run by hand."""
    head = f"Closed run #{run_id} ({closed.respondents} answered)"
    if closed.problems:
        return f"{head}, but {'; '.join(closed.problems)}."
    return f"{head} and posted its results in {', '.join(closed.posted_in)}."
