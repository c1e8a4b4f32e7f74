"""Reference for belief-pool: Eicher's Level 1, a finite belief pool scored by test questions.

Written from docs/models/belief-pool.md ("Model"): a pool of P beliefs (V, A) standard
bivariate normal with correlation rho; each belief activates m = max(1, floor(n_q d))
questions, a uniform subset; N models each hold K distinct pool beliefs, a uniform
subset. Fitness of a model: for each question activated by at least one of its beliefs,
the mean alignment of those beliefs; then the mean over those questions. A generation:
N parents with replacement, probabilities proportional to exp(beta F); each child copies
its parent's beliefs. Deceptive: V < 0 and A > 0, counted over all N K belief slots.
The fitness is recomputed from the beliefs every generation (no shortcut). Exact; one
run per path.
"""

import numpy as np


def _fitness(pop: np.ndarray, a: np.ndarray, act: np.ndarray) -> np.ndarray:
    hits = act[pop]  # (N, K, n_q): does belief k of model j activate question q
    count = hits.sum(axis=1)
    total = (hits * a[pop][:, :, None]).sum(axis=1)
    active = count > 0
    per_question = np.where(active, total / np.maximum(count, 1), 0.0)
    return per_question.sum(axis=1) / active.sum(axis=1)


def _run(params: dict, rng: np.random.Generator) -> tuple[float, float]:
    rho, beta = float(params["rho"]), float(params["beta"])
    pool, n, k = int(params["pool_size"]), int(params["n_models"]), int(params["beliefs_per_model"])
    n_q, gens = int(params["n_questions"]), int(params["generations"])
    m = min(n_q, max(1, int(n_q * float(params["activation_density"]))))
    a = rng.standard_normal(pool)
    v = rho * a + np.sqrt(max(0.0, 1.0 - rho * rho)) * rng.standard_normal(pool)
    act = np.zeros((pool, n_q), dtype=bool)
    for b in range(pool):
        act[b, rng.choice(n_q, size=m, replace=False)] = True
    pop = np.array([rng.choice(pool, size=k, replace=False) for _ in range(n)])
    deceptive = (v < 0) & (a > 0)
    r0 = float(deceptive[pop].mean())
    for _ in range(gens):
        f = _fitness(pop, a, act)
        w = np.exp(beta * (f - f.max()))
        parents = rng.choice(n, size=n, replace=True, p=w / w.sum())
        pop = pop[parents]
    return float(deceptive[pop].mean()), r0


def simulate(params: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-run final and initial deceptive ratios."""
    runs = np.array([_run(params, rng) for _ in range(n)])
    return {"deceptive_ratio": runs[:, 0], "deceptive_ratio_initial": runs[:, 1]}
