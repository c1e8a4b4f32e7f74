"""Throughput of the gambler's-ruin kernel next to a numpy-vectorised walk.

Run: ``python benchmarks/bench_gamblers_ruin.py [--paths N]``. Prints one table:
walk steps per second for

* the generator alone (numba, one ``Generator.random()`` per draw): the bound
  a one-uniform-per-step kernel cannot beat;
* driftkit's kernel on 1 thread, and ``simulate`` on 1 and 2 threads;
* a plain numpy-vectorised simulation of the same walk (all live paths advance
  together, one uniform per step, absorbed paths dropped);

and checks that all of them estimate the same escape probability.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from driftkit.montecarlo import get_simulator, simulate
from driftkit.theory import GamblersRuin
from numba import njit


@njit(cache=True, nogil=True)
def _uniforms(gen, n):
    s = 0.0
    for _ in range(n):
        s += gen.random()
    return s


def numpy_walk(model, paths, rng, max_steps=10**7):
    """The same walk, vectorised over paths with numpy: one uniform per step."""
    p, q, lo, hi, x0 = (model[k] for k in ("p", "q", "lo", "hi", "x0"))
    x = np.full(paths, x0, dtype=np.int64)
    escaped = 0
    steps = 0
    t = 0
    while x.size and t < max_steps:
        u = rng.random(x.size)
        x += (u < p).astype(np.int64) - ((u >= p) & (u < p + q))
        steps += x.size
        t += 1
        done = (x == lo) | (x == hi)
        if done.any():
            escaped += int(np.count_nonzero(x[done] == hi))
            x = x[~done]
    return escaped / paths, steps


def best_of(fn, repeats=3):
    best = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - start
        if best is None or dt < best[0]:
            best = (dt, out)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=60_000)
    ap.add_argument("--numpy-paths", type=int, default=4_000)
    args = ap.parse_args()
    # The +-1 walk with holding: p = q = 0.3, stay w.p. 0.4, start mid-way in (0, 200):
    # E[T] = 100 * 100 / 0.6 = 16,667 steps per path.
    model = GamblersRuin(p=0.3, q=0.3, lo=0, hi=200, x0=100)
    sim = get_simulator(model)
    prepared = sim.prepare(model)
    sim.warm_up(model)
    gen = np.random.default_rng(1)
    _uniforms(gen, 10)

    rows = []
    n_u = 100_000_000
    dt, _ = best_of(lambda: _uniforms(gen, n_u))
    rows.append(("generator: Generator.random() in numba", n_u / dt, "uniforms/s", None))
    gens = [np.random.default_rng(s) for s in (5, 6)]
    with ThreadPoolExecutor(2) as pool:
        dt2, _ = best_of(lambda: list(pool.map(_uniforms, gens, [n_u, n_u])))
    hardware = (2 * n_u / dt2) / (n_u / dt)

    n_paths = args.paths
    dt, out = best_of(lambda: sim.run_chunk(prepared, np.random.default_rng(2), n_paths, 10**7))
    rows.append(("driftkit kernel, 1 thread", out[3] / dt, "steps/s", out[0] / n_paths))
    for threads in (1, 2):
        dt, res = best_of(lambda t=threads: simulate(model, n_paths, rng=3, threads=t))
        rows.append(
            (
                f"driftkit simulate, {threads} thread{'s' * (threads > 1)}",
                res.steps / res.elapsed_s,
                "steps/s",
                res["escape_probability"].estimate,
            )
        )
    dt, (esc, steps) = best_of(
        lambda: numpy_walk(model, args.numpy_paths, np.random.default_rng(4)), repeats=1
    )
    rows.append(("numpy vectorised walk", steps / dt, "steps/s", esc))

    print(
        f"gambler's ruin with holding: p=0.3, q=0.3, lo=0, hi=200, x0=100 (theory "
        f"P_esc = {model.value('escape_probability'):.3f}, E[T] = "
        f"{model.value('mean_exit_time'):.0f} steps)"
    )
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    print()
    print(f"{'method':<40} {'rate (M/s)':>11}  {'unit':<11} {'P_esc est.':>10}")
    numpy_rate = rows[-1][1]
    for name, rate, unit, esc in rows:
        est = f"{esc:.3f}" if esc is not None else ""
        print(f"{name:<40} {rate / 1e6:>11.1f}  {unit:<11} {est:>10}")
    kernel = rows[1][1]
    one, two = rows[2][1], rows[3][1]
    print()
    print(
        f"kernel vs numpy: {kernel / numpy_rate:.1f}x; kernel vs one uniform per step "
        f"(generator bound): {kernel / rows[0][1]:.2f}x"
    )
    print(
        f"2-thread scaling: simulate {two / one:.2f}x; the generator loop alone on this "
        f"machine {hardware:.2f}x (the hardware's own ceiling)"
    )


if __name__ == "__main__":
    main()
