"""Evolution toy model (clymer-evolution): kernel throughput, scaling in agents, memory.

Run: ``python benchmarks/bench_clymer_evolution.py [--quick]``. One population is simulated
through ``simulate`` on one thread (the engine's timing, compilation excluded) for

- 10,000 agents x 10,000 steps (the issue's target: under 10 s);
- 10^6 agents x 1,000 steps (the issue's "scales to 10^6 agents");
- the defaults (10,000 agents x 1,000 steps) and ``validate`` at the defaults (24
  populations, all threads).

Each row shows agent-steps per second next to the RNG bound: a numba loop that draws one
uniform per agent-step and nothing else (the kernel draws one uniform per *aligned* agent
and step, plus one integer per replacement and one ``exp`` per agent at steps with a
replacement), and the kernel's working memory: 61 bytes per agent (drift probability and
its log1p 16, detectability / aligned / removed flags 3, removed index 8, survivor pool
34), allocated once per chunk, whatever the number of steps.
"""

from __future__ import annotations

import os
import platform
import sys
import time

import driftkit.montecarlo.kernels.clymer_evolution
import driftkit.theory.clymer_evolution  # noqa: F401  (registers the model)
import numpy as np
from driftkit.montecarlo import simulate, validate
from driftkit.theory import get_model
from numba import njit

BYTES_PER_AGENT = 16 + 3 + 8 + 34


@njit(cache=True, nogil=True)
def _uniforms(gen, n):
    s = 0.0
    for _ in range(n):
        s += gen.random()
    return s


def best(fn, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    gen = np.random.default_rng(1)
    _uniforms(gen, 10)
    n = 20_000_000
    uniform_rate = n / best(lambda: _uniforms(gen, n))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    print(f"bare generator: {uniform_rate / 1e6:.0f} M uniforms/s (numba, 1 thread)")
    print()
    print(
        f"{'agents':>10} {'steps':>7} {'time (s)':>9} {'agent-steps/s (M)':>18} "
        f"{'RNG bound (M)':>14} {'memory (MB)':>12} {'aligned':>8} {'theory':>8}"
    )
    model_class = get_model("clymer-evolution")
    rows = [(10_000, 1_000), (10_000, 10_000), (1_000_000, 1_000)]
    if quick:
        rows = [(10_000, 1_000), (10_000, 10_000)]
    for agents, steps in rows:
        model = model_class(agents=agents, steps=steps)
        simulate(model_class(agents=10, steps=1), 1, rng=0, threads=1)  # compiled / cached
        res = simulate(model, 1, rng=1, threads=1)
        rate = agents * steps / res.elapsed_s
        print(
            f"{agents:>10,} {steps:>7,} {res.elapsed_s:>9.2f} {rate / 1e6:>18.0f} "
            f"{uniform_rate / 1e6:>14.0f} {agents * BYTES_PER_AGENT / 1e6:>12.1f} "
            f"{res['aligned_fraction'].estimate:>8.4f} {model.value('aligned_fraction'):>8.4f}"
        )
    print()
    start = time.perf_counter()
    v = validate(model_class(), rng=2026)
    wall = time.perf_counter() - start
    print(
        f"validate clymer-evolution at the defaults: {v.simulation.paths} populations, "
        f"{v.simulation.threads} threads, simulation {v.simulation.elapsed_s:.2f} s, "
        f"wall {wall:.2f} s, {'ok' if v.ok else 'DISAGREEMENT'}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
