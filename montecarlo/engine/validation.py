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

__all__ = [
    "INCONCLUSIVE_RATIO",
    "VERDICTS",
    "Comparison",
    "ValidationResult",
    "comparison_table",
    "format_number",
    "validate",
    "verdict",
]

#: the three verdicts of a compared quantity
VERDICTS = ("agree", "disagree", "inconclusive")
#: an allowance over this many interval half-widths makes agreement inconclusive
INCONCLUSIVE_RATIO = 3.0


def verdict(theory: float, ci_low: float, ci_high: float, allowance: float = 0.0) -> str:
    """``"agree"``, ``"disagree"`` or ``"inconclusive"`` for one compared quantity.

    ``disagree`` when ``theory`` is not finite or lies outside the interval widened by
    ``allowance`` on both sides; otherwise ``inconclusive`` when the allowance exceeds
    :data:`INCONCLUSIVE_RATIO` (3) times the interval's half-width (the allowance, not
    the simulation, would decide, so agreement says nothing), else ``agree``.
    """
    if not (math.isfinite(theory) and ci_low - allowance <= theory <= ci_high + allowance):
        return "disagree"
    if allowance > INCONCLUSIVE_RATIO * 0.5 * (ci_high - ci_low):
        return "inconclusive"
    return "agree"


@dataclass(frozen=True)
class Comparison:
    """One quantity: its theory value, its simulated estimate and the verdict.

    ``agree`` is true unless the verdict is ``"disagree"`` (the theory lies inside the
    interval widened by ``tolerance``); ``verdict`` also tells an ``"inconclusive"``
    agreement (the allowance is over 3 half-widths of the interval) from a real one.
    """

    name: str
    theory: float
    latex: str
    kind: str
    estimate: Estimate
    agree: bool
    #: allowance beside the interval for an approximate theory (0 for exact ones)
    tolerance: float = 0.0
    #: "agree", "disagree" or "inconclusive" (see :func:`verdict`)
    verdict: str = "agree"
    #: what the allowance rests on ("none", "proven", "calibrated") and its source
    tolerance_basis: str = "none"
    tolerance_source: str = ""

    @property
    def half_width(self) -> float:
        """Half the width of the estimate's interval."""
        return 0.5 * (self.estimate.ci_high - self.estimate.ci_low)

    @property
    def allowance_ratio(self) -> float:
        """The allowance in interval half-widths (``inf`` for a zero-width interval)."""
        if not self.tolerance:
            return 0.0
        return self.tolerance / self.half_width if self.half_width > 0 else math.inf

    def reason(self) -> str:
        """One line on why the verdict is inconclusive or disagree (empty for agree)."""
        e = self.estimate
        if self.verdict == "inconclusive":
            return (
                f"allowance {self.tolerance:.3g} ({self.tolerance_basis}) is "
                f"{self.allowance_ratio:.3g}x the interval's half-width "
                f"{self.half_width:.3g} (over {INCONCLUSIVE_RATIO:g}x): the allowance, not "
                "the simulation, decides, so agreement says nothing"
            )
        if self.verdict == "disagree":
            if not math.isfinite(self.theory):
                return "the theory value is not finite"
            tol = f" widened by the allowance {self.tolerance:.3g}" if self.tolerance else ""
            return f"theory {self.theory:.6g} is outside [{e.ci_low:.6g}, {e.ci_high:.6g}]{tol}"
        return ""

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
            "verdict": self.verdict,
        }
        if self.tolerance:
            out["tolerance"] = self.tolerance
            out["tolerance_basis"] = self.tolerance_basis
            out["tolerance_source"] = self.tolerance_source
        if self.verdict != "agree":
            out["reason"] = self.reason()
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
        """True unless some quantity's verdict is ``disagree`` (inconclusive ones count
        as not disagreeing, and are reported in :attr:`verdicts`)."""
        return all(c.verdict != "disagree" for c in self.comparisons.values())

    @property
    def verdicts(self) -> dict[str, int]:
        """How many quantities got each verdict (``agree``, ``disagree``, ``inconclusive``)."""
        counts = dict.fromkeys(VERDICTS, 0)
        for c in self.comparisons.values():
            counts[c.verdict] += 1
        return counts

    def __getitem__(self, name: str) -> Comparison:
        return self.comparisons[name]

    def _repr_markdown_(self) -> str:
        """A notebook shows the comparison table."""
        n_inc = self.verdicts["inconclusive"]
        state = "DISAGREEMENT" if not self.ok else "all agree" if not n_inc else "no disagreement"
        if n_inc:
            state += f", {n_inc} inconclusive"
        head = f"**{self.model.name}** ({state})"
        return "\n".join([head, "", *comparison_table(self)])

    def to_dict(self) -> dict[str, Any]:
        """The ``driftkit validate --json`` object."""
        sim = self.simulation.to_dict()
        out = {
            "model": sim["model"],
            "params": sim["params"],
            "ok": self.ok,
            "verdicts": self.verdicts,
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
    99.9%). Each quantity gets a :func:`verdict`: ``agree`` when the theory value lies
    inside the interval, widened for an approximate quantity by the simulator's stated
    :meth:`~driftkit.montecarlo.Simulator.tolerance` (the theory's
    :meth:`~driftkit.theory.Model.allowance`, reported as ``tolerance`` with its basis),
    ``disagree`` when it lies outside, and ``inconclusive`` when it lies inside but the
    allowance is over 3 half-widths of the interval. ``ok`` is false on any disagree.
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
        allowance = model.allowance(name)
        basis, source = (allowance.basis, allowance.source) if tol else ("none", "")
        if tol and basis == "none":  # a simulator's own allowance, not stated in theory
            basis, source = "calibrated", f"{type(simulator).__name__}.tolerance"
        v = verdict(theory, est.ci_low, est.ci_high, tol)
        comparisons[name] = Comparison(
            name,
            theory,
            model.latex(name),
            model.quantity(name).kind,
            est,
            v != "disagree",
            tol,
            v,
            basis,
            source,
        )
    return ValidationResult(sim, comparisons, level, per)


def format_number(x: float) -> str:
    """A number for a Markdown table: six significant digits, ∞ and n/a spelled out."""
    if not math.isfinite(x):
        return "∞" if x > 0 else ("−∞" if x < 0 else "n/a")
    return f"{x:.6g}"


def comparison_table(v: ValidationResult) -> list[str]:
    """The Markdown table of one validation: theory, estimate, interval, n, verdict."""
    rows = [
        "| quantity | theory | estimate | interval | n | verdict |",
        "|---|---:|---:|---|---:|:---:|",
    ]
    for c in v.comparisons.values():
        e = c.estimate
        tol = f" ± {format_number(c.tolerance)}" if c.tolerance else ""
        rows.append(
            f"| `{c.name}` | {format_number(c.theory)} | {format_number(e.estimate)} | "
            f"[{format_number(e.ci_low)}, {format_number(e.ci_high)}]{tol} | {e.n:,} | "
            f"{_verdict_cell(c)} |"
        )
    return rows


def _verdict_cell(c: Comparison) -> str:
    """A verdict for a Markdown table: agree, **disagree**, or inconclusive with its ratio."""
    if c.verdict == "disagree":
        return "**disagree**"
    if c.verdict == "inconclusive":
        return f"inconclusive (allowance {c.allowance_ratio:.3g}x half-width)"
    return "agree"
