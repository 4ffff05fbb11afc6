"""Return-on-debt figures as people read them, the same in ``/debt roi``, the digest and the
chart: numbers with as many digits as they deserve, effects with their 90 % interval, the
method and the verdict in words. Plain text (the callers escape it for mrkdwn)."""

from __future__ import annotations

from bot.core.roi import Effect, Method, Verdict

METHODS: dict[Method, str] = {
    "its": "trend before the fix extrapolated",
    "did": "against untouched items or components",
    "before_after": "before/after means",
}
VERDICTS: dict[Verdict, str] = {
    "improved": "improved",
    "worse": "worse",
    "no_change": "no clear change",
    "insufficient_data": "insufficient data",
}
#: Units shown after a value; a unit not listed is shown as it is.
UNITS = {"hours": " h", "per_week": " a week", "ratio": "", "1-5": ""}


def _decimals(size: float) -> int:
    return 0 if size >= 100 else 1 if size >= 10 else 2


def number(value: float, *, like: float | None = None) -> str:
    """``3.93``, ``12.4``, ``1,250``: two decimals below 10, one below 100, none above (as
    many as ``like`` gets, when given, so that figures read together have the same)."""
    return f"{value:,.{_decimals(abs(value if like is None else like))}f}"


def numbers(*values: float) -> list[str]:
    """Figures read together (an estimate and its interval), with the same decimals."""
    largest = max(abs(v) for v in values)
    return [number(v, like=largest) for v in values]


def signed(shown: str) -> str:
    """A change as shown: ``+0.25``, ``-1.64`` (``0.00`` has no sign)."""
    if shown.strip("-0.,") == "":
        return shown.lstrip("-")
    return shown if shown.startswith("-") else f"+{shown}"


def label(name: str) -> str:
    """A metric's name as words: ``hours_lost_per_person`` → ``hours lost per person``."""
    return name.replace("_", " ")


def unit(name: str) -> str:
    return UNITS.get(name, f" {name}")


def effect_text(effect: Effect, unit_name: str = "") -> str:
    """``-1.64 h (90 %: -2.55 to -0.72)``: the estimate and its interval."""
    estimate, low, high = (signed(n) for n in numbers(effect.estimate, effect.low, effect.high))
    return f"{estimate}{unit(unit_name) if unit_name else ''} (90 %: {low} to {high})"


def money(value: float, currency: str | None) -> str:
    """``1,330 EUR``; without a currency the amount alone."""
    amount = f"{value:,.0f}"
    return f"{amount} {currency}" if currency else amount


def days(value: float) -> str:
    """``3 days``, ``0.5 days``, ``1 day``."""
    return f"{value:g} day" if value == 1 else f"{value:g} days"


def weeks(value: float) -> str:
    """``2.6 weeks``; a payback under a week reads ``under a week``."""
    if value < 1:
        return "under a week"
    return f"{value:.1f} weeks"
