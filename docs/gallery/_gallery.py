"""Shared helpers of the gallery scripts: a Markdown table and the command line.

Each gallery script defines ``run(full=False, seed=1) -> Entry`` and ends with
``main(run)``; ``python docs/gallery/NAME.py [--full] [--seed N]`` prints its Markdown.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Entry:
    """What a gallery script reproduced: its Markdown and its rows (for the tests)."""

    markdown: str
    rows: list[dict[str, Any]] = field(default_factory=list)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; floats are printed with 6 significant digits."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            if math.isnan(v):
                return "-"
            return f"{v:.6g}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def interval(est: Any) -> str:
    """``estimate [low, high]`` of a driftkit Estimate."""
    return f"{est.estimate:.5g} [{est.ci_low:.5g}, {est.ci_high:.5g}]"


def main(run: Callable[..., Entry], doc: str | None) -> None:
    """The command line of a gallery script."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the full size (minutes)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the simulations")
    args = parser.parse_args()
    start = time.perf_counter()
    entry = run(full=args.full, seed=args.seed)
    print(entry.markdown)
    print(f"\n<!-- {time.perf_counter() - start:.1f} s, full={args.full}, seed={args.seed} -->")


#: family-wise error rate of the simulated intervals of one gallery entry
FAMILY_ALPHA = 1e-3


def bonferroni(k: int) -> float:
    """Level of each of ``k`` intervals so that all hold together at 99.9%."""
    return 1.0 - FAMILY_ALPHA / k
