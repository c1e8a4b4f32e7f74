"""driftkit.theory: derived closed forms for drift under selection.

Pure mathematics (sympy, mpmath, numpy, scipy); never imports :mod:`montecarlo`
or numba. Every model is registered under its CLI name::

    >>> from theory import get_model
    >>> get_model("gamblers-ruin")(p=0.5, q=0.5, hi=10, x0=3).value("escape_probability")
    0.3
"""

from theory._base import Model, Parameter, ParameterError, Quantity, Reference
from theory._registry import get_model, model_names, register
from theory._version import __version__
from theory.belief_evolution import BeliefEvolution
from theory.brownian_drift import BrownianDrift
from theory.clymer_evolution import ClymerEvolution
from theory.clymer_gradient import ClymerGradient
from theory.entropy_ball import EntropyBall
from theory.fisher_geometric import FisherGeometric
from theory.gamblers_ruin import GamblersRuin
from theory.goodhart_selection import GoodhartSelection
from theory.monitored_diffusion import MonitoredDiffusion
from theory.moran import Moran
from theory.ornstein_uhlenbeck import OrnsteinUhlenbeck
from theory.proxy_selection import ProxySelection
from theory.resetting_diffusion import ResettingDiffusion
from theory.wright_fisher import WrightFisher

__all__ = [
    "BeliefEvolution",
    "BrownianDrift",
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
    "WrightFisher",
    "__version__",
    "get_model",
    "model_names",
    "register",
]
