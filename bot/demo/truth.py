"""What only the simulation knows: the team, each group's true pain, and the true ranking.

debtpulse never sees any of this. It sees answers (true pain plus noise, rounded to 1–5),
incidents and the lead's assessments, and has to recover the ranking from them — which is
what the demo shows and its test checks.

"Truth" for the ranking is the score a perfect measurement would give each open item with
the default weights: the lead's assessed risk, the team's true mean pain, the expected share
answering 4 or 5, and the expected incident activity. Trend is zero: the truth stays put.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.demo.register_data import DebtSpec

GROUPS = ("data", "research", "platform")
GROUP_SHARE = (0.35, 0.40, 0.25)
NOISE = 0.8  # σ of one answer around the person's true pain
BIAS = 0.3  # σ of a person's lasting tendency to answer higher or lower
INCIDENT_WEIGHT, SIGNAL_HALF_LIFE_DAYS, SIGNAL_SATURATION = 3.0, 14.0, 3.0
NAMES = (
    "amara", "bjorn", "chen", "dalia", "emeka", "farah", "gustav", "hana", "ilya", "jonas",
    "kofi", "lena", "mateo", "nadia", "oren", "priya", "quentin", "rosa", "sven", "tamar",
    "umar", "vera", "wen", "ximena", "yusuf", "zofia",
)  # fmt: skip


@dataclass(frozen=True)
class Hidden:
    pain: tuple[float, float, float]  # base pain per group in GROUPS (1–5)
    incidents_per_week: float = 0.0
    resolved_mid_way: bool = False


HIDDEN: dict[str, Hidden] = {
    "DEBT-1": Hidden((4.6, 3.2, 3.6), 1.2),
    "DEBT-2": Hidden((1.8, 3.9, 2.2)),
    "DEBT-3": Hidden((2.6, 3.6, 4.5), 0.3, resolved_mid_way=True),
    "DEBT-4": Hidden((2.4, 3.3, 3.2), 0.5),
    "DEBT-5": Hidden((1.8, 4.3, 2.4)),
    "DEBT-6": Hidden((4.1, 2.9, 3.6), 0.6),
    "DEBT-7": Hidden((1.5, 4.1, 1.9)),
    "DEBT-8": Hidden((3.4, 3.5, 2.4), 0.2),
    "DEBT-9": Hidden((1.5, 3.7, 4.0), 0.4),
    "DEBT-10": Hidden((2.9, 2.6, 3.0), 0.3),
    "DEBT-11": Hidden((1.9, 2.6, 2.9), 0.1),
    "DEBT-12": Hidden((1.5, 3.4, 1.6)),
    "DEBT-13": Hidden((3.0, 1.6, 2.5), 0.2),
    "DEBT-14": Hidden((1.4, 3.0, 1.6)),
    "DEBT-15": Hidden((2.4, 3.0, 3.3)),
}


@dataclass(frozen=True)
class Engineer:
    user_id: str
    name: str
    group: str
    response_rate: float
    bias: float


@dataclass(frozen=True)
class Truth:
    engineers: tuple[Engineer, ...]
    pain: dict[str, dict[str, float]]  # debt key -> group -> true pain (1–5)
    incidents_per_week: dict[str, float]
    resolved_key: str | None

    def true_pain(self, engineer: Engineer, key: str) -> float:
        return self.pain[key][engineer.group]

    def answer(self, rng: random.Random, engineer: Engineer, key: str) -> int:
        """One answer: the person's true pain plus bias and noise, rounded to 1–5."""
        value = self.true_pain(engineer, key) + engineer.bias + rng.gauss(0.0, NOISE)
        return min(5, max(1, round(value)))

    def team_mean(self, key: str) -> float:
        return sum(self.true_pain(e, key) for e in self.engineers) / len(self.engineers)

    def share_high(self, key: str) -> float:
        """The expected share of the team answering 4 or 5 about ``key``."""
        spread = math.hypot(NOISE, BIAS)
        return sum(_phi((self.true_pain(e, key) - 3.5) / spread) for e in self.engineers) / len(
            self.engineers
        )

    def scores(self, specs: Iterable[DebtSpec], *, weeks: int) -> list[tuple[str, float]]:
        """The true score of each given item, highest first (ties by key)."""
        scored = []
        for spec in specs:
            risk = _risk(*spec.risk)
            pain = (self.team_mean(spec.key) - 1) / 4
            activity = sum(
                INCIDENT_WEIGHT
                * self.incidents_per_week[spec.key]
                * 0.5 ** ((7 * week + 3.5) / SIGNAL_HALF_LIFE_DAYS)
                for week in range(weeks)
            )
            signals = activity / (activity + SIGNAL_SATURATION)
            score = 35 * risk + 25 * pain + 15 * self.share_high(spec.key) + 15 * signals
            scored.append((spec.key, score))
        return sorted(scored, key=lambda pair: (-pair[1], pair[0]))


def _phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def _risk(impact: int, likelihood: int, detectability: int) -> float:
    risk = 0.5 * (impact - 1) / 4 + 0.3 * (likelihood - 1) / 4 + 0.2 * (detectability - 1) / 4
    return max(risk, 0.70) if impact == 5 else risk


def _team(rng: random.Random, size: int) -> tuple[Engineer, ...]:
    counts = [round(size * share) for share in GROUP_SHARE]
    counts[1] = size - counts[0] - counts[2]
    groups = [g for g, n in zip(GROUPS, counts, strict=True) for _ in range(n)]
    rng.shuffle(groups)
    team = []
    for n, group in enumerate(groups, start=1):
        name = NAMES[(n - 1) % len(NAMES)] + ("" if n <= len(NAMES) else str(n))
        rarely = rng.random() < 0.2  # some people seldom answer polls
        rate = rng.uniform(0.25, 0.45) if rarely else rng.uniform(0.72, 0.95)
        team.append(Engineer(f"U0ENG{n:03d}", name, group, rate, rng.gauss(0.0, BIAS)))
    return tuple(team)


def make_truth(specs: Sequence[DebtSpec], *, team_size: int, seed: int) -> Truth:
    """The hidden truth for ``seed``: the same seed always gives the same team and pain."""
    rng = random.Random(f"debtpulse-demo:{seed}:truth")
    pain = {
        spec.key: {
            group: min(5.0, max(1.0, base + rng.uniform(-0.5, 0.5)))
            for group, base in zip(GROUPS, HIDDEN[spec.key].pain, strict=True)
        }
        for spec in specs
    }
    resolved = [spec.key for spec in specs if HIDDEN[spec.key].resolved_mid_way]
    return Truth(
        engineers=_team(rng, team_size),
        pain=pain,
        incidents_per_week={spec.key: HIDDEN[spec.key].incidents_per_week for spec in specs},
        resolved_key=resolved[0] if resolved else None,
    )
