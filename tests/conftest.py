"""Shared test setup: deterministic hypothesis, numba warmed before any property test."""

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Hypothesis draws parameters, but the same ones on every run (derandomize), and
# JIT-heavy tests have no deadline: together with fixed simulation seeds, a
# statistical test either fails every time or never.
settings.register_profile(
    "driftkit",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("driftkit")


@pytest.fixture(scope="session", autouse=True)
def warm_numba():
    """Compile (or load from cache) every kernel once, before the tests time anything."""
    from driftkit.montecarlo import get_simulator
    from driftkit.theory import get_model, model_names

    for name in model_names():
        get_simulator(name).warm_up(get_model(name)())
    np.random.default_rng(0)
