"""Each workspace's own settings (poll channel, digest channels, leads, time zone, minimum
group, debt budget), stored per team; the environment variables are the defaults.

:func:`effective` is what a team's work reads: the process's settings with the team's
stored values laid over, each checked by the validator of its environment variable. It is
kept in this process for :data:`TTL_S` seconds, so a request costs no query; a change made
here is seen at once, one made in another process within the TTL — without a restart.

Two rules hold whatever is stored. Anonymity first: a team's ``min_group`` may raise the
environment's ``DEBTPULSE_MIN_GROUP``, never lower it. The first lead: a team that names no
leads, in a deployment whose ``DEBTPULSE_LEADS`` is empty, is led by the user who installed
the app in it (source ``installer``).

Every change (``debtpulse config set|unset``, ``/debt config``) is written in one
transaction with its audit row (``team_setting.set`` / ``team_setting.unset``).
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import ValidationError

from bot.config import Settings

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from storage.team_settings import StoredSetting

logger = logging.getLogger(__name__)

#: How long this process keeps a team's settings before reading them again.
TTL_S = 5.0
#: The keys a team can set, in the order they are shown; each is the Settings field of the
#: same name (and so has its environment variable).
KEYS = ("poll_channel", "digest_channels", "leads", "timezone", "min_group", "debt_budget")
SET = "team_setting.set"
UNSET = "team_setting.unset"
#: Who can be a lead, at most (a setting value is a line of an audit row, not a directory).
MAX_LEADS = 50
MAX_CHANNELS = 20

_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_GROUP = re.compile(r"^<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>$")


class SettingRefused(ValueError):
    """Values a team cannot set; ``errors`` maps each refused key to why (a line naming
    what is expected). ``argument`` is ``KEY`` for a key that is not a setting, else
    ``VALUE``."""

    def __init__(self, errors: Mapping[str, str], *, argument: str = "VALUE") -> None:
        self.errors = dict(errors)
        self.argument = argument
        super().__init__("; ".join(f"{key}: {why}" for key, why in self.errors.items()))


class Shown(NamedTuple):
    """A setting as a team has it: the value in effect, where it comes from (``team``,
    ``default`` — the environment or the templates —, or ``installer`` for the first lead),
    and who set the team's own value when."""

    key: str
    value: Any
    source: str
    changed_by: str | None
    changed_at: datetime | None


@dataclass(frozen=True)
class Change:
    """What a change did to ``key``: the team's own value before and after (None: none, the
    default applies), and whether anything changed (nothing is audited otherwise)."""

    key: str
    before: Any
    after: Any

    @property
    def changed(self) -> bool:
        return self.before != self.after


# -- checking values -------------------------------------------------------------------------


def variable(key: str) -> str:
    """The environment variable giving ``key``'s default."""
    alias = Settings.model_fields[key].validation_alias
    choices = getattr(alias, "choices", None)
    return str(choices[0]) if choices else key.upper()


def _validated(key: str, value: Any) -> Any:
    """``value`` as the environment variable of ``key`` would be read (same validators)."""
    try:
        return getattr(Settings(**{variable(key): value}), key)
    except ValidationError as exc:
        error = exc.errors()[0]
        why = error["msg"].removeprefix("Value error, ")
        if error["type"] == "int_parsing":
            why = f"a whole number expected (got {value!r})"
        elif error["type"] == "greater_than_equal":
            why = f"at least {error.get('ctx', {}).get('ge')} (got {value!r})"
        raise SettingRefused({key: why}) from None


def _words(key: str, raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [word for word in re.split(r"[,\s]+", raw.strip()) if word]
    if isinstance(raw, list | tuple):
        return [str(word).strip() for word in raw if str(word).strip()]
    raise SettingRefused({key: f"text or a list expected (got {type(raw).__name__})"})


def _unmention(word: str) -> str:
    for form in (_CHANNEL, _USER, _GROUP):
        matched = form.match(word)
        if matched:
            return matched.group(1)
    return word


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _known(key: str) -> None:
    """None (unset) for a key that is a setting; SettingRefused (``KEY``) otherwise."""
    if key not in KEYS:
        raise SettingRefused({key: f"not a setting (one of {', '.join(KEYS)})"}, argument="KEY")


def check(key: str, raw: Any, *, floor: int | None = None) -> Any:
    """``raw`` (the text a person typed, or the value of a form's field) read as ``key``'s
    value; SettingRefused naming the key and what is expected otherwise. ``floor``: the
    deployment's DEBTPULSE_MIN_GROUP, which a team's ``min_group`` cannot go under."""
    _known(key)
    if key == "poll_channel":
        words = _words(key, raw)
        if len(words) != 1:
            raise SettingRefused({key: "one channel id expected, like C0123ABCD"})
        return _validated(key, _unmention(words[0]))
    if key == "digest_channels":
        words = _words(key, raw)
        if [word.lower() for word in words] == ["none"]:
            return []
        channels = _unique(_validated(key, [_unmention(word) for word in words]))
        if len(channels) > MAX_CHANNELS:
            raise SettingRefused({key: f"at most {MAX_CHANNELS} channels"})
        return channels
    if key == "leads":
        leads = _unique(_validated(key, [_unmention(word) for word in _words(key, raw)]))
        if not leads:
            raise SettingRefused({key: "at least one user or usergroup id expected"})
        if len(leads) > MAX_LEADS:
            raise SettingRefused({key: f"at most {MAX_LEADS} leads (name a usergroup instead)"})
        return leads
    if key == "timezone":
        zone = raw.strip() if isinstance(raw, str) else raw
        if not zone:
            raise SettingRefused({key: "a time zone name like Europe/Berlin expected"})
        return _validated(key, zone)
    if key == "min_group":
        given = raw.strip() if isinstance(raw, str) else raw
        if isinstance(given, str) and re.fullmatch(r"[0-9]{1,6}", given):
            given = int(given)
        if isinstance(given, bool) or not isinstance(given, int):
            raise SettingRefused({key: f"a whole number expected (got {raw!r})"})
        group = int(_validated(key, given)) if floor is None or given >= floor else given
        if floor is not None and group < floor:
            raise SettingRefused(
                {
                    key: f"{group} is under this deployment's minimum of {floor} "
                    f"({variable(key)}): a team may raise it, never lower it"
                }
            )
        return group
    return _validated(key, raw)  # debt_budget: 0.15 or 15%


# -- what is in effect -----------------------------------------------------------------------


@dataclass
class _Entry:
    base: Settings  # the process's settings this entry was built over
    stored: dict[str, StoredSetting]
    installer: str | None
    settings: Settings
    expires: float


@dataclass
class _Kept:
    """What a process runtime keeps of its teams' settings (in its ``__dict__``)."""

    entries: dict[str, _Entry] = field(default_factory=dict)
    generation: int = 0  # moved on by :func:`forget`: a read begun before is not kept


_SLOT = "_team_settings"
_PROCESSES: weakref.WeakSet[Runtime] = weakref.WeakSet()
_LOCK = threading.Lock()


def _kept(process: Runtime) -> _Kept:
    kept = process.__dict__.get(_SLOT)
    if kept is None:
        with _LOCK:
            kept = process.__dict__.setdefault(_SLOT, _Kept())
            _PROCESSES.add(process)
    return kept


def _read(runtime: Runtime, team: str) -> tuple[dict[str, StoredSetting], str | None]:
    """The team's stored values and, when it would lead, its installer: one read (with
    ``sqlite3`` alone in a command reading a SQLite file)."""
    from storage.team_settings import installer, stored

    process = runtime.process
    with process.reading() as reader:
        values = stored(reader, team_id=team)
        first = None
        if "leads" not in values and not process.settings.leads:
            first = installer(reader, team_id=team)
    return values, first


def _overlay(
    base: Settings, stored: Mapping[str, StoredSetting], installer: str | None
) -> tuple[Settings, dict[str, str]]:
    """``base`` with the stored values over it, and where each laid-over value came from.
    A stored value the validators no longer take (edited by hand, say) is left out, logged."""
    update: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, item in stored.items():
        try:
            update[key] = check(key, item.value)
        except SettingRefused as exc:
            logger.warning("a stored setting is ignored: %s", exc)
            continue
        sources[key] = "team"
    if update.get("min_group", base.min_group) < base.min_group:
        del update["min_group"]  # the deployment's minimum rose over it: anonymity first
        del sources["min_group"]
    if "leads" not in update and not base.leads and installer:
        update["leads"] = [installer]
        sources["leads"] = "installer"
    return (base.model_copy(update=update) if update else base), sources


def effective(runtime: Runtime, team: str) -> Settings:
    """The settings in effect for ``team``: its stored values over the environment's (the
    process's settings, also when ``runtime`` is another team's view). Read at most once per
    :data:`TTL_S` seconds per team in this process; the same object while nothing changed."""
    process = runtime.process
    base = process.settings
    kept = _kept(process)
    entry = kept.entries.get(team)
    if entry is not None and entry.base is base and entry.expires > time.monotonic():
        return entry.settings
    generation = kept.generation
    stored, installer = _read(process, team)
    if (
        entry is not None
        and entry.base is base
        and entry.stored == stored
        and entry.installer == installer
    ):
        settings = entry.settings
    else:
        settings = _overlay(base, stored, installer)[0]
    with _LOCK:
        if kept.generation == generation:  # no change was made here while it was read
            kept.entries[team] = _Entry(base, stored, installer, settings, time.monotonic() + TTL_S)
    return settings


def forget(runtime: Runtime | None = None, team: str | None = None) -> None:
    """Read ``team``'s settings (every team's, with no team; every database's, with no
    runtime) again at their next use."""
    with _LOCK:
        for process in list(_PROCESSES) if runtime is None else [runtime.process]:
            kept = process.__dict__.get(_SLOT)
            if kept is None:
                continue
            kept.generation += 1
            if team is None:
                kept.entries.clear()
            else:
                kept.entries.pop(team, None)


def show(runtime: Runtime, team: str) -> list[Shown]:
    """Every setting of ``team`` as it is now (read afresh): the value in effect, its source
    and who set the team's own value when. A default time zone is the digest template's; a
    default debt budget is ``weights.yaml``'s share."""
    from bot.services import reviews

    process = runtime.process
    stored, installer = _read(process, team)
    settings, sources = _overlay(process.settings, stored, installer)
    view = process.for_team(team, settings=settings)
    shown = []
    for key in KEYS:
        value = getattr(settings, key)
        if key == "timezone" and value is None:
            value = str(reviews.team_zone(view, strict=False))
        elif key == "debt_budget" and value is None:
            value = view.capacity.debt_share
        source = sources.get(key, "default")
        item = stored.get(key) if source == "team" else None
        shown.append(
            Shown(
                key,
                value,
                source,
                item.changed_by if item else None,
                item.changed_at if item else None,
            )
        )
    return shown


# -- changing them ---------------------------------------------------------------------------


def _write(
    runtime: Runtime,
    team: str,
    values: Mapping[str, Any],
    *,
    actor: str,
    reason: str,
) -> list[Change]:
    """Lay ``values`` (checked; None: unset) over the team's own in one transaction, each
    change audited; the cache is dropped after the commit."""
    from storage import audit
    from storage import team_settings as rows

    process = runtime.process
    now = process.clock()
    changes = []
    with process.transaction() as session:
        rows.lock_team(session, team_id=team)
        before = rows.stored(session, team_id=team)
        for key, value in values.items():
            old = before[key].value if key in before else None
            change = Change(key, old, value)
            changes.append(change)
            if not change.changed:
                continue
            if value is None:
                rows.remove(session, team_id=team, key=key)
            else:
                rows.put(
                    session, team_id=team, key=key, value=value, changed_by=actor, changed_at=now
                )
            audit.record(
                session,
                team_id=team,
                actor=actor,
                action=UNSET if value is None else SET,
                subject=key,
                before={"value": old},
                after={"value": value},
                reason=reason,
                at=now,
            )
    forget(process, team)
    return changes


def _checked_all(runtime: Runtime, values: Mapping[str, Any]) -> dict[str, Any]:
    """Every value of ``values`` checked (None stays None: unset); all refusals at once."""
    floor = runtime.process.settings.min_group
    checked: dict[str, Any] = {}
    errors: dict[str, str] = {}
    argument = "VALUE"
    for key, raw in values.items():
        try:
            if raw is None:
                _known(key)
            checked[key] = check(key, raw, floor=floor) if raw is not None else None
        except SettingRefused as exc:
            errors.update(exc.errors)
            argument = "KEY" if exc.argument == "KEY" else argument
    if errors:
        raise SettingRefused(errors, argument=argument)
    return checked


def apply(
    runtime: Runtime, team: str, values: Mapping[str, Any], *, actor: str, reason: str
) -> list[Change]:
    """Set each of ``values`` for ``team`` (None: drop the team's own value, so the default
    applies again): every value checked first (SettingRefused with every refusal, nothing
    written), then all written in one transaction, each change audited."""
    checked = _checked_all(runtime, values)
    return _write(runtime, team, checked, actor=actor, reason=reason) if checked else []


def set_value(
    runtime: Runtime, team: str, key: str, raw_value: Any, *, actor: str, reason: str
) -> Change:
    """Give ``team`` its own value of ``key`` (checked; SettingRefused otherwise), audited."""
    if raw_value is None:
        raise SettingRefused({key: "a value expected (unset drops the team's own)"})
    return apply(runtime, team, {key: raw_value}, actor=actor, reason=reason)[0]


def unset_value(runtime: Runtime, team: str, key: str, *, actor: str, reason: str) -> Change:
    """Drop ``team``'s own value of ``key``: the default applies again; audited."""
    return apply(runtime, team, {key: None}, actor=actor, reason=reason)[0]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9)
    return bool(a == b)


def form_changes(runtime: Runtime, team: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """What the settings form (``/debt config``) changes, checked, for :func:`apply`. Each
    field shows the value in effect, so a field left as shown changes nothing, an emptied one
    (None, ``""``, ``[]``) drops the team's own value, and any other is set; leads that are
    only the installer become the team's own when the form is saved with them (confirmed).
    SettingRefused names every refused field."""
    shown = {item.key: item for item in show(runtime, team)}
    wanted = _checked_all(
        runtime, {key: (raw if raw not in (None, "", []) else None) for key, raw in values.items()}
    )
    plan: dict[str, Any] = {}
    for key, value in wanted.items():
        if value is None:
            if shown[key].source == "team":
                plan[key] = None
        elif not _same(value, shown[key].value) or shown[key].source == "installer":
            plan[key] = value  # saving the installer as the lead confirms them
    return plan


def origin(runtime: Runtime, key: str) -> str:
    """Where ``key``'s default comes from: its environment variable, or — for a time zone and
    a debt budget the environment leaves unset — the digest's schedule and ``weights.yaml``."""
    settings = runtime.process.settings
    if key == "timezone" and settings.timezone is None:
        return "the digest template's schedule"
    if key == "debt_budget" and settings.debt_budget is None:
        return "weights.yaml"
    return variable(key)


def team_view(runtime: Runtime, team: str | None = None) -> Runtime:
    """``runtime`` for ``team`` (default: its own team) with the team's effective settings:
    its minimum group, debt budget and time zone (no token of its own: see
    ``bot.services.workspaces.team_runtime`` for work that posts)."""
    workspace = team if team is not None else runtime.default_team
    return runtime.for_team(workspace, settings=effective(runtime, workspace))
