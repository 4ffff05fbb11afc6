"""What every part of the simulation shares: the running stack, the truth and the register."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.demo.clock import SimClock
from bot.demo.register_data import DebtSpec
from bot.demo.stack import Stack
from bot.demo.truth import Truth
from bot.runtime import Runtime
from surveys import Digest, Survey

REMINDER_PREFIX = "Reminder:"  # the fallback text of bot.slack.poll_views.reminder_message


@dataclass
class Sim:
    stack: Stack
    truth: Truth
    specs: tuple[DebtSpec, ...]
    seed: int
    resolve_week: int
    keys_by_id: dict[int, str] = field(default_factory=dict)
    resolved: set[str] = field(default_factory=set)

    @property
    def runtime(self) -> Runtime:
        return self.stack.runtime

    @property
    def clock(self) -> SimClock:
        return self.stack.clock

    @property
    def keys(self) -> list[str]:
        return [spec.key for spec in self.specs]

    @property
    def titles(self) -> dict[str, str]:
        return {spec.key: spec.title for spec in self.specs}

    def survey(self, survey_id: str) -> Survey:
        loaded = self.runtime.catalog.get(survey_id)
        if loaded is None or loaded.survey is None:
            raise LookupError(f"no survey {survey_id!r} in the built-in library")
        return loaded.survey

    def digest(self, digest_id: str) -> Digest:
        loaded = self.runtime.catalog.get(digest_id)
        if loaded is None or loaded.digest is None:
            raise LookupError(f"no digest {digest_id!r} in the built-in library")
        return loaded.digest

    def reminders_sent(self) -> int:
        """Reminder DMs the bot has posted so far (the fake Slack's record)."""
        return sum(
            1
            for call in self.stack.fake.calls_to("chat.postMessage")
            if call.ok and str(call.params.get("text", "")).startswith(REMINDER_PREFIX)
        )
