"""An on-disk cache of derived sympy objects, so a new process does not derive again.

A model's derivation (solving a recurrence, an ODE, an expectation) takes from a
fraction of a second to several seconds, and its result is the same in every
process. :func:`disk_cache` replaces ``functools.cache`` on such a function: the
first call in a process looks for a pickle of the result in the user's cache
directory and derives (and stores) it only when there is none.

* Where: ``$DRIFTKIT_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/driftkit``, else
  ``~/.cache/driftkit``.
* Keyed by the driftkit version, the sympy version, the function's qualified name,
  its arguments and a hash of the source file that defines it (so an edited
  derivation is never answered from an old result).
* Safe when several processes write at once: an entry is written to a temporary
  file in the same folder and moved into place with :func:`os.replace` (atomic), so
  a reader sees a whole entry or none.
* A corrupt or unreadable entry (or one that no longer unpickles) is ignored, and
  the result derived again and rewritten; a cache folder that cannot be written only
  costs the time to derive.
* ``DRIFTKIT_NO_CACHE=1`` turns the disk cache off (the in-process cache stays).

Only picklable results can be cached: a function that returns lambdified callables
must return pure sympy and lambdify in a small wrapper (see the models).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from driftkit._version import __version__

__all__ = ["cache_dir", "disk_cache", "enabled", "stats"]

F = TypeVar("F", bound=Callable[..., Any])

#: counts of this process's disk-cache lookups (for tests and profiling):
#: ``hits`` read from disk, ``misses`` derived, ``writes`` stored, ``errors`` unreadable
stats: dict[str, int] = {"hits": 0, "misses": 0, "writes": 0, "errors": 0}

_FORMAT = 1  # bump when the entry layout changes


def enabled() -> bool:
    """Whether the disk cache is used (``DRIFTKIT_NO_CACHE`` unset, empty or ``0``)."""
    return os.environ.get("DRIFTKIT_NO_CACHE", "").strip() in ("", "0")


def cache_dir() -> Path:
    """The folder of this driftkit and sympy version's entries (not created here)."""
    root = os.environ.get("DRIFTKIT_CACHE_DIR")
    if root:
        base = Path(root).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "driftkit"
    return base / f"derived-{__version__}-sympy{_sympy_version()}"


def _sympy_version() -> str:
    import sympy

    return sympy.__version__


@functools.cache
def _source_hash(module: str) -> str:
    """A hash of the source file of ``module`` ('' when it has none)."""
    try:
        path = inspect.getsourcefile(sys.modules[module])
        data = Path(path).read_bytes() if path else b""
    except (KeyError, TypeError, OSError):
        data = b""
    return hashlib.sha256(data).hexdigest()[:16]


def _entry(func: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[Path, str]:
    """The entry's path and its full key (stored inside the entry and checked on read)."""
    key = repr(
        (
            _FORMAT,
            __version__,
            _sympy_version(),
            func.__module__,
            func.__qualname__,
            _source_hash(func.__module__),
            args,
            sorted(kwargs.items()),
        )
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return cache_dir() / f"{_stem(func)}-{_source_hash(func.__module__)}-{digest}.pickle", key


def _stem(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}".replace("<", "").replace(">", "")


def _prune(func: Callable[..., Any]) -> None:
    """Remove ``func``'s entries from earlier versions of its source file (best effort)."""
    current = f"{_stem(func)}-{_source_hash(func.__module__)}-"
    for old in cache_dir().glob(f"{_stem(func)}-*.pickle"):
        if not old.name.startswith(current):
            try:
                old.unlink()
            except OSError:
                pass


def _load(path: Path, key: str) -> tuple[bool, Any]:
    """``(True, value)`` from a whole, matching entry; ``(False, None)`` otherwise."""
    try:
        with open(path, "rb") as fh:
            stored_key, value = pickle.load(fh)
    except FileNotFoundError:
        return False, None
    except Exception:  # corrupt, truncated, from an incompatible version: derive again
        stats["errors"] += 1
        return False, None
    if stored_key != key:
        stats["errors"] += 1
        return False, None
    return True, value


def _store(path: Path, key: str, value: Any) -> None:
    """Write the entry atomically (temporary file + ``os.replace``); never raise."""
    try:
        data = pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # not picklable: this result is derived in every process
        return
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        tmp = None
        stats["writes"] += 1
    except OSError:  # a read-only or full cache folder only costs the derivation time
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def disk_cache(func: F) -> F:
    """Decorator: ``functools.cache`` plus the on-disk cache described above.

    The arguments must be hashable and have a stable ``repr`` (names, numbers).
    """

    @functools.cache
    @functools.wraps(func)
    def cached(*args: Any, **kwargs: Any) -> Any:
        if not enabled():
            return func(*args, **kwargs)
        path, key = _entry(func, args, kwargs)
        found, value = _load(path, key)
        if found:
            stats["hits"] += 1
            return value
        stats["misses"] += 1
        value = func(*args, **kwargs)
        _store(path, key, value)
        _prune(func)
        return value

    return cached  # type: ignore[return-value]
