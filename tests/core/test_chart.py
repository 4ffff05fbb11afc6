"""The digest chart: a PNG of the top items' score and pain, or None without matplotlib."""

from __future__ import annotations

import builtins
import io
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from bot.core import chart
from bot.core.chart import ChartSeries, charts_available, render_chart

pytest.importorskip("matplotlib")
from matplotlib import image

WEEKS = [date(2026, 9, 7) + timedelta(weeks=i) for i in range(12)]


def _decode(png: bytes) -> Any:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return image.imread(io.BytesIO(png), format="png")


def test_twelve_weeks_of_six_items_make_a_readable_png() -> None:
    series = [
        ChartSeries(
            key=f"DEBT-{n}",
            title=f"A long debt title number {n} that will be clipped in the legend",
            scores=[20.0 + n + w for w in range(12)],
            pains=[None if w % 5 == 0 else 2.0 + (n + w) % 3 for w in range(12)],
        )
        for n in range(6)
    ]
    pixels = _decode(render_chart(WEEKS, series, title="Top debt items") or b"")
    height, width = pixels.shape[:2]
    assert 1000 <= width <= 1400 and 650 <= height <= 1000  # about Slack's preview size


def test_one_week_and_all_gaps_still_draw() -> None:
    one = [ChartSeries("DEBT-1", "Flaky ingestion", scores=[40.0], pains=[None])]
    assert _decode(render_chart(WEEKS[:1], one, title="t") or b"").shape[0] > 300
    gaps = [
        ChartSeries("DEBT-1", "Flaky ingestion", scores=[None] * 11 + [30.0], pains=[None] * 12),
        ChartSeries("DEBT-2", "Nothing yet", scores=[None] * 12, pains=[None] * 12),
    ]
    assert render_chart(WEEKS, gaps, title="t") is not None


def test_nothing_to_draw_is_none() -> None:
    empty = [ChartSeries("DEBT-1", "x", scores=[None] * 12, pains=[None] * 12)]
    assert render_chart(WEEKS, empty, title="t") is None
    assert render_chart([], [], title="t") is None


def test_values_must_match_the_weeks() -> None:
    with pytest.raises(ValueError, match="DEBT-1: 2 scores for 12 weeks"):
        render_chart(WEEKS, [ChartSeries("DEBT-1", "x", [1.0, 2.0], [None] * 12)], title="t")
    with pytest.raises(ValueError, match="ascending"):
        render_chart(WEEKS[::-1], [], title="t")


@pytest.fixture
def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_import = builtins.__import__

    def refuse(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    chart.charts_available.cache_clear()
    monkeypatch.setattr(builtins, "__import__", refuse)
    yield
    monkeypatch.undo()
    chart.charts_available.cache_clear()


def test_without_the_extra_there_is_no_chart(no_matplotlib: None) -> None:
    assert charts_available() is False
    series = [ChartSeries("DEBT-1", "x", scores=[1.0] * 12, pains=[2.0] * 12)]
    assert render_chart(WEEKS, series, title="t") is None
