"""Provenance written into every JSON output and report."""

from __future__ import annotations

import datetime
import functools
import platform
import shlex
import sys
from importlib import metadata
from typing import Any

from driftkit._version import __version__

__all__ = ["provenance"]


def provenance(command: list[str] | None = None) -> dict[str, Any]:
    """Versions, command line, time (UTC) and machine of this run."""
    argv = sys.argv if command is None else command
    return {
        "driftkit": __version__,
        # read from the installed metadata: no need to import (and wait for) the packages
        **{name: _version(name) for name in ("numpy", "numba", "sympy", "scipy")},
        "python": platform.python_version(),
        "command": shlex.join(str(a) for a in argv),
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": _machine(),
    }


@functools.cache  # installed versions do not change within a process (~1.5 ms each)
def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:  # pragma: no cover - a broken installation
        return "unknown"


@functools.cache  # platform.processor() may run a subprocess
def _machine() -> str:
    return f"{platform.system()} {platform.machine()} ({platform.processor() or 'cpu'})"
