"""Brownian-bridge crossing probability, shared by the continuous references.

Between two grid points at distance ``gap_start`` and ``gap_end`` from a barrier, a
Brownian path of variance ``var`` (sigma^2 h) over the step is, given its end points,
a Brownian bridge (whatever its constant drift); it touches the barrier with
probability ``exp(-2 gap_start gap_end / var)`` (Borodin & Salminen, 2002, part II,
ch. 2). For a state-dependent drift (Ornstein-Uhlenbeck, the radius of a
d-dimensional Brownian motion) the formula is the small-step approximation, with an
error of higher order in h than the O(h) of a crossing missed without it.
"""

import numpy as np


def crossing_probability(gap_start: np.ndarray, gap_end: np.ndarray, var: float) -> np.ndarray:
    """P(a Brownian bridge from ``gap_start`` to ``gap_end`` (>= 0) above a barrier touches it)."""
    g0 = np.maximum(gap_start, 0.0)
    g1 = np.maximum(gap_end, 0.0)
    return np.exp(-2.0 * g0 * g1 / var)
