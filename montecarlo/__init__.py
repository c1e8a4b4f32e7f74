"""driftkit.montecarlo: fast, reproducible simulation of the models in :mod:`driftkit.theory`.

>>> from driftkit.theory import GamblersRuin
>>> from driftkit.montecarlo import validate
>>> validate(GamblersRuin(p=0.45, q=0.55), paths=20_000, rng=1).ok
True

Three layers, each importing only the ones below it:

* :mod:`driftkit.montecarlo.engine` -- seeding, chunks, threads, progress, censoring,
  estimators and intervals, rare-event methods, validation;
* :mod:`driftkit.montecarlo.kernels` -- one module per model: its numba kernel and its
  :class:`~driftkit.montecarlo.engine.core.Simulator`, registered on first use;
* :mod:`driftkit.montecarlo.app` -- the command line, sweeps, reports, plots, citations
  (consumers of validation results; nothing below imports them).

The names below are imported on first use, so ``import driftkit.montecarlo`` is cheap
and numba is loaded only when something is simulated.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from driftkit._version import __version__

if TYPE_CHECKING:
    from driftkit.montecarlo.engine.core import (
        SimulationResult,
        Simulator,
        get_simulator,
        plan_chunks,
        register_simulator,
        simulate,
    )
    from driftkit.montecarlo.engine.stats import (
        Estimate,
        bonferroni,
        censored_proportion,
        mean_interval,
        proportion_interval,
    )
    from driftkit.montecarlo.engine.validation import Comparison, ValidationResult, validate

_EXPORTS = {
    "SimulationResult": "engine.core",
    "Simulator": "engine.core",
    "get_simulator": "engine.core",
    "plan_chunks": "engine.core",
    "register_simulator": "engine.core",
    "simulate": "engine.core",
    "Estimate": "engine.stats",
    "bonferroni": "engine.stats",
    "censored_proportion": "engine.stats",
    "mean_interval": "engine.stats",
    "proportion_interval": "engine.stats",
    "Comparison": "engine.validation",
    "ValidationResult": "engine.validation",
    "validate": "engine.validation",
}

__all__ = [
    "Comparison",
    "Estimate",
    "SimulationResult",
    "Simulator",
    "ValidationResult",
    "__version__",
    "bonferroni",
    "censored_proportion",
    "get_simulator",
    "mean_interval",
    "plan_chunks",
    "proportion_interval",
    "register_simulator",
    "simulate",
    "validate",
]
assert set(__all__) == {*_EXPORTS, "__version__"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"driftkit.montecarlo.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'driftkit.montecarlo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
