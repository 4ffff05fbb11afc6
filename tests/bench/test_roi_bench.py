"""The ROI benchmark on a few items: what it prints and what it simulates, not how fast."""

from __future__ import annotations

import random
import re

import pytest

from bench import roi as bench
from bot.core import roi, roi_fit

PERCENT_OR_NONE = re.compile(r"^(–|\d{1,3}\.\d%)$")


def _table(out: str) -> list[list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("group "))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append(line)
    return [re.split(r"\s{2,}", row.strip()) for row in rows]


def test_a_small_run_prints_both_methods_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    bench.main(["--items", "60", "--seed", "3"])
    out = capsys.readouterr().out
    assert out.startswith("Debt ROI: 60 simulated fixes, seed 3 (")
    assert "ITS/DiD (analyse)" in out and "before/after (naive)" in out
    rows = _table(out)
    labels = [row[0] for row in rows]
    assert labels == [label for label, _ in bench.GROUPS] + ["with controls, its forced"]
    for row in rows:
        cells = " ".join(row[1:]).split()
        items, ours, naive = int(cells[0]), cells[1:6], cells[6:11]
        assert len(cells) == 11 and 0 <= items <= 60
        for block in (ours, naive):  # cover, false+, bias, width, found
            assert PERCENT_OR_NONE.match(block[0]) and PERCENT_OR_NONE.match(block[1])
            assert PERCENT_OR_NONE.match(block[4])
            assert block[2] == "–" or re.match(r"^[+-]\d+\.\d\d$", block[2])
    everything = rows[0][1].split()
    assert int(everything[0]) > 40  # most items have enough weeks
    assert re.search(r"insufficient data \(too few weeks with a value\): \d+ of 60 items", out)
    assert re.search(
        r"target coverage >= 85\.0% \(ITS/DiD, all items\): \d+\.\d% (met|NOT met)", out
    )
    assert re.search(r"target false improved <= 10\.0% \(ITS/DiD, all items\): ", out)
    assert "each undone" not in out  # the variants only on request


def test_the_same_seed_prints_the_same_figures(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for _ in range(2):
        bench.main(["--items", "25", "--seed", "11"])
        out = capsys.readouterr().out
        outputs.append(re.sub(r"\(\d+\.\d s\)", "", out))
    assert outputs[0] == outputs[1]


def test_the_variants_put_every_choice_back(capsys: pytest.CaptureFixture[str]) -> None:
    shipped = (roi.SELECTION_WINDOW, roi.MIN_TREND_WEEKS, roi_fit.RHO_MARGIN, roi_fit.RHO_MAX)
    bench.main(["--items", "20", "--seed", "5", "--variants"])
    out = capsys.readouterr().out
    assert "The method's choices, each undone" in out
    for label, _ in bench.VARIANTS:
        assert re.search(rf"^{re.escape(label)}\s+(–|\d)", out, re.MULTILINE), label
    assert shipped == (
        roi.SELECTION_WINDOW,
        roi.MIN_TREND_WEEKS,
        roi_fit.RHO_MARGIN,
        roi_fit.RHO_MAX,
    )


def test_simulated_items_carry_their_truth() -> None:
    rng = random.Random(2)
    items = [bench.simulate(rng) for _ in range(200)]
    for item in items:
        weeks = len(item.series)
        assert 4 <= item.resolve_week < weeks
        assert all(len(control) == weeks for control in item.controls)
        assert len(item.controls) in (0, 2, 3, 4)
        if item.no_effect:
            assert item.true_effect == 0.0
    assert {item.direction for item in items} == {"lower", "higher"}
    assert any(item.worst_first for item in items) and not all(i.worst_first for i in items)
    # Worst-first items were fixed when they hurt: their last two weeks before the fix sit
    # above their pre-period mean on average (regression to the mean awaits them).
    lifts = []
    for item in (i for i in items if i.worst_first):
        pre = item.series[: item.resolve_week]
        values = [y for y in pre if y is not None]
        last = [y for y in pre[-2:] if y is not None]
        if last:
            lift = sum(last) / len(last) - sum(values) / len(values)
            lifts.append(lift if item.direction == "lower" else -lift)
    assert sum(lifts) / len(lifts) > 0.5


def test_bad_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        bench.main(["--items", "0"])
    assert "--items must be at least 1" in capsys.readouterr().err
