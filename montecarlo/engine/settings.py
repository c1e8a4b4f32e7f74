"""Run settings every layer shares, in a module that imports nothing heavy (the
command line reads them to build its ``--help`` without loading numba or scipy)."""

from __future__ import annotations

__all__ = [
    "DEFAULT_MAX_STEPS",
    "DEFAULT_PATHS",
    "INTERVAL_METHODS",
    "MAX_CHUNKS",
    "METHODS",
    "MIN_CHUNK_PATHS",
]

#: most chunks a run is cut into; a chunk holds at least ``MIN_CHUNK_PATHS`` paths
MAX_CHUNKS = 64
MIN_CHUNK_PATHS = 4096
#: paths when neither the caller nor the model's simulator says otherwise
DEFAULT_PATHS = 100_000
#: step budget of one path; a path that reaches it is censored
DEFAULT_MAX_STEPS = 1_000_000
#: interval methods for proportions
INTERVAL_METHODS = ("wilson", "clopper-pearson")
#: estimation methods (which models offer which: ``get_simulator(model).methods``)
METHODS = ("naive", "importance", "splitting")
