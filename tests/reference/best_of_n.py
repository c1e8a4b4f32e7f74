"""Reference for best-of-n: keep the candidate with the largest proxy among n.

Written from docs/models/best-of-n.md ("Model"): true value V ~ N(0, 1), proxy
U = V + X with X ~ N(0, sigma^2) (nu = inf) or sigma times a Student-t with nu degrees
of freedom; n i.i.d. candidates, the kept one has the largest U. Whole (paths, n)
arrays, argmax along the candidates. Exact.
"""

import math

import numpy as np


def simulate(params: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-path gold (V) and proxy (U) of the kept candidate."""
    k, sigma, nu = int(params["n"]), float(params["sigma"]), float(params["nu"])
    v = rng.standard_normal((n, k))
    x = rng.standard_normal((n, k)) if math.isinf(nu) else rng.standard_t(nu, (n, k))
    u = v + sigma * x
    best = np.argmax(u, axis=1)
    rows = np.arange(n)
    return {"expected_gold": v[rows, best], "expected_proxy": u[rows, best]}
