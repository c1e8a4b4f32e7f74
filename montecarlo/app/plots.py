"""Plots: theory as a curve, simulation as points with interval bars.

matplotlib is an optional dependency (``pip install "driftkit[plot]"``).
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
from driftkit.montecarlo.engine.core import get_simulator, simulate
from driftkit.montecarlo.engine.rng import RNGLike, root_sequence
from driftkit.theory import Model

__all__ = ["curve_values", "plot_curve"]

#: spawn key of the plot streams, far from the chunk keys (< 64) of a run
PLOT_STREAM = 2**32 - 1


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError('plots need matplotlib: pip install "driftkit[plot]"') from exc
    return plt


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
    points: int = 9,
    paths: int | None = None,
    rng: RNGLike = None,
    level: float = 0.999,
    max_steps: int = 1_000_000,
    threads: int | None = None,
) -> Any:
    """Theory curves of ``quantities`` against ``param``, with simulated points.

    Each point is an independent simulation of ``paths`` paths (default: 20,000,
    or the simulator's ``default_paths`` if fewer); its bar is the ``level``
    interval of that point alone. Returns a matplotlib ``Figure``.
    """
    plt = _pyplot()
    if paths is None:
        paths = min(20_000, get_simulator(model).default_paths)
    param = param or model.curve_parameter
    if param is None:
        raise ValueError(f"model {model.name} names no curve parameter; pass param=")
    quantities = (
        quantities
        or getattr(model, "plot_quantities", None)
        or tuple(q.name for q in model.quantities)
    )
    dense = curve_values(model, param, 400)
    sparse = curve_values(model, param, points)
    root, seed = root_sequence(rng)
    plot_root = np.random.SeedSequence(
        entropy=root.entropy, spawn_key=(*root.spawn_key, PLOT_STREAM)
    )
    streams = plot_root.spawn(len(sparse))
    sims = [
        simulate(
            model.replace(**{param: v}), paths, s, level=level, max_steps=max_steps, threads=threads
        )
        for v, s in zip(sparse.tolist(), streams, strict=True)
    ]
    fig, axes = plt.subplots(
        1,
        len(quantities),
        figsize=(4.2 * len(quantities), 3.4),
        squeeze=False,
        constrained_layout=True,
    )
    for ax, name in zip(axes[0], quantities, strict=True):
        theory = [model.replace(**{param: v}).value(name) for v in dense.tolist()]
        style = "-" if len(dense) > 60 else "-o"
        ax.plot(dense, theory, style, color="0.15", lw=1.4, ms=3, label="theory")
        est = np.array([s.estimates[name].estimate for s in sims])
        low = np.array([s.estimates[name].ci_low for s in sims])
        high = np.array([s.estimates[name].ci_high for s in sims])
        ax.errorbar(
            sparse,
            est,
            yerr=[est - low, high - est],
            fmt="o",
            color="C3",
            ms=4,
            capsize=3,
            lw=1.2,
            label=f"simulation ({level:.1%} CI, {paths:,} paths)",
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
