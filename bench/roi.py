"""Does the ROI method's 90 % interval hold the true effect of a fix, and does it call a fix
that did nothing "improved" — side by side with the naive before/after mean difference?

Simulated items, each one weekly metric with a known true effect of its fix, through
``bot.core.roi.analyse`` as the service calls it (``its``, or ``did`` for items with
controls) and with ``method="before_after"``. Each item draws (noise σ = 1, the unit of the
figures):

- a pre period of 4-30 weeks and a post period of 2-13 weeks;
- a pre-trend on 60 % of items, uniform in ±0.1 σ a week;
- AR(1) noise, ρ uniform in 0-0.7 (marginal σ 1);
- seasonality: a yearly wave (amplitude 0-0.8 σ) and a 13-week one (0-0.3 σ), random phases;
- when it is fixed: half the items at a set week; the other half worst-first, in the week
  after their worst two weeks (highest mean) of a 9-week span, so the last weeks before the
  fix are high by chance — regression to the mean;
- the true effect: none on 40 % of items; otherwise a level change of 0.3-2 σ for the better
  (85 %) or 0.3-1.5 σ for the worse, a third of them with a slope change too;
- 0, 5 % or 15 % of weeks missing;
- controls on half of the items: 2-4 comparable series sharing the item's seasons and half
  of its noise (a common shock), each with its own level, trend and the other half of noise;
- half the metrics are higher-is-better (the series mirrored).

The true effect is the item's effect averaged over its post weeks with a value, as
``Effect.estimate`` is. Per group of items and method it prints the share of 90 % intervals
holding it (coverage; target ≥ 85 %), the share of no-effect items called "improved" (false
improved; target ≤ 10 %), the mean bias (estimated minus true improvement, in σ: + flatters
the fix), the median interval width, and the share of true improvements found "improved".
Items with too few weeks (``insufficient_data``) are counted apart. Seeded: the same
``--items``/``--seed`` print the same figures. Run ``python -m bench.roi`` from the
repository root.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType

from bot.core import roi, roi_fit
from bot.core.roi import Direction, Method, MetricEffect, analyse

COVERAGE_TARGET = 0.85
FALSE_IMPROVED_TARGET = 0.10
ITEMS = 4000
SEED = 7
#: Weeks of the span in which a worst-first item is fixed (after its worst two weeks).
WORST_SPAN = 8


@dataclass(frozen=True)
class Item:
    """One simulated metric: its series, fix week, controls and the truth about it."""

    series: tuple[float | None, ...]
    resolve_week: int
    direction: Direction
    controls: tuple[tuple[float | None, ...], ...]
    true_effect: float  # in the metric's units, post minus counterfactual, averaged
    no_effect: bool
    worst_first: bool
    trend: bool
    rho: float
    yearly: float  # the yearly wave's amplitude, σ
    pre_weeks: int

    @property
    def true_improvement(self) -> float:
        return -self.true_effect if self.direction == "lower" else self.true_effect


def _ar1(rng: random.Random, n: int, rho: float, sd: float) -> list[float]:
    """A stationary AR(1) path of marginal standard deviation ``sd``."""
    path = [rng.gauss(0, sd)]
    step = sd * math.sqrt(1 - rho * rho)
    for _ in range(n - 1):
        path.append(rho * path[-1] + rng.gauss(0, step))
    return path


def simulate(rng: random.Random) -> Item:
    """One item, drawn as the module docstring says (the series is its "badness")."""
    n_pre, n_post = rng.randint(4, 30), rng.randint(2, 13)
    worst_first = rng.random() < 0.5
    length = n_pre + (WORST_SPAN if worst_first else 0) + n_post
    rho = rng.uniform(0, 0.7)
    slope = rng.uniform(-0.1, 0.1) if rng.random() < 0.6 else 0.0
    yearly, quarterly = rng.uniform(0, 0.8), rng.uniform(0, 0.3)
    phase, phase13 = rng.uniform(0, 52), rng.uniform(0, 13)
    season = [
        yearly * math.sin(2 * math.pi * (t + phase) / 52)
        + quarterly * math.sin(2 * math.pi * (t + phase13) / 13)
        for t in range(length)
    ]
    has_controls = rng.random() < 0.5
    shared = 0.5 if has_controls else 0.0
    common = _ar1(rng, length, rho, math.sqrt(shared))
    own = _ar1(rng, length, rho, math.sqrt(1 - shared))
    base = [10 + slope * t + season[t] + common[t] + own[t] for t in range(length)]
    if worst_first:
        fix = max(range(n_pre, n_pre + WORST_SPAN + 1), key=lambda w: base[w - 1] + base[w - 2])
    else:
        fix = n_pre
    weeks = fix + n_post
    level = change = 0.0
    if rng.random() >= 0.4:
        level = -rng.uniform(0.3, 2.0) if rng.random() < 0.85 else rng.uniform(0.3, 1.5)
        change = rng.uniform(-0.1, 0.05) if rng.random() < 1 / 3 else 0.0
    badness = [base[t] + (level + change * (t - fix) if t >= fix else 0.0) for t in range(weeks)]
    missing = rng.choice((0.0, 0.05, 0.15))
    series = [y if rng.random() >= missing else None for y in badness]
    controls = []
    for _ in range(rng.randint(2, 4) if has_controls else 0):
        trend = rng.uniform(-0.1, 0.1) if rng.random() < 0.6 else 0.0
        noise = _ar1(rng, weeks, rho, math.sqrt(1 - shared))
        level_c = rng.uniform(6, 14)
        controls.append(
            [
                level_c + trend * t + season[t] + common[t] + noise[t]
                if rng.random() >= missing
                else None
                for t in range(weeks)
            ]
        )
    direction: Direction = "lower" if rng.random() < 0.5 else "higher"
    mirror: Callable[[float | None], float | None] = (
        (lambda y: y) if direction == "lower" else (lambda y: None if y is None else 20 - y)
    )
    post = [t for t in range(fix, weeks) if series[t] is not None]
    truth = math.fsum(level + change * (t - fix) for t in post) / len(post) if post else 0.0
    return Item(
        series=tuple(mirror(y) for y in series),
        resolve_week=fix,
        direction=direction,
        controls=tuple(tuple(mirror(y) for y in c) for c in controls),
        true_effect=truth if direction == "lower" else -truth,
        no_effect=level == 0.0 and change == 0.0,
        worst_first=worst_first,
        trend=slope != 0.0,
        rho=rho,
        yearly=yearly,
        pre_weeks=sum(1 for y in series[:fix] if y is not None),
    )


@dataclass(frozen=True)
class Outcome:
    """One item's result under one method."""

    item: Item
    result: MetricEffect

    @property
    def covered(self) -> bool:
        e = self.result.effect
        return e is not None and e.low <= self.item.true_effect <= e.high

    @property
    def flattery(self) -> float:
        """Estimated minus true improvement: + flatters the fix."""
        assert self.result.effect is not None
        error = self.result.effect.estimate - self.item.true_effect
        return -error if self.item.direction == "lower" else error


@dataclass(frozen=True)
class Figures:
    """A group's figures under one method; None where the group has no such item."""

    items: int
    coverage: float | None
    false_improved: float | None
    bias: float | None
    width: float | None
    found: float | None

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> Figures:
        done = [o for o in outcomes if o.result.effect is not None]
        nulls = [o for o in done if o.item.no_effect]
        better = [o for o in done if not o.item.no_effect and o.item.true_improvement > 0]

        def share(group: Sequence[Outcome], test: Callable[[Outcome], bool]) -> float | None:
            return sum(1 for o in group if test(o)) / len(group) if group else None

        widths = [o.result.effect.high - o.result.effect.low for o in done if o.result.effect]
        return cls(
            items=len(done),
            coverage=share(done, lambda o: o.covered),
            false_improved=share(nulls, lambda o: o.result.verdict == "improved"),
            bias=statistics.fmean(o.flattery for o in done) if done else None,
            width=statistics.median(widths) if widths else None,
            found=share(better, lambda o: o.result.verdict == "improved"),
        )


def run(item: Item, method: Method | None) -> Outcome:
    return Outcome(
        item,
        analyse(
            item.series,
            item.resolve_week,
            item.direction,
            controls=item.controls,
            method=method,
        ),
    )


GROUPS: tuple[tuple[str, Callable[[Item], bool]], ...] = (
    ("all items", lambda i: True),
    ("fixed when worst (worst-first)", lambda i: i.worst_first),
    ("fixed at a set week", lambda i: not i.worst_first),
    ("with a pre-trend", lambda i: i.trend),
    ("AR(1) rho >= 0.5", lambda i: i.rho >= 0.5),
    ("yearly wave >= 0.5 sigma", lambda i: i.yearly >= 0.5),
    ("short pre (< 8 weeks)", lambda i: i.pre_weeks < 8),
    ("with controls (did)", lambda i: bool(i.controls)),
    ("without controls (its)", lambda i: not i.controls),
)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, sign: bool = False) -> str:
    return "–" if x is None else (f"{x:+.2f}" if sign else f"{x:.2f}")


def _cells(f: Figures) -> str:
    return (
        f"{_pct(f.coverage):>7} {_pct(f.false_improved):>7} {_num(f.bias, True):>6} "
        f"{_num(f.width):>6} {_pct(f.found):>6}"
    )


def table(rows: Sequence[tuple[str, Figures, Figures]]) -> list[str]:
    """The side-by-side table: each group under ITS/DiD and under the naive before/after."""
    head = f"{'cover':>7} {'false+':>7} {'bias':>6} {'width':>6} {'found':>6}"
    lines = [
        f"{'':32} {'':>6}  {'ITS/DiD (analyse)':^36}  {'before/after (naive)':^36}",
        f"{'group':32} {'items':>6}  {head}  {head}",
    ]
    for label, ours, naive in rows:
        lines.append(f"{label:32} {ours.items:>6}  {_cells(ours)}  {_cells(naive)}")
    return lines


#: The method's choices, each undone in turn (``--variants``): what the docstring of
#: ``bot.core.roi`` reports.
VARIANTS: tuple[tuple[str, tuple[tuple[ModuleType, str, float], ...]], ...] = (
    ("as shipped", ()),
    ("no selection window", ((roi, "SELECTION_WINDOW", 0),)),
    ("selection window of 1 week", ((roi, "SELECTION_WINDOW", 1),)),
    ("selection window of 3 weeks", ((roi, "SELECTION_WINDOW", 3),)),
    ("a trend from 3 fitted weeks", ((roi, "MIN_TREND_WEEKS", 3),)),
    ("a trend from 10 fitted weeks", ((roi, "MIN_TREND_WEEKS", 10),)),
    ("rho as estimated (no margin)", ((roi_fit, "RHO_MARGIN", 0.0),)),
    ("iid noise (rho 0)", ((roi_fit, "RHO_MAX", 0.0),)),
)


@contextmanager
def _patched(changes: Sequence[tuple[ModuleType, str, float]]) -> Iterator[None]:
    saved = [(module, name, getattr(module, name)) for module, name, _ in changes]
    try:
        for module, name, value in changes:
            setattr(module, name, value)
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


#: The groups the variants are shown for: where each choice matters.
VARIANT_GROUPS: tuple[tuple[str, Callable[[Item], bool]], ...] = (
    ("all items", lambda i: True),
    ("worst-first", lambda i: i.worst_first),
    ("pre < 10 weeks", lambda i: i.pre_weeks < 10),
)


def variants(items: Sequence[Item]) -> list[str]:
    """ITS/DiD with each choice undone, on all items, worst-first ones and short pre periods."""
    head = f"{'cover':>7} {'false+':>7} {'bias':>6} {'width':>6}"
    lines = [
        f"{'':30} " + "  ".join(f"{label:^29}" for label, _ in VARIANT_GROUPS),
        f"{'variant':30} " + "  ".join(head for _ in VARIANT_GROUPS),
    ]
    for label, changes in VARIANTS:
        with _patched(changes):
            outcomes = [run(item, None) for item in items]
        cells = []
        for _, keep in VARIANT_GROUPS:
            f = Figures.of([o for o in outcomes if keep(o.item)])
            cells.append(
                f"{_pct(f.coverage):>7} {_pct(f.false_improved):>7} {_num(f.bias, True):>6} "
                f"{_num(f.width):>6}"
            )
        lines.append(f"{label:30} " + "  ".join(cells))
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The ROI method against simulated fixes.")
    parser.add_argument("--items", type=int, default=ITEMS, help=f"items simulated ({ITEMS})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed ({SEED})")
    parser.add_argument(
        "--variants",
        action="store_true",
        help="also run the method with each of its choices undone (about 8x longer)",
    )
    args = parser.parse_args(argv)
    if args.items < 1:
        parser.error("--items must be at least 1")
    started = time.perf_counter()
    rng = random.Random(args.seed)
    items = [simulate(rng) for _ in range(args.items)]
    ours = [run(item, None) for item in items]
    naive = [run(item, "before_after") for item in items]
    forced = [run(item, "its") for item in items if item.controls]
    rows = [
        (
            label,
            Figures.of([o for o in ours if keep(o.item)]),
            Figures.of([o for o in naive if keep(o.item)]),
        )
        for label, keep in GROUPS
    ]
    with_controls = next(row for row in rows if row[0] == "with controls (did)")
    rows.append(("with controls, its forced", Figures.of(forced), with_controls[2]))
    elapsed = time.perf_counter() - started
    short = sum(1 for o in ours if o.result.effect is None)
    print(f"Debt ROI: {args.items} simulated fixes, seed {args.seed} ({elapsed:.1f} s)")
    print(
        "cover = 90% intervals holding the true effect; false+ = no-effect items called "
        '"improved"; bias = estimated - true improvement (sigma, + flatters the fix); '
        'width = median interval width (sigma); found = true improvements called "improved"'
    )
    print()
    for line in table(rows):
        print(line)
    print()
    print(f"insufficient data (too few weeks with a value): {short} of {args.items} items")
    overall = rows[0][1]
    for name, value, target, ok in (
        ("coverage", overall.coverage, COVERAGE_TARGET, lambda v, t: v >= t),
        ("false improved", overall.false_improved, FALSE_IMPROVED_TARGET, lambda v, t: v <= t),
    ):
        sign = ">=" if name == "coverage" else "<="
        verdict = "–" if value is None else ("met" if ok(value, target) else "NOT met")
        print(f"target {name} {sign} {_pct(target)} (ITS/DiD, all items): {_pct(value)} {verdict}")
    if args.variants:
        print()
        print("The method's choices, each undone (bot.core.roi's docstring):")
        for line in variants(items):
            print(line)


if __name__ == "__main__":
    main()
