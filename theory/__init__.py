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
from theory.brownian_drift import BrownianDrift
from theory.gamblers_ruin import GamblersRuin
from theory.monitored_diffusion import MonitoredDiffusion
from theory.ornstein_uhlenbeck import OrnsteinUhlenbeck
from theory.resetting_diffusion import ResettingDiffusion

__all__ = [
    "BrownianDrift",
    "GamblersRuin",
    "Model",
    "MonitoredDiffusion",
    "OrnsteinUhlenbeck",
    "Parameter",
    "ParameterError",
    "Quantity",
    "Reference",
    "ResettingDiffusion",
    "__version__",
    "get_model",
    "model_names",
    "register",
]
