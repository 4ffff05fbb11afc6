"""The dashboard's one Jinja environment: HTML templates beside this module, autoescaped
(every value from people — titles, reasons, components — is escaped for HTML), loaded once.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.core.display import LABELS, trend_arrow
from bot.web.dash import charts

TEMPLATES = Path(__file__).parent / "templates"
#: A trend arrow in words, for screen readers.
ARROWS = {"↑": "pain worsening", "↓": "pain improving", "→": "steady", "·": "not shown"}
STATIC = Path(__file__).parent / "static"


def _day(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def _moment(value: datetime | None) -> str:
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _points(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(day=_day, moment=_moment, points=_points, people=_people)
    env.globals.update(
        LABELS=LABELS,
        ARROWS=ARROWS,
        trend_arrow=trend_arrow,
        COLOURS=charts.COLOURS,
        bar_svg=charts.bar_svg,
    )
    return env


def render(template: str, **context: Any) -> bytes:
    return environment().get_template(template).render(**context).encode("utf-8")


@cache
def stylesheet() -> bytes:
    return (STATIC / "dash.css").read_bytes()
