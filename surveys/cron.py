"""Standard five-field cron expressions for survey and digest schedules.

``minute hour day-of-month month day-of-week``, as in crontab(5), checked with APScheduler's
``CronTrigger.from_crontab``. Two details differ between classic cron and APScheduler 3, and
debtpulse settles both here:

- Day-of-week numbers follow crontab (0 or 7 = Sunday, 1 = Monday). APScheduler counts from
  Monday and ignores steps such as ``mon-fri/2``, so :func:`normalize_cron` rewrites the
  day-of-week field as explicit names (``1-5`` → ``mon,tue,wed,thu,fri``); the normalized
  expression means the same thing to anyone who passes it to ``from_crontab``.
- When both day-of-month and day-of-week are restricted, both must match (APScheduler's
  rule), so ``0 10 1-7 * MON`` is "the first Monday of the month". Classic cron would fire
  on either.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from apscheduler.triggers.cron import CronTrigger

__all__ = ["cron_trigger", "normalize_cron"]

FIELD_NAMES = ("minute", "hour", "day", "month", "day_of_week")
_FIELD_LABELS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab numbering 0-6
_APSCHEDULER_ORDER = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_APSCHEDULER_PREFIX = re.compile(r"^Error validating expression '[^']*': ")
_PROBE_START = datetime(2000, 1, 1, tzinfo=UTC)


def _weekday(token: str) -> int:
    token = token.strip().lower()
    if token.isdigit():
        number = int(token)
        if number > 7:
            raise ValueError(f"day-of-week {token} is out of range (0-7, where 0 and 7 are Sunday)")
        return number
    if token in _CRON_DAYS:
        return _CRON_DAYS.index(token)
    raise ValueError(f"day-of-week '{token}' is not a weekday number (0-7) or name (mon, tue …)")


def _expand_weekdays(field: str) -> set[int]:
    days: set[int] = set()
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"day-of-week step '{step_text}' must be a positive number")
            step = int(step_text)
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            start_text, _, end_text = base.partition("-")
            first, last = _weekday(start_text), _weekday(end_text)
            if last == 0 and end_text.strip().lower() == "sun":
                last = 7  # "fri-sun": Sunday closes the week
            if first > last:
                raise ValueError(f"day-of-week range '{base}' runs backwards")
        else:
            first = _weekday(base)
            last = 6 if step_text else first
        days.update(day % 7 for day in range(first, last + 1, step))
    return days


def _apscheduler_weekdays(field: str) -> str:
    if field == "*":
        return field
    days = {_CRON_DAYS[number] for number in _expand_weekdays(field)}
    return ",".join(name for name in _APSCHEDULER_ORDER if name in days)


def _field_error(fields: list[str]) -> str | None:
    for name, label, value in zip(FIELD_NAMES, _FIELD_LABELS, fields, strict=True):
        try:
            CronTrigger(**{name: value}, timezone=UTC)
        except ValueError as exc:
            reason = _APSCHEDULER_PREFIX.sub("", str(exc))
            return f"{label} field '{value}': {reason}"
    return None


def normalize_cron(expression: str) -> str:
    """Check a five-field cron expression and return it in the form debtpulse stores.

    Raises ``ValueError`` naming the faulty field, or when the expression can never fire
    (such as the 30th of February).
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
        )
    fields[4] = _apscheduler_weekdays(fields[4])
    normalized = " ".join(fields)
    try:
        trigger = CronTrigger.from_crontab(normalized, timezone=UTC)
    except ValueError as exc:
        raise ValueError(_field_error(fields) or str(exc)) from None
    if trigger.get_next_fire_time(None, _PROBE_START) is None:
        raise ValueError("never fires: no date matches this expression")
    return normalized


def cron_trigger(expression: str, timezone: tzinfo | str) -> CronTrigger:
    """An APScheduler trigger for ``expression`` (standard cron) in ``timezone``."""
    return CronTrigger.from_crontab(normalize_cron(expression), timezone=timezone)
