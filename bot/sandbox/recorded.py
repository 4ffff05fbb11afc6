"""What the fake Slack recorded, as tests and the demo read it: calls, messages, ephemerals,
views, files, response URL posts, Block Kit refusals and DMs per person. Each read takes the
state's lock and returns copies."""

from __future__ import annotations

import copy

from bot.sandbox.records import (
    BlockRejection,
    Call,
    Ephemeral,
    Message,
    ResponseUrlPost,
    UploadedFile,
    ViewRecord,
)
from bot.sandbox.state import SlackState


class Recorded:
    """The reading half of ``FakeSlack``."""

    _state: SlackState

    @property
    def calls(self) -> list[Call]:
        with self._state.lock:
            return list(self._state.records.calls)

    def calls_to(self, method: str, *, team: str | None = None) -> list[Call]:
        """The calls of ``method``; ``team``: those whose token acts for that workspace."""
        return [c for c in self.calls if c.method == method and (team is None or c.team == team)]

    def messages(
        self, channel: str | None = None, *, deleted: bool = False, team: str | None = None
    ) -> list[Message]:
        """Messages as they stand now (updates applied), oldest first; ``team``: those
        posted in that workspace only."""
        with self._state.lock:
            return [
                copy.deepcopy(m)
                for m in self._state.records.messages
                if (channel is None or m.channel == channel)
                and (team is None or m.team == team)
                and (deleted or not m.deleted)
            ]

    def ephemerals(self, user: str | None = None, *, channel: str | None = None) -> list[Ephemeral]:
        with self._state.lock:
            return [
                copy.deepcopy(e)
                for e in self._state.records.ephemerals
                if (user is None or e.user == user)
                and (channel is None or e.channel == channel)
                and not e.deleted
            ]

    def views(self, user: str | None = None, *, open_only: bool = False) -> list[ViewRecord]:
        """Modals and App Home views opened or published, each as it stands now."""
        with self._state.lock:
            return [
                copy.deepcopy(v)
                for v in self._state.records.views.values()
                if (user is None or v.user == user) and not (open_only and v.closed)
            ]

    def open_modal(self, user: str) -> ViewRecord | None:
        """The modal on top of ``user``'s stack, if any."""
        with self._state.lock:
            stack = self._state.records.modal_stacks.get(user) or []
            return copy.deepcopy(self._state.records.views[stack[-1]]) if stack else None

    def home(self, user: str) -> ViewRecord | None:
        with self._state.lock:
            view_id = self._state.records.homes.get(user)
            return copy.deepcopy(self._state.records.views[view_id]) if view_id else None

    @property
    def uploaded_files(self) -> list[UploadedFile]:
        with self._state.lock:
            return list(self._state.records.files)

    @property
    def response_url_posts(self) -> list[ResponseUrlPost]:
        with self._state.lock:
            return list(self._state.records.response_url_posts)

    @property
    def rejections(self) -> list[BlockRejection]:
        """Payloads refused for their Block Kit, with Slack-style error messages."""
        with self._state.lock:
            return list(self._state.records.rejections)

    @property
    def dm_counts(self) -> dict[str, int]:
        """Messages the bot posted into each person's DM, by user id."""
        with self._state.lock:
            return dict(self._state.records.dm_counts)

    def dm_count(self, user: str) -> int:
        return self.dm_counts.get(user, 0)
