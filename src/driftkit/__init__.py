"""driftkit: the mathematics of drift under selection.

Two subpackages, imported on first use so that ``import driftkit`` is instant:

* :mod:`driftkit.theory` -- derived closed forms, bounds and derivations (sympy,
  mpmath, scipy; never numba);
* :mod:`driftkit.montecarlo` -- the numba Monte Carlo engine, the per-model kernels,
  and the application (CLI, sweep, report, plots, cite).

>>> import driftkit
>>> driftkit.theory.GamblersRuin(p=0.5, q=0.5, hi=10, x0=3).value("escape_probability")
0.3
"""

from __future__ import annotations

import importlib
from typing import Any

from driftkit._version import __version__

__all__ = ["__version__", "load", "montecarlo", "theory"]


def __getattr__(name: str) -> Any:
    if name in ("theory", "montecarlo"):
        return importlib.import_module(f"driftkit.{name}")
    if name == "load":  # driftkit.load("my-model.toml") -> the model class of a spec
        return importlib.import_module("driftkit.theory.families").load
    raise AttributeError(f"module 'driftkit' has no attribute {name!r}")
