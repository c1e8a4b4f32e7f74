"""Reference for proxy-selection: a random walk in R^d accepted on a noisy proxy reading.

Written from docs/models/proxy-selection.md ("Model"): x_0 = 0; each step proposes
y = x + sigma Z, Z ~ N(0, I_d); the detector reads ||v_{1:k}||^2 + tau eps with a fresh
eps ~ N(0, 1) per reading (both x and y are read afresh at every step); accepted when
reading(y) - reading(x) <= tol. The full d-dimensional walk is simulated (not the
one-dimensional chain of the derivation). Exact.
"""

import numpy as np


def simulate(params: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-path first-step acceptance and changes, and final misalignments."""
    d, k, sigma = int(params["d"]), int(params["k"]), float(params["sigma"])
    tol, tau, steps = float(params["tol"]), float(params["tau"]), int(params["steps"])
    x = np.zeros((n, d))

    def observed(v: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", v[:, :k], v[:, :k])

    def unobserved(v: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", v[:, k:], v[:, k:])

    first = {}
    for t in range(steps):
        y = x + sigma * rng.standard_normal((n, d))
        read_x = observed(x) + tau * rng.standard_normal(n)
        read_y = observed(y) + tau * rng.standard_normal(n)
        accept = read_y - read_x <= tol
        if t == 0:
            first["accept"] = accept.astype(float)
            first["obs"] = np.where(accept, observed(y) - observed(x), 0.0)
            first["unobs"] = np.where(accept, unobserved(y) - unobserved(x), 0.0)
        x[accept] = y[accept]
    obs, unobs = observed(x), unobserved(x)
    return {
        "acceptance_probability": first["accept"],
        "unobserved_drift_rate": first["unobs"],
        "observed_drift_rate": first["obs"],
        "expected_misalignment": obs + unobs,
        "expected_observed_misalignment": obs,
        "expected_unobserved_misalignment": unobs,
    }
