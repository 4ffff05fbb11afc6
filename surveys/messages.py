"""Message templates shipped with debtpulse (``surveys/messages/*.j2``), rendered as mrkdwn.

They use the one Jinja environment of :mod:`surveys.render`: values are escaped for mrkdwn,
undefined names are errors.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from surveys.render import render_template

MESSAGES_DIR = Path(__file__).resolve().parent / "messages"


@cache
def _source(name: str) -> str:
    path = MESSAGES_DIR / f"{name}.j2"
    if not path.is_file():
        raise LookupError(f"no message template {name!r}")
    return path.read_text(encoding="utf-8")


def render_message(name: str, /, **context: Any) -> str:
    """Render the message template ``name`` (without ``.j2``); surrounding blank lines dropped."""
    return render_template(f"{name}.j2", _source(name), context).strip()
