"""driftkit.montecarlo: fast, reproducible simulation of the models in :mod:`theory`.

>>> from theory import GamblersRuin
>>> from montecarlo import validate
>>> validate(GamblersRuin(p=0.45, q=0.55), paths=20_000, rng=1).ok
True
"""

# importing a kernel module registers its simulator
from montecarlo import belief_evolution as _belief_evolution  # noqa: F401
from montecarlo import brownian_drift as _brownian_drift  # noqa: F401
from montecarlo import clymer_evolution as _clymer_evolution  # noqa: F401
from montecarlo import clymer_gradient as _clymer_gradient  # noqa: F401
from montecarlo import entropy_ball as _entropy_ball  # noqa: F401
from montecarlo import fisher_geometric as _fisher_geometric  # noqa: F401
from montecarlo import gamblers_ruin as _gamblers_ruin  # noqa: F401
from montecarlo import goodhart_selection as _goodhart_selection  # noqa: F401
from montecarlo import monitored_diffusion as _monitored_diffusion  # noqa: F401
from montecarlo import moran as _moran  # noqa: F401
from montecarlo import ornstein_uhlenbeck as _ornstein_uhlenbeck  # noqa: F401
from montecarlo import proxy_selection as _proxy_selection  # noqa: F401
from montecarlo import resetting_diffusion as _resetting_diffusion  # noqa: F401
from montecarlo import wright_fisher as _wright_fisher  # noqa: F401
from montecarlo._engine import (
    SimulationResult,
    Simulator,
    get_simulator,
    plan_chunks,
    register_simulator,
    simulate,
)
from montecarlo._stats import (
    Estimate,
    bonferroni,
    censored_proportion,
    mean_interval,
    proportion_interval,
)
from montecarlo._validate import Comparison, ValidationResult, validate
from theory import __version__

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
