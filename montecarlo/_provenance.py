"""Provenance written into every JSON output and report."""

from __future__ import annotations

import datetime
import platform
import shlex
import sys
from typing import Any

import numba
import numpy
import scipy
import sympy

from theory import __version__

__all__ = ["provenance"]


def provenance(command: list[str] | None = None) -> dict[str, Any]:
    """Versions, command line, time (UTC) and machine of this run."""
    argv = sys.argv if command is None else command
    return {
        "driftkit": __version__,
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "sympy": sympy.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
        "command": shlex.join(str(a) for a in argv),
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.system()} {platform.machine()} ({platform.processor() or 'cpu'})",
    }
