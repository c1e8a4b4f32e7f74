"""Reference for goodhart-selection: (A, V) standard bivariate normal with correlation rho.

Written from docs/models/goodhart-selection.md ("Model"): a candidate passes when
A > c; the top fraction q passes when A > z_q = Phi^{-1}(1 - q); a deceptive pass
has V < 0. One candidate per path; V = rho A + sqrt(1 - rho^2) E. Exact.
"""

import numpy as np
from scipy.stats import norm


def simulate(params: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-candidate deceptive-pass indicators; conditional samples among the passed."""
    rho, c, q = float(params["rho"]), float(params["c"]), float(params["fraction"])
    a = rng.standard_normal(n)
    v = rho * a + np.sqrt(1.0 - rho * rho) * rng.standard_normal(n)
    passed, top = a > c, a > norm.isf(q)
    return {
        "deceptive_probability": (passed & (v < 0)).astype(float),
        "false_pass_rate": (v[passed] < 0).astype(float),
        "selected_true_mean": v[passed],
        "top_fraction_true_mean": v[top],
        "top_fraction_deceptive_rate": (v[top] < 0).astype(float),
    }
