"""Reference for gamblers-ruin: steps +1 w.p. p, -1 w.p. q, 0 otherwise; absorbed at lo, hi.

Written from docs/models/gamblers-ruin.md ("Model"). Exact (a discrete chain): one
uniform per step decides the step, vectorised across paths.
"""

import numpy as np

STEP_SAMPLES = 400_000  # draws of the step law for drift_rate and step_variance


def simulate(params: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-path escape/ruin indicators and exit times; per-step drift and variance samples."""
    p, q = float(params["p"]), float(params["q"])
    lo, hi, x0 = int(params["lo"]), int(params["hi"]), int(params["x0"])

    def steps(size: int) -> np.ndarray:
        u = rng.random(size)
        return np.where(u < p, 1, np.where(u < p + q, -1, 0))

    x = np.full(n, x0)
    exit_time = np.zeros(n)
    alive = np.arange(n)
    t = 0
    while alive.size:
        t += 1
        x[alive] += steps(alive.size)
        done = (x[alive] <= lo) | (x[alive] >= hi)
        exit_time[alive[done]] = t
        alive = alive[~done]
    xi = steps(STEP_SAMPLES).astype(float)
    return {
        "drift_rate": xi,
        "step_variance": (xi - xi.mean()) ** 2,
        "escape_probability": (x >= hi).astype(float),
        "ruin_probability": (x <= lo).astype(float),
        "mean_exit_time": exit_time,
    }
