"""Reference for belief-evolution: N models of K beliefs (A, V) under softmax selection on sum A.

Written from docs/models/belief-evolution.md ("Model"): beliefs (A, V) standard
bivariate normal with correlation rho; generation 0 draws all from the prior. A
generation: N parents drawn with replacement with probabilities proportional to
exp(beta F_j), F_j = sum_i A_ji; each child copies its parent's beliefs; each belief
of each child is replaced, independently with probability mu, by a fresh prior
draw. Deceptive: A > 0 and V < 0. The "neutral" fraction is the same population
run without selection (beta = 0). Exact; one population per path.
"""

import numpy as np


def _prior(rho, shape, rng):
    a = rng.standard_normal(shape)
    return a, rho * a + np.sqrt(1.0 - rho * rho) * rng.standard_normal(shape)


def _evolve(params, beta, n, rng):
    pop, k, rho = int(params["population"]), int(params["beliefs"]), float(params["rho"])
    mu, gens = float(params["mu"]), int(params["generations"])
    a, v = _prior(rho, (n, pop, k), rng)
    rows = np.arange(n)[:, None]
    for _ in range(gens):
        fitness = beta * a.sum(axis=2)
        weight = np.exp(fitness - fitness.max(axis=1, keepdims=True))
        cum = np.cumsum(weight / weight.sum(axis=1, keepdims=True), axis=1)
        u = rng.random((n, pop))
        parents = np.minimum((u[:, :, None] > cum[:, None, :]).sum(axis=2), pop - 1)
        a, v = a[rows, parents], v[rows, parents]
        fresh_a, fresh_v = _prior(rho, (n, pop, k), rng)
        mutate = rng.random((n, pop, k)) < mu
        a, v = np.where(mutate, fresh_a, a), np.where(mutate, fresh_v, v)
    return a, v


def simulate(params: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-population deceptive fractions and mean signal / true value after g generations."""
    a, v = _evolve(params, float(params["beta"]), n, rng)
    a0, v0 = _evolve(params, 0.0, n, rng)
    return {
        "deceptive_fraction": ((a > 0) & (v < 0)).mean(axis=(1, 2)),
        "deceptive_fraction_neutral": ((a0 > 0) & (v0 < 0)).mean(axis=(1, 2)),
        "mean_signal": a.mean(axis=(1, 2)),
        "mean_true_value": v.mean(axis=(1, 2)),
    }
