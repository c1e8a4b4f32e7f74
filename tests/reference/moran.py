"""Reference for moran: N individuals, i variants of fitness r; one birth and one death per event.

Written from docs/models/moran.md ("Model"): per event, the parent is drawn with
probability proportional to fitness, the individual that dies uniformly among all N
(before the offspring is added, so the parent may die); the offspring takes its
place. Time counts events, holding events included. Exact; the two draws are made
per event for every live path (the birth-death rates T+ and T- are not used).
"""

import numpy as np


def simulate(params: dict, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-path fixation indicators and absorption times; times of the fixed paths."""
    big_n, r, i0 = int(params["N"]), float(params["r"]), int(params["i0"])
    i = np.full(n, i0)
    events = np.zeros(n)
    alive = np.arange(n)
    t = 0
    while alive.size:
        t += 1
        k = i[alive]
        parent_variant = rng.random(alive.size) * (k * r + (big_n - k)) < k * r
        dead_variant = rng.random(alive.size) * big_n < k
        k = k + parent_variant.astype(int) - dead_variant.astype(int)
        i[alive] = k
        done = (k == 0) | (k == big_n)
        events[alive[done]] = t
        alive = alive[~done]
    fixed = i == big_n
    return {
        "fixation_probability": fixed.astype(float),
        "diffusion_fixation_probability": fixed.astype(float),
        "mean_absorption_time": events,
        "mean_fixation_time": events[fixed],
    }
