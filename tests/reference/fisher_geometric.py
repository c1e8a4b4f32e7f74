"""Reference for fisher-geometric: one Gaussian mutation sigma Z of a phenotype at distance z.

Written from docs/models/fisher-geometric.md ("Model"): x in R^d with |x| = z (any
direction: the law is isotropic, here x = z e_1), Z ~ N(0, I_d), sigma the per
coordinate standard deviation; kept when |x + sigma Z| < z; gain (z - |x + sigma Z|)^+.
Exact.
"""

import numpy as np


def simulate(params: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-mutation kept indicators and gains."""
    d, z, sigma = int(params["d"]), float(params["z"]), float(params["sigma"])
    y = sigma * rng.standard_normal((n, d))
    y[:, 0] += z
    dist = np.sqrt(np.einsum("ij,ij->i", y, y))
    return {
        "beneficial_probability": (dist < z).astype(float),
        "expected_progress": np.maximum(z - dist, 0.0),
    }
