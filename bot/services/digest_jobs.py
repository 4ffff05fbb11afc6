"""The weekly digest: preview it, or post it once per week to each of its channels.

Posting takes the week's ``priority_snapshot`` (the audit trail of the numbers shown) and
claims a ``digest_post`` row per channel before sending, in one transaction; the row is marked
posted with the message's ``ts`` after. A second trigger the same week — a restart, a manual
post — finds the claim and posts nothing, unless forced. A send that Slack refuses releases
its claim, so a later try can post.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.core.chart import ChartSeries, render_chart
from bot.core.digest import DigestContent, assemble
from bot.core.roi_chart import render_roi_chart
from bot.services.digest_inputs import Gathered, gather
from bot.services.digest_roi import first_charted
from bot.services.ranking import Ranking, current_ranking, week_start
from bot.services.roi import context_for
from bot.slack.digest_views import digest_message

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.runtime import Runtime
    from storage.reader import Reader
    from surveys import Digest

logger = logging.getLogger(__name__)
ACTOR = "digest"
CHART_ITEMS = 6


@dataclass(frozen=True)
class Preview:
    content: DigestContent
    message: dict[str, Any]
    gathered: Gathered


@dataclass(frozen=True)
class ChannelResult:
    channel: str
    outcome: str  # "posted" | "already posted" | "failed"
    ts: str = ""
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.channel}: {self.outcome}"
        return f"{text} ({self.detail})" if self.detail else text


def digest_template(runtime: Runtime, digest_id: str) -> Digest:
    loaded = runtime.catalog.get(digest_id)
    if loaded is None or loaded.digest is None:
        known = sorted(k for k, v in runtime.catalog.items() if v.digest is not None)
        raise LookupError(f"no digest {digest_id!r} (known: {', '.join(known) or 'none'})")
    return loaded.digest


def default_digest_id(runtime: Runtime) -> str:
    """The only digest of the catalog, or the built-in weekly digest."""
    ids = sorted(k for k, v in runtime.catalog.items() if v.digest is not None)
    return ids[0] if len(ids) == 1 else "weekly-digest"


def channels_of(runtime: Runtime, template: Digest) -> list[str]:
    channels = list(template.channels) or list(runtime.settings.digest_channels)
    if not channels:
        raise LookupError(
            f"digest {template.id} has no channels: list them in the template or set "
            "DEBTPULSE_DIGEST_CHANNELS"
        )
    return channels


def digest_week(template: Digest, at: datetime, zone: str | None = None) -> date:
    """The week a digest sent at ``at`` is for: the Monday of ``at``'s date in ``zone`` (the
    team's time zone, when it set one) or the zone of the template's schedule (Monday 09:00
    in Sydney is still Sunday in UTC)."""
    where = ZoneInfo(zone) if zone is not None else template.schedule.zone
    return week_start(at.astimezone(where).date())


def _titles(runtime: Runtime) -> dict[str, str]:
    return {k: v.survey.title for k, v in runtime.catalog.items() if v.survey is not None}


def _build(
    runtime: Runtime,
    source: Session | Reader,
    template: Digest,
    now: datetime,
    team: str,
    *,
    ranking: Ranking | None = None,
    week: date | None = None,
) -> Preview:
    gathered = gather(
        source,
        template=template,
        team_id=team,
        now=now,
        settings=runtime.score_settings,
        capacity=runtime.capacity,
        survey_titles=_titles(runtime),
        ranking=ranking,
        week=week or digest_week(template, now, runtime.settings.timezone),
        roi=replace(context_for(runtime, team), today=now.date()),
    )
    content = assemble(gathered.inputs)
    return Preview(content, digest_message(content), gathered)


def preview(runtime: Runtime, digest_id: str | None = None, *, team: str | None = None) -> Preview:
    """The digest as it would be posted now (reads only; nothing is stored or sent)."""
    template = digest_template(runtime, digest_id or default_digest_id(runtime))
    with runtime.reading() as reader:  # sqlite3 alone on a SQLite file (``Runtime.reading``)
        return _build(runtime, reader, template, runtime.clock(), team or runtime.default_team)


def chart_png(runtime: Runtime, built: Preview) -> bytes | None:
    """The score and pain trends of the top items, or None without the charts extra.

    Leading weeks with no data for any item are left out (a team's first weeks).
    """
    g = built.gathered
    top = (built.content.top or ())[:CHART_ITEMS]
    empty = [None] * len(g.chart_weeks)
    scores = [g.score_history.get(item.key, empty) for item in top]
    pains = [g.pain_history.get(item.key, empty) for item in top]
    first = next(
        (i for i in range(len(g.chart_weeks)) if any(v[i] is not None for v in scores + pains)),
        len(g.chart_weeks) - 1,
    )
    series = [
        ChartSeries(key=item.key, title=item.title, scores=score[first:], pains=pain[first:])
        for item, score, pain in zip(top, scores, pains, strict=True)
    ]
    week = built.content.week.strftime("%b %d, %Y")
    weeks = len(g.chart_weeks) - first
    return render_chart(
        g.chart_weeks[first:], series, title=f"Top debt items, {weeks} weeks to {week}"
    )


def roi_chart_png(built: Preview) -> tuple[str, bytes] | None:
    """The key and ROI chart of the "Return on debt work" section's first fix with a
    measured metric (actual series, counterfactual, week of the fix), or None."""
    section, fixes = built.content.roi, built.gathered.roi
    if section is None or fixes is None:
        return None
    report = first_charted(fixes, [line.key for line in section.lines])
    png = None if report is None else render_roi_chart(report)
    return None if report is None or png is None else (report.key, png)


def post_digest(
    runtime: Runtime, digest_id: str, scheduled_for: datetime, *, force: bool = False
) -> list[ChannelResult]:
    """Post the digest for the week of ``scheduled_for`` to its channels, once per week."""
    from bot.services.slack_calls import slack_client
    from bot.services.snapshots import take_snapshot
    from storage import digests

    template = digest_template(runtime, digest_id)
    channels = channels_of(runtime, template)
    client = slack_client(runtime)
    now = runtime.clock()
    week = digest_week(template, scheduled_for, runtime.settings.timezone)
    team = runtime.posting_team()
    with runtime.transaction() as session:
        full = current_ranking(session, team_id=team, now=now, settings=runtime.score_settings)
        take_snapshot(session, ranking=full, team_id=team, actor=ACTOR, at=now, week=week)
        # the digest reads the snapshot's ranking unless it shows one category only
        same = full if template.category is None else None
        built = _build(runtime, session, template, now, team, ranking=same, week=week)
        claims = {
            channel: digests.claim_post(
                session,
                team_id=team,
                digest_id=template.id,
                week=week,
                channel_id=channel,
                now=now,
                force=force,
            )
            for channel in channels
        }
    results = []
    png = chart_png(runtime, built) if any(claims.values()) else None
    roi_chart = roi_chart_png(built) if any(claims.values()) else None
    for channel, post_id in claims.items():
        if post_id is None:
            results.append(ChannelResult(channel, "already posted", detail=f"week of {week}"))
            continue
        results.append(
            _post(
                runtime,
                client,
                channel=channel,
                post_id=post_id,
                built=built,
                charts=(png, roi_chart),
            )
        )
    for result in results:
        logger.info(
            "digest %s, week of %s: %s",
            template.id,
            week.isoformat(),
            result,
            extra={"digest": template.id, "week": week.isoformat()},
        )
    return results


def _post(
    runtime: Runtime,
    client: Any,
    *,
    channel: str,
    post_id: int,
    built: Preview,
    charts: tuple[bytes | None, tuple[str, bytes] | None],
) -> ChannelResult:
    from slack_sdk.errors import SlackApiError

    from storage import digests
    from storage.models import DigestPost

    try:
        ts = str(client.chat_postMessage(channel=channel, **built.message)["ts"])
    except (SlackApiError, OSError) as exc:
        # Refused, or unreachable after the client's retries: not posted, so the claim is
        # released and the next try (the hourly catch-up, a manual post) may post.
        error = (
            str(exc.response.get("error", "unknown error"))
            if isinstance(exc, SlackApiError)
            else f"Slack unreachable ({type(exc).__name__})"
        )
        with runtime.transaction() as session:
            post = session.get(DigestPost, post_id)
            if post is not None:
                session.delete(post)
        return ChannelResult(channel, "failed", detail=error)
    with runtime.transaction() as session:
        digests.mark_posted(session, post_id=post_id, ts=ts, now=runtime.clock())
    png, roi = charts
    details = []
    if png is not None:
        details.append(_upload_chart(client, channel, ts, png, built.content))
    if roi is not None:
        details.append(_upload_roi_chart(client, channel, ts, roi, built.content))
    return ChannelResult(channel, "posted", ts=ts, detail=", ".join(details))


def _upload_chart(client: Any, channel: str, ts: str, png: bytes, content: DigestContent) -> str:
    week = content.week.isoformat()
    return _upload(
        client,
        channel,
        ts,
        png,
        filename=f"debt-trends-{week}.png",
        title=f"Score and pain of the top items, 12 weeks to {week}",
        what="chart",
    )


def _upload_roi_chart(
    client: Any, channel: str, ts: str, chart: tuple[str, bytes], content: DigestContent
) -> str:
    key, png = chart
    return _upload(
        client,
        channel,
        ts,
        png,
        filename=f"debt-roi-{key}-{content.week.isoformat()}.png",
        title=f"Return on fixing {key}: actual, without the fix, and the week of the fix",
        what="ROI chart",
    )


def _upload(
    client: Any, channel: str, ts: str, png: bytes, *, filename: str, title: str, what: str
) -> str:
    """One PNG in the digest's thread; what to add to the result's detail."""
    from slack_sdk.errors import SlackApiError

    try:
        client.files_upload_v2(
            channel=channel, thread_ts=ts, file=png, filename=filename, title=title
        )
    except (SlackApiError, OSError) as exc:  # the digest itself is complete without it
        error = (
            exc.response.get("error", "unknown error")
            if isinstance(exc, SlackApiError)
            else type(exc).__name__
        )
        logger.warning("digest %s for %s not uploaded: %s", what, channel, error)
        return f"{what} not uploaded: {error}"
    return f"with {what}"
