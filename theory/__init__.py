"""driftkit.theory: derived closed forms for drift under selection.

Pure mathematics (sympy, mpmath, numpy, scipy); never imports
:mod:`driftkit.montecarlo` or numba. Every model is registered under its CLI name::

    >>> from driftkit.theory import get_model
    >>> get_model("gamblers-ruin")(p=0.5, q=0.5, hi=10, x0=3).value("escape_probability")
    0.3

The model classes are imported on first use (``from driftkit.theory import
GamblersRuin`` imports only that model), so importing this package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from driftkit.theory._base import Model, Parameter, ParameterError, Quantity, Reference
from driftkit.theory._registry import BUILTIN_MODELS, get_model, model_names, register

from driftkit._version import __version__

if TYPE_CHECKING:
    from driftkit.theory.belief_evolution import BeliefEvolution
    from driftkit.theory.belief_pool import BeliefPool
    from driftkit.theory.best_of_n import BestOfN
    from driftkit.theory.brownian_drift import BrownianDrift
    from driftkit.theory.clymer_evolution import ClymerEvolution
    from driftkit.theory.clymer_gradient import ClymerGradient
    from driftkit.theory.entropy_ball import EntropyBall
    from driftkit.theory.fisher_geometric import FisherGeometric
    from driftkit.theory.gamblers_ruin import GamblersRuin
    from driftkit.theory.goodhart_selection import GoodhartSelection
    from driftkit.theory.monitored_diffusion import MonitoredDiffusion
    from driftkit.theory.moran import Moran
    from driftkit.theory.ornstein_uhlenbeck import OrnsteinUhlenbeck
    from driftkit.theory.proxy_selection import ProxySelection
    from driftkit.theory.resetting_diffusion import ResettingDiffusion
    from driftkit.theory.wright_fisher import WrightFisher

#: class name -> defining module, for the lazy attribute access below
_CLASSES = {
    "BeliefEvolution": "belief_evolution",
    "BeliefPool": "belief_pool",
    "BestOfN": "best_of_n",
    "BrownianDrift": "brownian_drift",
    "ClymerEvolution": "clymer_evolution",
    "ClymerGradient": "clymer_gradient",
    "EntropyBall": "entropy_ball",
    "FisherGeometric": "fisher_geometric",
    "GamblersRuin": "gamblers_ruin",
    "GoodhartSelection": "goodhart_selection",
    "MonitoredDiffusion": "monitored_diffusion",
    "Moran": "moran",
    "OrnsteinUhlenbeck": "ornstein_uhlenbeck",
    "ProxySelection": "proxy_selection",
    "ResettingDiffusion": "resetting_diffusion",
    "WrightFisher": "wright_fisher",
}
assert set(_CLASSES.values()) == set(BUILTIN_MODELS.values())

__all__ = [
    "BUILTIN_MODELS",
    "BeliefEvolution",
    "BeliefPool",
    "BestOfN",
    "BrownianDrift",
    "Chain",
    "ClymerEvolution",
    "ClymerGradient",
    "EntropyBall",
    "FisherGeometric",
    "GamblersRuin",
    "GoodhartSelection",
    "Model",
    "MonitoredDiffusion",
    "Moran",
    "OrnsteinUhlenbeck",
    "Parameter",
    "ParameterError",
    "ProxySelection",
    "Quantity",
    "Reference",
    "ResettingDiffusion",
    "Walk",
    "WrightFisher",
    "__version__",
    "get_model",
    "model_names",
    "register",
]


def __getattr__(name: str) -> Any:
    if name in _CLASSES:
        module = importlib.import_module(f"driftkit.theory.{_CLASSES[name]}")
        return getattr(module, name)
    if name == "bounds":
        return importlib.import_module("driftkit.theory.bounds")
    if name in ("Walk", "Chain", "Diffusion", "families"):  # the spec families
        families = importlib.import_module("driftkit.theory.families")
        return families if name == "families" else getattr(families, name)
    raise AttributeError(f"module 'driftkit.theory' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
