"""Reference for clymer-gradient: SGD on (c, a, b, v) under a noisy, gameable detector.

Written from docs/models/clymer-gradient.md ("Model" and assumptions 1-9): per step
L = -(c + min(1, (a + b) xi) - w a beta) + kappa b, xi = 1 + eps v z, z ~ N(0, 1),
beta ~ Bernoulli(p); x <- x - lr grad L, with d min(1, s)/ds = 1{s < 1}, the noise
reparameterised (the gradient reaches v through xi), no clipping of v; noise = 0:
xi = 1 and no gradient into v. The gradient is written out by hand here:
dL/dc = -1, dL/da = -1{s<1} xi + w beta, dL/db = -1{s<1} xi + kappa,
dL/dv = -1{s<1} (a + b) eps z (noise on), s = (a + b) xi. Exact.
"""

import numpy as np

DRIFT_SAMPLES = 200_000  # one-step changes drawn at the start state for drift_*


def _step(state, params, rng):
    c, a, b, v = state
    lr, eps = float(params["lr"]), float(params["eps"])
    w, prob, kappa = (
        float(params["penalty_weight"]),
        float(params["penalty_prob"]),
        float(params["bias_cost"]),
    )
    size = a.shape[0]
    z = rng.standard_normal(size)
    fired = (rng.random(size) < prob).astype(float)
    noisy = int(params["noise"]) == 1
    xi = 1.0 + eps * v * z if noisy else np.ones(size)
    open_ = ((a + b) * xi < 1.0).astype(float)
    grad_c = -np.ones(size)
    grad_a = -open_ * xi + w * fired
    grad_b = -open_ * xi + kappa
    grad_v = -open_ * (a + b) * eps * z if noisy else np.zeros(size)
    return (c - lr * grad_c, a - lr * grad_a, b - lr * grad_b, v - lr * grad_v)


def simulate(params: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-run final states and per-sample one-step changes at the start."""
    start = [float(params[k]) for k in ("capability0", "alignment0", "bias0", "variance0")]
    state = tuple(np.full(n, s) for s in start)
    for _ in range(int(params["steps"])):
        state = _step(state, params, rng)
    one = _step(tuple(np.full(DRIFT_SAMPLES, s) for s in start), params, rng)
    names = ("capability", "alignment", "bias", "variance")
    out = {f"drift_{k}": one[i] - start[i] for i, k in enumerate(names)}
    out.update({f"mean_{k}": state[i] for i, k in enumerate(names)})
    return out
