"""Reference for clymer-evolution: N agents drift to misalignment; detectable ones are replaced.

Written from docs/models/clymer-evolution.md ("Model" and assumptions 1-4): agent i
has p_i ~ Beta(alpha, beta) and d_i ~ Bernoulli(q), independent, all aligned at t = 0.
Each step: (1) every aligned agent becomes misaligned with probability p_i;
(2) misaligned agents with d_i = 1 are removed; (3) each removed agent is replaced by
an aligned agent with (p, d) copied from an agent drawn uniformly, with replacement,
from the survivors (from the whole population before the removal if none survive).
Quantities are read after the last step. Exact; one population per path.
"""

import numpy as np


def simulate(params: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-population shares after ``steps`` steps."""
    agents, alpha, beta = int(params["agents"]), float(params["alpha"]), float(params["beta"])
    q, steps = float(params["detect_prob"]), int(params["steps"])
    p = rng.beta(alpha, beta, (n, agents))
    detectable = rng.random((n, agents)) < q
    aligned = np.ones((n, agents), dtype=bool)
    rows = np.arange(n)[:, None]
    for _ in range(steps):
        aligned &= ~(rng.random((n, agents)) < p)
        removed = ~aligned & detectable
        survivors = ~removed
        survivors[~survivors.any(axis=1)] = True  # nobody survived: copy from everyone
        # survivors first in each row, then a uniform draw among the first m of them
        order = np.argsort(~survivors, axis=1, kind="stable")
        count = survivors.sum(axis=1, keepdims=True)
        pick = (rng.random((n, agents)) * count).astype(np.int64)
        source = order[rows, pick]
        p = np.where(removed, p[rows, source], p)
        detectable = np.where(removed, detectable[rows, source], detectable)
        aligned |= removed
    share = aligned.mean(axis=1)
    with np.errstate(invalid="ignore"):
        drift_aligned = (p * aligned).sum(axis=1) / aligned.sum(axis=1)
    return {
        "aligned_fraction": share,
        "undetectable_fraction": 1.0 - share,
        "mean_drift_probability": drift_aligned[np.isfinite(drift_aligned)],
        "undetectable_type_fraction": (~detectable).mean(axis=1),
    }
