"""The model registry: CLI name -> model class.

The built-in models are imported on first use (:func:`get_model`), so listing their
names costs nothing; a user's model joins with :func:`register`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from driftkit.theory._base import Model

__all__ = ["BUILTIN_MODELS", "get_model", "model_names", "register"]

#: CLI name -> the module of :mod:`driftkit.theory` that defines it
BUILTIN_MODELS: dict[str, str] = {
    "belief-evolution": "belief_evolution",
    "belief-pool": "belief_pool",
    "best-of-n": "best_of_n",
    "brownian-drift": "brownian_drift",
    "clymer-evolution": "clymer_evolution",
    "clymer-gradient": "clymer_gradient",
    "entropy-ball": "entropy_ball",
    "fisher-geometric": "fisher_geometric",
    "gamblers-ruin": "gamblers_ruin",
    "goodhart-selection": "goodhart_selection",
    "monitored-diffusion": "monitored_diffusion",
    "moran": "moran",
    "ornstein-uhlenbeck": "ornstein_uhlenbeck",
    "proxy-selection": "proxy_selection",
    "resetting-diffusion": "resetting_diffusion",
    "wright-fisher": "wright_fisher",
}

_MODELS: dict[str, type[Model]] = {}


def register(cls: type[Model]) -> type[Model]:
    """Class decorator: make a model available under its ``name``."""
    if cls.name in _MODELS and _MODELS[cls.name] is not cls:
        raise ValueError(f"a model named {cls.name!r} is already registered")
    _MODELS[cls.name] = cls
    return cls


def model_names() -> list[str]:
    """The registered model names, in alphabetical order (independent of import order)."""
    return sorted(set(BUILTIN_MODELS) | set(_MODELS))


def get_model(name: str) -> type[Model]:
    """The model class registered under ``name`` (a built-in one is imported here)."""
    if name not in _MODELS and name in BUILTIN_MODELS:
        importlib.import_module(f"driftkit.theory.{BUILTIN_MODELS[name]}")
    try:
        return _MODELS[name]
    except KeyError:
        raise ValueError(
            f"unknown model {name!r}; the models are: {', '.join(model_names())}"
        ) from None
