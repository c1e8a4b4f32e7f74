"""Rare events: importance sampling and splitting against naive Monte Carlo.

Run: ``python benchmarks/bench_rare_events.py [--seed S]``. Prints one table, a row per
rare probability:

* the exact value (mpmath: Feller's gambler's-ruin formula; the Brownian passage
  probability :math:`e^{2\\mu(\\mathrm{hi}-x_0)/\\sigma^2}`; the OU ratio of scale functions
  by quadrature; the entropy ball's derived ``return_probability``);
* the rare-event estimate (``method="importance"`` or ``"splitting"``), its relative
  error (standard error / estimate), its actual error against the exact value, its ESS,
  the paths (splitting: trees) it used and its time;
* the paths naive Monte Carlo needs for a 10% relative error, :math:`100 (1 - P)/P`, and
  the time they would take at the naive kernel's measured rate (paths per second from
  a short naive run of the same model on one thread; for OU, whose simulator's paths
  run on to ``hi``, a splitting tree with no split, which is one naive path of the event).
  Everything runs on one thread, so the columns compare work, not cores.

It also times the issue's command end to end, as a user runs it (a fresh process:
imports, numba's cache, the simulation), ``driftkit simulate gamblers-ruin --set p=0.3
--set q=0.7 --set hi=30 --set x0=1 --method importance``: target < 5 s and < 2%
relative error; and the OU passage probability near 1e-8 by splitting: target < 30 s
and 10%.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time

import mpmath
import numpy as np
from driftkit.montecarlo import get_simulator, simulate
from driftkit.montecarlo.engine.rare import UnreliableEstimateError
from driftkit.theory import get_model

mpmath.mp.dps = 40


def ruin_exact(p, q, lo, hi, x0):
    r = mpmath.mpf(q) / mpmath.mpf(p)
    return float((1 - r ** (x0 - lo)) / (1 - r ** (hi - lo)))


def drift_exact(mu, sigma, lo, hi, x0):
    c = 2 * mpmath.mpf(mu) / mpmath.mpf(sigma) ** 2
    return float(mpmath.expm1(-c * (x0 - lo)) / mpmath.expm1(-c * (hi - lo)))


def ou_exact(theta, m, sigma, x0, hi):
    k = mpmath.sqrt(theta) / sigma

    def scale(x):
        return mpmath.quad(lambda y: mpmath.exp((k * (y - m)) ** 2), [m, x])

    return float(scale(x0) / scale(hi))


def cases():
    gr = get_model("gamblers-ruin")(p=0.3, q=0.7, hi=30, x0=1)
    bd = get_model("brownian-drift")(mu=-1.0, sigma=1.0, lo=-5.0, hi=10.0, x0=0.0)
    ou_params = dict(theta=1.0, m=0.0, sigma=math.sqrt(2.0), x0=0.5, hi=6.25)
    ou = get_model("ornstein-uhlenbeck")(**ou_params, dt=0.01)
    eb = get_model("entropy-ball")(d=10, sigma=1.0, a=0.2, R=3.0, r0=1.0)
    return [
        (gr, "importance", 100_000, ruin_exact(0.3, 0.7, 0, 30, 1), "escape_probability"),
        (bd, "importance", 20_000, drift_exact(-1.0, 1.0, -5.0, 10.0, 0.0), "escape_probability"),
        (ou, "splitting", 40_000, ou_exact(**ou_params), "escape_probability"),
        (eb, "splitting", 40_000, eb.value("return_probability"), "return_probability"),
    ]


def human(seconds):
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


def naive_rate(model, seed):
    """Naive paths per second for the rare event of ``model``."""
    paths = 20_000
    if model.name == "ornstein-uhlenbeck":
        # the OU simulator's own paths run on to hi (its mean first passage time, about
        # 1/P here); a naive path of P(reach hi before m) is a tree without splits
        runner = get_simulator(model).runner("splitting")
        prepared = list(runner.prepare(model))
        prepared[2] = np.array([float(model["hi"])])  # the levels: only the target
        runner.run_chunk(tuple(prepared), np.random.default_rng(seed), 100, 10**6)
        start = time.perf_counter()
        runner.run_chunk(tuple(prepared), np.random.default_rng(seed), paths, 10**6)
        return paths / (time.perf_counter() - start)
    simulate(model, 4096, seed)  # warm up
    start = time.perf_counter()
    simulate(model, paths, seed, max_steps=10**6, threads=1)
    return paths / (time.perf_counter() - start)


def issue_command(seed):
    """The issue's gamblers-ruin command in a fresh process: (wall s, JSON result)."""
    argv = [sys.executable, "-m", "driftkit", "simulate", "gamblers-ruin"]
    argv += ["--set", "p=0.3", "--set", "q=0.7", "--set", "hi=30", "--set", "x0=1"]
    argv += ["--method", "importance", "--seed", str(seed), "--json"]
    start = time.perf_counter()
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - start, json.loads(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20240607)
    args = ap.parse_args(argv)

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}"
    )
    header = (
        f"{'model':<20}{'method':<11}{'exact':>11}{'estimate':>11}{'rel.err':>9}"
        f"{'actual':>9}{'ESS':>9}{'paths':>9}{'time s':>8}{'naive paths':>13}{'naive time':>12}"
    )
    print(header)
    print("-" * len(header))
    for model, method, paths, exact, name in cases():
        try:  # compile, derive and plan outside the timing
            simulate(model, 4096, args.seed, method=method)
        except UnreliableEstimateError:
            pass  # too few paths to report: only the warm-up
        start = time.perf_counter()
        res = simulate(model, paths, args.seed, method=method, threads=1)
        took = time.perf_counter() - start
        e = res[name]
        naive_paths = 100.0 * (1.0 - exact) / exact  # (1 - P)/(P n) = 0.1^2
        naive_s = naive_paths / naive_rate(model, args.seed)
        print(
            f"{model.name:<20}{method:<11}{exact:>11.4g}{e.estimate:>11.4g}"
            f"{e.relative_error:>9.2%}{e.estimate / exact - 1:>+9.2%}{e.ess:>9.0f}"
            f"{paths:>9,}{took:>8.2f}{naive_paths:>13.2e}{human(naive_s):>12}"
        )
    wall, data = issue_command(args.seed)
    q = data["quantities"]["escape_probability"]
    exact = ruin_exact(0.3, 0.7, 0, 30, 1)
    print(
        f"\nissue command (fresh process, wall clock): {wall:.2f} s (target < 5 s), of which "
        f"simulation {data['elapsed_s']:.3f} s; estimate {q['estimate']:.5g} vs exact "
        f"{exact:.5g}: relative error {q['relative_error']:.2%} (target < 2%), actual "
        f"{q['estimate'] / exact - 1:+.2%}, ESS {q['ess']:.0f}"
    )


if __name__ == "__main__":
    main()
