"""Parameter sweeps: validate or simulate a model over a grid, resumably, serially or on Dask.

A sweep runs one :func:`~driftkit.montecarlo.validate` (or
:func:`~driftkit.montecarlo.simulate`) per
grid point and writes a tidy table with one row per point and quantity (CSV, or
Parquet when the file name ends in ``.parquet``).

Reproducibility: the seeds are derived on the client from one root
``SeedSequence``; point ``i`` gets the child with spawn key ``(..., i)`` whatever
the order in which points run, and every point runs with one thread. So a serial
run, a Dask run and a resumed run give the same table, bit for bit.

Resuming: each finished point is written at once, atomically, as one small JSON
file in ``OUT.parts/`` (next to ``OUT``), beside a manifest of the sweep's
settings. Running the same sweep again skips the points already there; a
different sweep with the same ``OUT`` is refused. The table is assembled, in
point order, when every point is done.

Validation keeps its family-wise meaning: with ``mode="validate"`` each interval
is at the Bonferroni level over all points and quantities of the sweep, so at
99.9% a correct theory agrees everywhere with probability at least 99.9%.
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import math
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from driftkit.montecarlo.engine.core import (
    DEFAULT_MAX_STEPS,
    PROJECT_AFTER_S,
    RunTooLongError,
    _duration,
    get_simulator,
)
from driftkit.montecarlo.engine.rng import RNGLike, root_sequence
from driftkit.montecarlo.engine.stats import INTERVAL_METHODS, bonferroni
from driftkit.theory import Model, get_model
from tqdm import tqdm

__all__ = ["SweepResult", "grid_values", "parse_grid", "read_table", "sweep"]

MODES = ("validate", "simulate")
#: seconds to wait for a Dask scheduler at an address before giving up
CONNECT_TIMEOUT_S = 5
#: most grid points in one Dask task (points are batched to keep scheduling overhead small)
MAX_BATCH = 25
#: the columns of the table after the model's parameters, in order
RESULT_COLUMNS = (
    "quantity",
    "kind",
    "theory",
    "estimate",
    "ci_low",
    "ci_high",
    "n",
    "tolerance",
    "agree",
    "paths",
    "censored",
    "steps",
)


def grid_values(model_cls: type[Model], name: str, start: float, stop: float, num: int) -> list:
    """``num`` evenly spaced values of parameter ``name`` from ``start`` to ``stop`` (ends
    included); integer parameters are rounded and repeated values dropped."""
    spec = model_cls.parameter(name)
    if not (isinstance(num, int) and num >= 1):
        raise ValueError(f"parameter 'grid' ({name}): NUM must be an integer >= 1, got {num!r}")
    values = np.linspace(start, stop, num).tolist()
    if spec.integer:
        values = list(dict.fromkeys(round(v) for v in values))
    for v in values:
        spec.validate(v)
    return values


def parse_grid(model_cls: type[Model], text: str) -> tuple[str, list]:
    """``NAME=START:STOP:NUM`` (evenly spaced, ends included) or ``NAME=V1,V2,...``."""
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ValueError(f"--grid expects NAME=START:STOP:NUM or NAME=V1,V2,..., got {text!r}")
    model_cls.parameter(name)  # unknown names fail here, naming the model's parameters
    if ":" in spec:
        parts = spec.split(":")
        try:
            if len(parts) != 3:
                raise ValueError
            start, stop, num_f = (float(p) for p in parts)
        except ValueError:
            raise ValueError(
                f"--grid {name}: expected START:STOP:NUM with numbers, got {spec!r}"
            ) from None
        if not num_f.is_integer() or num_f < 1:
            raise ValueError(f"--grid {name}: NUM must be an integer >= 1, got {parts[2]!r}")
        return name, grid_values(model_cls, name, start, stop, int(num_f))
    try:
        values = [model_cls.parameter(name).validate(v.strip()) for v in spec.split(",")]
    except ValueError as exc:
        raise ValueError(f"--grid {name}: {exc}") from None
    return name, values


@dataclass
class SweepResult:
    """What :func:`sweep` returns: the table's rows, where it was written, and a verdict."""

    rows: list[dict[str, Any]]
    path: Path | None
    points: int
    ran: int  # points run now (the others were found finished)
    seed: int | None
    mode: str
    level: float
    comparison_level: float

    @property
    def ok(self) -> bool:
        """Every validated quantity agrees (always true for ``mode="simulate"``)."""
        return all(r["agree"] is not False for r in self.rows)

    @property
    def disagreements(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["agree"] is False]


def _point_sequence(root: np.random.SeedSequence, i: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(
        entropy=root.entropy, spawn_key=(*root.spawn_key, i), pool_size=root.pool_size
    )


def _run_point(task: dict[str, Any]) -> list[dict[str, Any]]:
    """Run one grid point (in this process or on a Dask worker); return its rows."""
    import driftkit.montecarlo  # noqa: F401  (registers every simulator on a fresh worker)
    from driftkit.montecarlo.engine.core import simulate
    from driftkit.montecarlo.engine.validation import validate

    if task.get("spec") is not None:  # a spec model: rebuilt (and registered) here
        from driftkit.theory.families import load_data

        model_cls = load_data(task["spec"], task.get("spec_source", "spec"))
    else:
        model_cls = get_model(task["model"])
    model = model_cls(**task["params"])
    seq = np.random.SeedSequence(
        entropy=task["entropy"], spawn_key=tuple(task["spawn_key"]), pool_size=task["pool_size"]
    )
    settings = {
        "max_steps": task["max_steps"],
        "level": task["comparison_level"],
        "interval": task["interval"],
        "threads": 1,
        "time_limit": task.get("time_limit"),
    }
    rows = []
    if task["mode"] == "validate":
        v = validate(model, task["paths"], seq, **settings)
        sim = v.simulation
        for name, c in v.comparisons.items():
            e = c.estimate
            rows.append(
                {
                    "quantity": name,
                    "kind": c.kind,
                    "theory": c.theory,
                    "estimate": e.estimate,
                    "ci_low": e.ci_low,
                    "ci_high": e.ci_high,
                    "n": e.n,
                    "tolerance": c.tolerance,
                    "agree": c.agree,
                }
            )
    else:
        sim = simulate(model, task["paths"], seq, **settings)
        for name, e in sim.estimates.items():
            theory = model.value(name)
            rows.append(
                {
                    "quantity": name,
                    "kind": model.quantity(name).kind,
                    "theory": theory,
                    "estimate": e.estimate,
                    "ci_low": e.ci_low,
                    "ci_high": e.ci_high,
                    "n": e.n,
                    "tolerance": 0.0,
                    "agree": None,
                }
            )
    for r in rows:
        r.update(paths=sim.paths, censored=sim.censored, steps=sim.steps)
    return rows


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def _json_float(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return {"float": repr(x)}  # JSON has no inf/nan; keep them exactly
    return x


def _from_json(x: Any) -> Any:
    if isinstance(x, dict) and set(x) == {"float"}:
        return float(x["float"])
    return x


def _write_table(rows: list[dict[str, Any]], columns: list[str], out: Path) -> None:
    if out.suffix == ".parquet":
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(
                "a .parquet table needs pandas and pyarrow: pip install pandas pyarrow "
                "(or write .csv)"
            ) from exc
        pd.DataFrame(rows, columns=columns).to_parquet(out, index=False)
        return
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            # repr() round-trips every float exactly, so tables compare bit for bit
            w.writerow(
                "" if r[c] is None else repr(r[c]) if isinstance(r[c], float) else r[c]
                for c in columns
            )
    os.replace(tmp, out)


def _run_points(tasks: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, list]]:
    """Run a batch of ``(index, task)`` grid points; return ``(index, rows)`` pairs."""
    return [(i, _run_point(task)) for i, task in tasks]


def _executor(scheduler: Any, workers: int | None):
    """``(submit_all, close)`` for the scheduler: serial, a LocalCluster, or an address/Client."""
    if scheduler in (None, "serial"):

        def run_all(tasks):
            for i, task in tasks:
                yield i, _run_point(task)

        return run_all, lambda: None
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise ImportError(
            'a Dask sweep needs dask.distributed: pip install "driftkit[dask]" '
            "(or use --scheduler serial)"
        ) from exc
    cluster = None
    if isinstance(scheduler, Client):
        client, own = scheduler, False
    elif scheduler == "local":
        # one thread per worker process, and numba with one thread there too
        cluster = LocalCluster(
            n_workers=workers or 2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
        )
        client, own = Client(cluster), True
    else:
        # a short connect timeout, and one line (not dask's retry log and traceback)
        quiet = logging.getLogger("distributed")
        old_level = quiet.level
        quiet.setLevel(logging.CRITICAL)
        try:
            client, own = Client(scheduler, timeout=CONNECT_TIMEOUT_S), True
        except (OSError, TimeoutError, ValueError) as exc:
            why = " ".join(str(exc).split()) or type(exc).__name__
            if len(why) > 160:
                why = why[:157] + "..."
            raise ValueError(
                f"parameter 'scheduler': no Dask scheduler answered at {scheduler} within "
                f"{CONNECT_TIMEOUT_S} s ({why}); start one (`dask scheduler`) or use "
                "--scheduler local or serial"
            ) from None
        finally:
            quiet.setLevel(old_level)

    def run_all(tasks):
        # Points go out in batches (about 8 per worker thread), so per-task scheduling
        # overhead stays small next to the work even when a point takes milliseconds.
        tasks = list(tasks)
        threads = max(1, sum(client.nthreads().values()))
        size = max(1, min(MAX_BATCH, len(tasks) // (8 * threads)))
        batches = [tasks[k : k + size] for k in range(0, len(tasks), size)]
        futures = [client.submit(_run_points, b, pure=False) for b in batches]
        for fut in as_completed(futures):
            yield from fut.result()

    def close():
        if own:
            client.close()
            if cluster is not None:
                cluster.close()

    return run_all, close


def sweep(
    model: str | type[Model],
    grid: Mapping[str, Sequence[Any]],
    out: str | Path | None = None,
    *,
    base: Mapping[str, Any] | None = None,
    mode: str = "validate",
    paths: int | None = None,
    rng: RNGLike = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    level: float | None = None,
    interval: str = "wilson",
    scheduler: Any = "serial",
    workers: int | None = None,
    progress: bool = False,
    time_limit: float | None = None,
) -> SweepResult:
    """Run ``mode`` (``"validate"`` or ``"simulate"``) at every point of ``grid``.

    Parameters
    ----------
    model
        A model name or class.
    grid
        Parameter name -> values; the points are the Cartesian product, in the
        order given (the last name varies fastest).
    out
        Table file (``.csv``, or ``.parquet``); finished points are kept in
        ``OUT.parts/`` so an interrupted sweep resumes. ``None``: keep nothing on disk.
    base
        Values of the parameters not swept (defaults otherwise).
    paths, max_steps, interval
        As for :func:`~driftkit.montecarlo.simulate`, at every point.
    rng
        Root seed. With ``None`` a resumed sweep takes the seed of the sweep it resumes
        (else fresh entropy, reported).
    level
        Validate: family-wise level over the whole sweep (default 0.999), Bonferroni over
        points and quantities. Simulate: each interval's level (default 0.95).
    scheduler
        ``"serial"`` (this process), ``"local"`` (a Dask ``LocalCluster`` of ``workers``
        single-threaded processes, default 2), a scheduler address, or a Dask ``Client``.
    progress
        A tqdm bar over points on stderr.
    time_limit
        Seconds the sweep may take (default: no limit). Once half a second of points has
        finished, the time of the points left is projected from them; above the limit
        the sweep stops with :class:`~driftkit.montecarlo.engine.core.RunTooLongError`
        (the finished points are kept, so the same sweep resumes). Every point is also
        run under the limit (see :func:`~driftkit.montecarlo.simulate`).

    Bad input fails before any simulation: a grid point the model rejects is named
    with the parameters the message involves that took the model's defaults; an
    ``out`` that is a directory, or an existing file that is not this sweep's table (no
    ``OUT.parts/`` beside it), is refused; so is a scheduler that is no address.
    Ctrl-C stops the sweep; the points finished so far stay in ``OUT.parts/``.
    """
    model_cls = get_model(model) if isinstance(model, str) else model
    if mode not in MODES:
        raise ValueError(f"parameter 'mode' must be one of {', '.join(MODES)}, got {mode!r}")
    if interval not in INTERVAL_METHODS:
        raise ValueError(
            f"parameter 'interval' must be one of {', '.join(INTERVAL_METHODS)}, got {interval!r}"
        )
    if not grid:
        raise ValueError("parameter 'grid' must name at least one parameter to sweep")
    base = dict(base or {})
    names = list(grid)
    for name in [*names, *base]:
        model_cls.parameter(name)
    overlap = sorted(set(names) & set(base))
    if overlap:
        raise ValueError(f"parameter {overlap[0]!r} is both swept (grid) and fixed (base)")
    combos = list(itertools.product(*(list(grid[n]) for n in names)))
    if not combos:
        raise ValueError("parameter 'grid': every swept parameter needs at least one value")
    _check_scheduler(scheduler)
    models = [_grid_model(model_cls, base, dict(zip(names, c, strict=True))) for c in combos]
    sim = get_simulator(model_cls.name)
    paths = sim.default_paths if paths is None else paths
    if level is None:
        level = 0.999 if mode == "validate" else 0.95

    out_path = Path(out) if out is not None else None
    parts = out_path.with_name(out_path.name + ".parts") if out_path else None
    if out_path is not None:
        _check_out(out_path, parts)
    manifest_file = parts / "manifest.json" if parts else None
    old = (
        json.loads(manifest_file.read_text()) if manifest_file and manifest_file.exists() else None
    )
    if rng is None and old is not None:
        rng = old["seed"]
    root, seed = root_sequence(rng)
    if mode == "validate":
        n_quantities = max(1, len(sim.simulated_quantities(models[0])))
        comparison_level = bonferroni(level, len(models) * n_quantities)
    else:
        comparison_level = level
    manifest = {
        "model": model_cls.name,
        "grid": {n: list(grid[n]) for n in names},
        "base": base,
        "mode": mode,
        "paths": paths,
        "max_steps": max_steps,
        "level": level,
        "interval": interval,
        "seed": seed,
        "entropy": str(root.entropy),
        "spawn_key": list(root.spawn_key),
    }
    if parts is not None:
        if old is not None and old != json.loads(json.dumps(manifest)):
            changed = sorted(
                k for k in manifest if old.get(k) != json.loads(json.dumps(manifest[k]))
            )
            raise ValueError(
                f"parameter 'out': {parts} holds a different sweep (it differs in "
                f"{', '.join(changed)}); remove that folder or choose another --out"
            )
        try:
            parts.mkdir(parents=True, exist_ok=True)
            if old is None:
                _write_atomic(manifest_file, json.dumps(manifest, indent=1))
        except OSError as exc:
            raise ValueError(
                f"parameter 'out': cannot write {parts} ({exc.strerror or exc}); choose "
                "another --out"
            ) from None

    done: dict[int, list[dict[str, Any]]] = {}
    if parts is not None:
        for f in parts.glob("point-*.json"):
            i = int(f.stem.split("-")[1])
            if i < len(models):
                rows = json.loads(f.read_text())
                done[i] = [{k: _from_json(v) for k, v in r.items()} for r in rows]
    todo = [i for i in range(len(models)) if i not in done]

    def task(i: int) -> dict[str, Any]:
        seq = _point_sequence(root, i)
        return {
            "model": model_cls.name,
            "params": models[i].params,
            "mode": mode,
            "paths": paths,
            "entropy": seq.entropy,
            "spawn_key": list(seq.spawn_key),
            "pool_size": seq.pool_size,
            "max_steps": max_steps,
            "comparison_level": comparison_level,
            "interval": interval,
            "time_limit": time_limit,
            # a spec model travels as its spec (a worker may never have loaded it)
            "spec": getattr(model_cls, "spec_data", None),
            "spec_source": getattr(model_cls, "spec_source", None),
        }

    bar = tqdm(
        total=len(models),
        initial=len(done),
        unit="point",
        desc=f"sweep {model_cls.name}",
        disable=not progress,
        file=sys.stderr,
        leave=False,
        dynamic_ncols=True,
    )
    ran = 0
    if todo:
        try:
            run_all, close = _executor(scheduler, workers)
        except BaseException:
            if parts is not None and old is None and not done:  # leave no trace of it
                manifest_file.unlink(missing_ok=True)
                try:
                    parts.rmdir()
                except OSError:
                    pass
            raise
        start = time.perf_counter()
        projected = time_limit is None
        try:
            with bar:
                for i, rows in run_all((i, task(i)) for i in todo):
                    done[i] = rows
                    ran += 1
                    if parts is not None:
                        text = json.dumps([{k: _json_float(v) for k, v in r.items()} for r in rows])
                        _write_atomic(parts / f"point-{i:06d}.json", text)
                    bar.update(1)
                    elapsed = time.perf_counter() - start
                    if not projected and elapsed >= PROJECT_AFTER_S and ran < len(todo):
                        projected = True
                        total_s = elapsed * len(todo) / ran
                        if total_s > time_limit:
                            kept = f"; the {ran} finished kept in {parts}" if parts else ""
                            raise RunTooLongError(
                                f"sweep {model_cls.name}: {len(todo)} points would take about "
                                f"{_duration(total_s)} (measured over the first {ran}), more "
                                f"than the limit of {_duration(time_limit)}{kept}; sweep "
                                "fewer points or --paths, or confirm with --yes"
                            )
        finally:
            close()

    param_names = [p.name for p in model_cls.parameters]
    table: list[dict[str, Any]] = []
    for i, m in enumerate(models):
        for r in done[i]:
            table.append({"point": i, **m.params, **r})
    if out_path is not None:
        _write_table(table, ["point", *param_names, *RESULT_COLUMNS], out_path)
    return SweepResult(table, out_path, len(models), ran, seed, mode, level, comparison_level)


def _check_scheduler(scheduler: Any) -> None:
    """Refuse a scheduler that is neither serial/local, an address, nor a Client."""
    if scheduler in (None, "serial", "local") or not isinstance(scheduler, str):
        return
    if "://" not in scheduler and ":" not in scheduler:
        raise ValueError(
            f"parameter 'scheduler' must be serial, local or a Dask scheduler address "
            f"(tcp://HOST:PORT), got {scheduler!r}"
        )


def _grid_model(model_cls: type[Model], base: dict[str, Any], point: dict[str, Any]) -> Model:
    """The model at one grid point; a rejection names the point and any defaulted
    parameter its message involves."""
    try:
        return model_cls(**base, **point)
    except ValueError as exc:
        message = " ".join(str(exc).split())
        where = ", ".join(f"{k}={v}" for k, v in point.items())
        defaults = model_cls.defaults()
        named = dict.fromkeys(re.findall(r"'(\w+)'", message))
        defaulted = [n for n in named if n in defaults and n not in base and n not in point]
        hint = "".join(
            f" ({n}={defaults[n]} is the model's default; set it with --set {n}=...)"
            for n in defaulted
        )
        raise ValueError(f"grid point {where}: {message}{hint}") from None


def _check_out(out: Path, parts: Path | None) -> None:
    """Refuse an ``out`` the sweep cannot or must not write, before any work."""
    if out.is_dir():
        raise ValueError(
            f"parameter 'out': {out} is a directory; --out names the table file (.csv or .parquet)"
        )
    if out.exists() and not (parts is not None and (parts / "manifest.json").exists()):
        raise ValueError(
            f"parameter 'out': {out} exists and is not a sweep's table (no {parts} beside "
            "it); remove it or choose another name"
        )
    folder = out.parent if str(out.parent) else Path(".")
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise ValueError(f"parameter 'out': cannot write {out} ({probe} is not writable)")


def read_table(path: str | Path) -> list[dict[str, str]]:
    """The rows of a CSV sweep table as dictionaries of strings (for tests and scripts)."""
    with Path(path).open(newline="") as fh:
        return list(csv.DictReader(fh))
