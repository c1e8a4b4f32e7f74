"""Validation: theory against simulation, quantity by quantity."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from driftkit.montecarlo.engine.core import (
    DEFAULT_MAX_STEPS,
    SimulationResult,
    _as_model,
    get_simulator,
    simulate,
)
from driftkit.montecarlo.engine.rng import RNGLike
from driftkit.montecarlo.engine.stats import Estimate, bonferroni
from driftkit.theory import Model

__all__ = ["Comparison", "ValidationResult", "comparison_table", "format_number", "validate"]


@dataclass(frozen=True)
class Comparison:
    """One quantity: its theory value, its simulated estimate and whether they agree."""

    name: str
    theory: float
    latex: str
    kind: str
    estimate: Estimate
    agree: bool
    #: allowance beside the interval for an approximate theory (0 for exact ones)
    tolerance: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        e = self.estimate
        out = {
            "value": self.theory,
            "latex": self.latex,
            "kind": self.kind,
            "estimate": e.estimate,
            "ci_low": e.ci_low,
            "ci_high": e.ci_high,
            "n": e.n,
            "agree": self.agree,
        }
        if self.tolerance:
            out["tolerance"] = self.tolerance
        return out


@dataclass
class ValidationResult:
    """What :func:`validate` returns."""

    simulation: SimulationResult
    comparisons: dict[str, Comparison]
    level: float  # family-wise
    comparison_level: float  # per quantity, after Bonferroni

    @property
    def model(self) -> Model:
        return self.simulation.model

    @property
    def ok(self) -> bool:
        return all(c.agree for c in self.comparisons.values())

    def __getitem__(self, name: str) -> Comparison:
        return self.comparisons[name]

    def _repr_markdown_(self) -> str:
        """A notebook shows the comparison table."""
        head = f"**{self.model.name}** ({'all agree' if self.ok else 'DISAGREEMENT'})"
        return "\n".join([head, "", *comparison_table(self)])

    def to_dict(self) -> dict[str, Any]:
        """The ``driftkit validate --json`` object."""
        sim = self.simulation.to_dict()
        out = {
            "model": sim["model"],
            "params": sim["params"],
            "ok": self.ok,
            "quantities": {k: c.to_dict() for k, c in self.comparisons.items()},
            "level": self.level,
            "comparison_level": self.comparison_level,
        }
        for key, value in sim.items():
            if key not in ("model", "params", "quantities", "level"):
                out[key] = value
        return out


def validate(
    model: Model | str,
    paths: int | None = None,
    rng: RNGLike = None,
    *,
    level: float = 0.999,
    max_steps: int = DEFAULT_MAX_STEPS,
    interval: str = "wilson",
    threads: int | None = None,
    progress: bool = False,
    method: str = "naive",
    time_limit: float | None = None,
) -> ValidationResult:
    """Simulate ``model`` and compare every simulated quantity with its closed form.

    Each quantity's interval is built at the Bonferroni-corrected level
    ``1 - (1 - level) / m`` over the ``m`` quantities compared, so with a
    correct theory all agree with probability at least ``level`` (default
    99.9%). ``agree`` is true when the theory value lies inside the interval,
    widened for an approximate quantity by the simulator's stated
    :meth:`~driftkit.montecarlo.Simulator.tolerance` (reported as ``tolerance``).
    With a rare-event ``method`` (``"importance"``, ``"splitting"``; see
    :func:`driftkit.montecarlo.simulate`) the one probability that method estimates is
    validated, with its relative error and ESS in the estimate; an estimate too
    unreliable to compare is refused (:class:`~driftkit.montecarlo.UnreliableEstimateError`).
    Other arguments are those of :func:`driftkit.montecarlo.simulate`.
    """
    model = _as_model(model)
    simulator = get_simulator(model)
    runner = simulator.runner(method)
    if runner is not simulator:
        runner.check(model)
    names = runner.simulated_quantities(model)
    if not names:
        raise ValueError(
            f"nothing to validate for {model.name} at {model.params}: no simulated quantity "
            "is finite there (e.g. an infinite mean passage time); change the parameters"
        )
    per = bonferroni(level, len(names))
    sim = simulate(
        model,
        paths,
        rng,
        max_steps=max_steps,
        level=per,
        interval=interval,
        threads=threads,
        progress=progress,
        method=method,
        time_limit=time_limit,
    )
    comparisons = {}
    for name in names:
        theory = model.value(name)
        est = sim.estimates[name]
        tol = float(simulator.tolerance(model, name))
        agree = math.isfinite(theory) and est.ci_low - tol <= theory <= est.ci_high + tol
        comparisons[name] = Comparison(
            name, theory, model.latex(name), model.quantity(name).kind, est, agree, tol
        )
    return ValidationResult(sim, comparisons, level, per)


def format_number(x: float) -> str:
    """A number for a Markdown table: six significant digits, ∞ and n/a spelled out."""
    if not math.isfinite(x):
        return "∞" if x > 0 else ("−∞" if x < 0 else "n/a")
    return f"{x:.6g}"


def comparison_table(v: ValidationResult) -> list[str]:
    """The Markdown table of one validation: theory, estimate, interval, n, agree."""
    rows = [
        "| quantity | theory | estimate | interval | n | agree |",
        "|---|---:|---:|---|---:|:---:|",
    ]
    for c in v.comparisons.values():
        e = c.estimate
        tol = f" ± {format_number(c.tolerance)}" if c.tolerance else ""
        rows.append(
            f"| `{c.name}` | {format_number(c.theory)} | {format_number(e.estimate)} | "
            f"[{format_number(e.ci_low)}, {format_number(e.ci_high)}]{tol} | {e.n:,} | "
            f"{'yes' if c.agree else '**NO**'} |"
        )
    return rows
