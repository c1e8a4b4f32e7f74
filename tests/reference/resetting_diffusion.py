"""Reference for resetting-diffusion: dX = mu dt + sigma dW, reset to x0, stopped at hi.

Written from docs/models/resetting-diffusion.md ("Model", parameter table): resets at
the events of a Poisson process of rate r (or, when period > 0, at the times
period, 2 period, ...; r then ignored); a reset is instantaneous, back to x0.

Scheme: reset times are drawn exactly; between them the path moves by exact Gaussian
increments over steps of h = 2e-3 (a step is shortened to end exactly at a reset),
with the exact Brownian-bridge test for hi touched inside a step. The passage time is
read as the middle of its step: error < h/2 = 1e-3 per path, against interval
half-widths >= 5e-2 at the test's path counts.
"""

import numpy as np

from ._bridge import crossing_probability

H = 2e-3


def simulate(params: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-path first-passage times to hi."""
    mu, sigma, rate = float(params["mu"]), float(params["sigma"]), float(params["r"])
    x0, hi, period = float(params["x0"]), float(params["hi"]), float(params["period"])

    def next_reset(now: np.ndarray) -> np.ndarray:
        if period > 0:
            return (np.floor(now / period + 1e-12) + 1.0) * period
        if rate > 0:
            return now + rng.exponential(1.0 / rate, now.size)
        return np.full(now.size, np.inf)

    x = np.full(n, x0)
    clock = np.zeros(n)
    reset_at = next_reset(clock)
    passage = np.full(n, np.nan)
    alive = np.arange(n)
    while alive.size:
        xs, ts = x[alive], clock[alive]
        to_reset = reset_at[alive] - ts
        reset_ends_step = to_reset <= H * (1 + 1e-9)  # float-safe when period is a multiple of h
        step = np.where(reset_ends_step, np.maximum(to_reset, 1e-300), H)
        var = sigma * sigma * step
        xn = xs + mu * step + np.sqrt(var) * rng.standard_normal(alive.size)
        p_hi = np.where(xn >= hi, 1.0, crossing_probability(hi - xs, hi - xn, var))
        hit = rng.random(alive.size) < p_hi
        passage[alive[hit]] = ts[hit] + step[hit] / 2
        reset = ~hit & reset_ends_step
        xn[reset] = x0
        x[alive] = xn
        clock[alive] = ts + step
        if reset.any():
            idx = alive[reset]
            clock[idx] = reset_at[idx]  # land exactly on the reset time
            # a clock-driven reset sits on k * period: look for the next one past it
            reset_at[idx] = next_reset(clock[idx] + (1e-9 if period > 0 else 0.0))
        alive = alive[~hit]
    return {"mean_first_passage_time": passage}
