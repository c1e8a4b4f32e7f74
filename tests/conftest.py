"""Shared test setup: deterministic hypothesis, numba warmed before any property test."""

import atexit
import os
import shutil
import tempfile

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

# Derived sympy expressions are cached on disk (driftkit.theory._cache). The tests use a
# fresh folder of their own, set here at import so that every subprocess a test starts
# inherits it: no run reads, or writes to, a user's cache.
_CACHE_DIR = tempfile.mkdtemp(prefix="driftkit-test-cache-")
os.environ["DRIFTKIT_CACHE_DIR"] = _CACHE_DIR
os.environ.pop("DRIFTKIT_NO_CACHE", None)
atexit.register(shutil.rmtree, _CACHE_DIR, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def warm_numba():
    """Compile (or load from cache) every kernel once, before the tests time anything."""
    from driftkit.montecarlo import get_simulator
    from driftkit.theory import get_model, model_names

    for name in model_names():
        get_simulator(name).warm_up(get_model(name)())
    np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _isolate_registry():
    """A model a test loads from a spec is registered for that test only, so that
    tests which enumerate the models see the built-in ones whatever ran before."""
    from driftkit.theory import _registry

    before = dict(_registry._MODELS)
    yield
    _registry._MODELS.clear()
    _registry._MODELS.update(before)
