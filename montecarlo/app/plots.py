"""Plots: theory as a curve, simulation as points with interval bars.

matplotlib is an optional dependency (``pip install "driftkit[plot]"``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
from driftkit.montecarlo.engine.core import SimulationResult, get_simulator, simulate
from driftkit.montecarlo.engine.rng import RNGLike, root_sequence
from driftkit.theory import Model

__all__ = ["curve_values", "plot_curve"]

#: spawn key of the plot streams, far from the chunk keys (< 64) of a run
PLOT_STREAM = 2**32 - 1
#: values of the curve parameter the theory line is drawn through: smooth at this count
#: for these monotone or single-humped curves, and each costs one numeric evaluation of
#: every plotted quantity (some are integrals or grid propagations of tens of ms)
THEORY_POINTS = 60


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError('plots need matplotlib: pip install "driftkit[plot]"') from exc
    return plt


def _level_text(level: float) -> str:
    """``0.999`` -> ``99.9%``, ``0.99992857`` -> ``99.993%``: enough digits to tell it from 1."""
    digits = 1
    while digits < 6 and round(100 * level, digits) >= 100:
        digits += 1
    return f"{100 * level:.{digits}f}%"


def _points(
    ax: Any,
    runs: Sequence[SimulationResult],
    param: str,
    name: str,
    fmt: str,
    color: str,
    label: str,
) -> None:
    """Draw the estimates of ``name`` in ``runs`` at their value of ``param``, with their bars."""
    runs = [r for r in runs if name in r.estimates]  # a run may not estimate every quantity
    if not runs:
        return
    x = np.array([r.model[param] for r in runs], dtype=float)
    est = np.array([r.estimates[name].estimate for r in runs])
    low = np.array([r.estimates[name].ci_low for r in runs])
    high = np.array([r.estimates[name].ci_high for r in runs])
    ax.errorbar(
        x,
        est,
        yerr=[np.maximum(est - low, 0), np.maximum(high - est, 0)],
        fmt=fmt,
        color=color,
        ms=4,
        capsize=3,
        lw=1.2,
        label=label,
        zorder=3,
    )


def curve_values(model: Model, param: str, n: int) -> np.ndarray:
    """``n`` values of ``param`` inside ``model.curve_range(param)`` (integers stay so).

    Evenly spaced, or geometrically spaced (ends included) when ``model.curve_log``.
    """
    spec = model.parameter(param)
    low, high = model.curve_range(param)
    if model.curve_log:
        values = np.geomspace(low, high, n)
        if spec.integer:
            return np.unique(np.round(values).astype(np.int64))
        return values
    if spec.integer:
        inner_low, inner_high = int(low) + 1, int(high) - 1
        count = inner_high - inner_low + 1
        if count <= n:
            return np.arange(inner_low, inner_high + 1)
        return np.unique(np.round(np.linspace(inner_low, inner_high, n)).astype(np.int64))
    return np.linspace(low, high, n + 2)[1:-1]


def plot_curve(
    model: Model,
    quantities: tuple[str, ...] | None = None,
    param: str | None = None,
    *,
    points: int | None = None,
    paths: int | None = None,
    rng: RNGLike = None,
    level: float = 0.999,
    max_steps: int = 1_000_000,
    threads: int | None = None,
    simulations: Sequence[SimulationResult] = (),
    theory_points: int = THEORY_POINTS,
) -> Any:
    """Theory curves of ``quantities`` against ``param``, with simulated points.

    ``simulations`` are runs already made (e.g. by a validation): each is drawn at
    its own value of ``param`` with the interval it was computed at, and nothing is
    simulated again. ``points`` more points (default 9 without ``simulations``, 0
    with) are each an independent simulation of ``paths`` paths (default: 20,000,
    or the simulator's ``default_paths`` if fewer), with the ``level`` interval of
    that point alone. The theory is drawn through ``theory_points`` values of
    ``param``. Returns a matplotlib ``Figure``.
    """
    plt = _pyplot()
    if points is None:
        points = 0 if simulations else 9
    if paths is None and points:
        paths = min(20_000, get_simulator(model).default_paths)
    param = param or model.curve_parameter
    if param is None:
        raise ValueError(f"model {model.name} names no curve parameter; pass param=")
    quantities = (
        quantities
        or getattr(model, "plot_quantities", None)
        or tuple(q.name for q in model.quantities)
    )
    dense = curve_values(model, param, theory_points)
    sparse = curve_values(model, param, points) if points else np.array([])
    seed = None
    sims: list[SimulationResult] = []
    if len(sparse):
        root, seed = root_sequence(rng)
        plot_root = np.random.SeedSequence(
            entropy=root.entropy, spawn_key=(*root.spawn_key, PLOT_STREAM)
        )
        streams = plot_root.spawn(len(sparse))
        sims = [
            simulate(
                model.replace(**{param: v}),
                paths,
                s,
                level=level,
                max_steps=max_steps,
                threads=threads,
            )
            for v, s in zip(sparse.tolist(), streams, strict=True)
        ]
    if seed is None and simulations:
        seed = simulations[0].seed
    fig, axes = plt.subplots(
        1,
        len(quantities),
        figsize=(4.2 * len(quantities), 3.4),
        squeeze=False,
        constrained_layout=True,
    )
    for ax, name in zip(axes[0], quantities, strict=True):
        theory = [model.replace(**{param: v}).value(name) for v in dense.tolist()]
        # markers where the parameter takes few (integer) values; a plain line otherwise
        style = "-o" if model.parameter(param).integer and len(dense) <= 60 else "-"
        ax.plot(dense, theory, style, color="0.15", lw=1.4, ms=3, label="theory")
        if sims:
            _points(
                ax, sims, param, name, "o", "C3", f"simulation ({level:.1%} CI, {paths:,} paths)"
            )
        for run in simulations:
            _points(
                ax,
                [run],
                param,
                name,
                "D",
                "C0",
                f"validation run ({_level_text(run.level)} CI, {run.paths:,} paths)",
            )
        # at 10^5 paths a validation bar is thinner than its marker: print the interval
        runs = [run for run in simulations if name in run.estimates]
        if runs:
            ax.text(
                0.98,
                0.03,
                "\n".join(
                    f"{param}={run.model[param]:.4g}: {e.estimate:.5g} [{e.ci_low:.5g}, "
                    f"{e.ci_high:.5g}]"
                    for run in runs
                    for e in [run.estimates[name]]
                ),
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=7,
                color="C0",
            )
        q = model.quantity(name)
        ax.set_xlabel(f"${model.parameter(param).latex or param}$")
        if model.curve_log:
            ax.set_xscale("log")
        ax.set_ylabel(f"${q.symbol}$")
        ax.set_title(name.replace("_", " "), fontsize=10)
        ax.grid(alpha=0.3)
        formatter = ax.yaxis.get_major_formatter()
        if hasattr(formatter, "set_useOffset"):  # a flat curve reads 1, not 1e-13 + 1
            formatter.set_useOffset(False)
            low, high = ax.get_ylim()
            mid, scale = (low + high) / 2, max(1.0, abs(low), abs(high))
            if high - low < 1e-6 * scale:  # a constant: show it on a readable scale
                ax.set_ylim(mid - 0.05 * scale, mid + 0.05 * scale)
    fixed = ", ".join(
        f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
        for k, v in model.params.items()
        if k != param
    )
    axes[0][0].legend(fontsize=7, loc="best")
    title = f"{model.title} ({fixed})" + (f", seed {seed}" if seed is not None else "")
    fig.suptitle(textwrap.fill(title, width=60 * len(quantities)), fontsize=9)
    return fig
