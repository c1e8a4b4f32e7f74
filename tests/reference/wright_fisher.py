"""Reference for wright-fisher: selection (1 + s), one-way mutation u, binomial sampling of N.

Written from docs/models/wright-fisher.md ("Model"): per generation, the variant's
frequency p becomes p (1 + s) / (1 + p s) after selection, times (1 - u) after
mutation, then X' ~ Binomial(N, p'). Start X0 = N p0. Stopped at the first of
X = 0 and X = N (the first fixation when u > 0). Exact.
"""

import numpy as np


def simulate(params: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-path fixation indicators and absorption times (generations)."""
    big_n, s, p0, u = int(params["N"]), float(params["s"]), float(params["p0"]), float(params["u"])
    x = np.full(n, round(big_n * p0))
    gens = np.zeros(n)
    alive = np.arange(n)
    t = 0
    while alive.size:
        t += 1
        p = x[alive] / big_n
        p_next = p * (1.0 + s) / (1.0 + p * s) * (1.0 - u)
        x[alive] = rng.binomial(big_n, p_next)
        done = (x[alive] == 0) | (x[alive] == big_n)
        gens[alive[done]] = t
        alive = alive[~done]
    fixed = (x == big_n).astype(float)
    return {
        "fixation_probability": fixed,
        "exact_fixation_probability": fixed,
        "mean_absorption_time": gens,
    }
