"""App Home: the top priorities, the polls a person can still answer, the items they own —
and, for a lead of a workspace that cannot run polls yet, the steps still to take."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.priority import RankedItem
from bot.core.records import ItemRecord
from bot.slack.blocks import (
    button,
    context,
    divider,
    header,
    section,
)
from bot.slack.limits import (
    VIEW_BLOCKS,
    SlackBlock,
    cap_blocks,
)
from bot.slack.poll_views import OPEN_ACTION
from bot.slack.ranking_views import ranking_line
from surveys import mrkdwn_escape as esc

#: The button that opens the settings form (``/debt config``'s modal).
CONFIG_OPEN_ACTION = "config_open"


@dataclass(frozen=True)
class SetupState:
    """How far a workspace is from running polls (``bot.services.workspace_setup``)."""

    poll_channel: str | None
    poll_channel_needed: bool  # a survey has no audience of its own
    not_invited: tuple[str, ...]  # channels debtpulse must be invited to
    unchecked: tuple[str, ...]  # channels Slack would not tell about
    digest_channels: tuple[str, ...]
    digest_needed: bool  # a digest template has no channels of its own
    leads_chosen: bool  # leads named for the team or the deployment, not only the installer
    anon_secret: bool

    @property
    def steps(self) -> list[tuple[str, bool]]:
        """Each step's text and whether it is done, in the order to take them."""
        if self.poll_channel:
            poll = f"Poll channel: <#{self.poll_channel}>."
        elif self.poll_channel_needed:
            poll = "Choose a poll channel: surveys without an audience of their own post there."
        else:
            poll = "Poll channel: not needed, every survey has its own audience (a channel or DMs)."
        channels = [self.poll_channel] if self.poll_channel else []
        channels += [c for c in self.digest_channels if c not in channels]
        needed = self.poll_channel_needed or self.digest_needed
        invited = not self.not_invited and not self.unchecked and (bool(channels) or not needed)
        if self.not_invited:
            where = ", ".join(f"<#{channel}>" for channel in self.not_invited)
            invite = f"Invite debtpulse to {where}: `/invite @debtpulse` in each."
        elif self.unchecked:
            where = ", ".join(f"<#{channel}>" for channel in self.unchecked)
            invite = f"Slack would not say whether debtpulse is in {where}: check it is invited."
        elif channels:
            invite = "debtpulse is in its channels."
        elif needed:
            invite = "Invite debtpulse to its channels, once chosen."
        else:
            invite = "No channel to invite debtpulse to: the templates name their own."
        if self.digest_channels:
            where = ", ".join(f"<#{channel}>" for channel in self.digest_channels)
            digest = f"Digest channels: {where}."
        elif self.digest_needed:
            digest = "Choose the digest channel(s): the weekly digest is posted there."
        else:
            digest = "Digest channels: the digest names its own."
        leads = (
            "Leads are chosen."
            if self.leads_chosen
            else "Choose the team's leads: only you lead now, as the one who installed debtpulse."
        )
        secret = (
            "The anonymity secret is set."
            if self.anon_secret
            else "The anonymity secret DEBTPULSE_ANON_SECRET is not set. It is a deployment "
            "setting: ask whoever runs debtpulse to set it (anonymous surveys need it)."
        )
        return [
            (poll, bool(self.poll_channel) or not self.poll_channel_needed),
            (invite, invited),
            (digest, bool(self.digest_channels) or not self.digest_needed),
            (leads, self.leads_chosen),
            (secret, self.anon_secret),
        ]

    @property
    def complete(self) -> bool:
        return all(done for _, done in self.steps)


def setup_blocks(state: SetupState) -> list[SlackBlock]:
    """The "Set up debtpulse" checklist, each step ticked when done, with the settings form."""
    lines = [
        f"{':white_check_mark:' if done else ':white_large_square:'} {number}. {step}"
        for number, (step, done) in enumerate(state.steps, start=1)
    ]
    intro = section("*Set up debtpulse* — polls can run once every step is ticked.")
    intro["accessory"] = button("Open settings", CONFIG_OPEN_ACTION, "home", style="primary")
    return [header("Set up debtpulse"), intro, section("\n".join(lines)), divider()]


@dataclass(frozen=True)
class HomePoll:
    """An open poll the user can still answer: in their DMs, or in a channel they are in."""

    run_id: int
    title: str
    channel: str | None
    closes_at: datetime | None


def _home_poll(poll: HomePoll) -> SlackBlock:
    where = f" in <#{poll.channel}>" if poll.channel else " in your DMs"
    closes = f" · closes {poll.closes_at:%a %d %b %H:%M} UTC" if poll.closes_at else ""
    block = section(f"*{esc(poll.title)}*{where}{closes}")
    block["accessory"] = button("Answer", OPEN_ACTION, str(poll.run_id), style="primary")
    return block


def home_view(
    *,
    top: Sequence[RankedItem],
    records: Mapping[str, ItemRecord],
    open_polls: Sequence[HomePoll],
    owned: Sequence[ItemRecord],
    setup: SetupState | None = None,
) -> dict[str, Any]:
    blocks: list[SlackBlock] = setup_blocks(setup) if setup is not None else []
    blocks.append(header("Top debt priorities"))
    if top:
        blocks += [section(ranking_line(i, records.get(i.breakdown.key))) for i in top]
    else:
        blocks.append(section("No open debt items yet."))
    blocks += [divider(), header("Your open polls")]
    blocks += [_home_poll(p) for p in open_polls] or [section("Nothing to answer right now.")]
    blocks += [divider(), header("Items you own")]
    blocks += [section(f"*{esc(i.key)}* {esc(i.title)} — {esc(i.status)}") for i in owned] or [
        section("You own no open debt items.")
    ]
    blocks.append(context("Type `/debt help` in any channel for commands."))
    return {"type": "home", "blocks": cap_blocks(blocks, VIEW_BLOCKS)}
