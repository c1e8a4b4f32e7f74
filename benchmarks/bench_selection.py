"""Selection models: kernel throughput against the bare generator for the same draws.

Run: ``python benchmarks/bench_selection.py``. For each model at its defaults,
``simulate`` on one thread is timed and its random draws per second are put next
to a numba loop that makes the same draws and nothing else (the RNG bound). A
ratio near 1 means the kernel costs little beyond its random numbers.

Draws per path: goodhart-selection 2 normals; fisher-geometric d normals;
entropy-ball one normal and one chi-square(d-1) per hop; proxy-selection k
normals per step plus d-k on accepted steps (plus 2 noise normals per step when
tau > 0), the accepted count read off the simulated unobserved misalignment.

These are the draws of the straightforward simulation of each model. The
goodhart-selection and proxy-selection kernels make fewer, exactly in law (a binomial
count and half-normals; a one-dimensional reduction and the unobserved part drawn once
per path: see their docstrings), so their ratio can exceed 1: it then says how much
faster the kernel is than the generator bound of the straightforward simulation.
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np
from driftkit.montecarlo import simulate
from driftkit.theory import get_model
from numba import njit


@njit(cache=True, nogil=True)
def _normals(gen, n):
    s = 0.0
    for _ in range(n):
        s += gen.standard_normal()
    return s


@njit(cache=True, nogil=True)
def _normal_chisquare(gen, n, df):
    s = 0.0
    for _ in range(n):
        s += gen.standard_normal() + gen.chisquare(df)
    return s


def best(fn, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    gen = np.random.default_rng(1)
    _normals(gen, 10)
    _normal_chisquare(gen, 10, 9.0)
    n = 20_000_000
    normal_rate = n / best(lambda: _normals(gen, n))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    print(f"bare generator: {normal_rate / 1e6:.1f} M standard normals/s (numba, 1 thread)")
    print()
    print(f"{'model':<20} {'paths':>9} {'draws/s (M)':>12} {'RNG bound (M)':>14} {'ratio':>7}")

    rows = []
    m = get_model("goodhart-selection")()
    rows.append((m, 400_000, lambda res, m=m: 2 * res.paths, normal_rate))
    m = get_model("fisher-geometric")()
    rows.append((m, 200_000, lambda res, m=m: m["d"] * res.paths, normal_rate))
    m = get_model("entropy-ball")()
    pairs = n // 10
    pair_rate = pairs / best(lambda: _normal_chisquare(gen, pairs, float(m["d"] - 1)))
    rows.append((m, 50_000, lambda res: 2 * res.steps, 2 * pair_rate))
    m = get_model("proxy-selection")()

    def proxy_draws(res, m=m):
        d, k, sigma = m["d"], m["k"], m["sigma"]
        accepted = res["expected_unobserved_misalignment"].estimate / ((d - k) * sigma**2)
        noise = 2 * m["steps"] if m["tau"] > 0 else 0
        return res.paths * (m["steps"] * k + accepted * (d - k) + noise)

    rows.append((m, 5_000, proxy_draws, normal_rate))
    for model, paths, draws, bound in rows:
        simulate(model, 1000, rng=0, threads=1)
        res = simulate(model, paths, rng=1, threads=1)
        rate = draws(res) / res.elapsed_s
        print(
            f"{model.name:<20} {paths:>9,} {rate / 1e6:>12.1f} {bound / 1e6:>14.1f} "
            f"{rate / bound:>7.2f}"
        )


if __name__ == "__main__":
    main()
