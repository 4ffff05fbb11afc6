"""Whole-process wall times of commands against an anchor run in the same rounds.

The machine is shared: a figure means something only beside its anchor measured at the same
time. Each round runs every command in turn (A B C A B C …, after one warm-up run of each),
takes each command's median over the round, and the figure reported is the median of the
rounds' medians.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

#: ``python -c pass`` as the issue measured it (the interpreter's own start-up); a target set
#: in milliseconds there is that many times this anchor.
ISSUE_INTERPRETER_MS = 31.8


def debtpulse(*args: str) -> list[str]:
    """The ``debtpulse`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("debtpulse")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "bot.cli", *args]


def run_once(command: Sequence[str], env: Mapping[str, str], cwd: Path) -> float:
    """Seconds ``command`` took, whole process; exits when it fails."""
    started = time.perf_counter()
    done = subprocess.run(
        list(command), env=dict(env), cwd=cwd, capture_output=True, text=True, check=False
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return took


def interleaved(
    commands: Mapping[str, Sequence[str]],
    *,
    runs: int = 5,
    rounds: int = 3,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> dict[str, float]:
    """Per command name, the median over ``rounds`` of each round's median of ``runs``."""
    env = env if env is not None else os.environ
    cwd = cwd or Path.cwd()
    for command in commands.values():  # warm the OS cache and the bytecode once
        run_once(command, env, cwd)
    medians: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                times[name].append(run_once(command, env, cwd))
        for name, taken in times.items():
            medians[name].append(statistics.median(taken))
    return {name: statistics.median(values) for name, values in medians.items()}


def row(label: str, seconds: float, anchor: float, target: str = "", verdict: str = "") -> str:
    """One line of a results table: figure, anchor, ratio, target and verdict."""
    return (
        f"  {label:<44} {seconds * 1000:7.0f} ms  anchor {anchor * 1000:6.0f} ms  "
        f"{seconds / anchor:6.2f}x  {target:<26} {verdict}"
    )


def within(seconds: float, target_ms: float, interpreter: float) -> str:
    """The verdict on a target set in milliseconds on the issue's machine: met when the
    figure is at most the target, or at most its multiple of the interpreter's start-up
    measured now (the machine's speed moves both)."""
    scaled = target_ms / 1000 * interpreter / (ISSUE_INTERPRETER_MS / 1000)
    if seconds <= target_ms / 1000:
        return "met"
    if seconds <= scaled:
        return f"met against the interpreter ({scaled * 1000:.0f} ms now)"
    return f"NOT met ({scaled * 1000:.0f} ms scaled)"
