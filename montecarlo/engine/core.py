"""The simulation engine: chunking, seeding, a thread pool and progress.

Work is cut into a number of chunks that depends only on the number of paths,
never on the thread count. Each chunk gets its own PCG64 stream spawned from
one root ``SeedSequence`` and runs a ``nogil`` numba kernel that returns a
vector of accumulators; the vectors are added in chunk order. So the same seed
gives bit-identical results on 1 or N threads.

Methods: ``simulate(model, method=...)`` picks the estimator. ``"naive"`` is the
simulator itself; a rare-event method (``"importance"``, ``"splitting"``; see
:mod:`driftkit.montecarlo.engine.rare`) is an object with the same protocol (``prepare``,
``run_chunk``, ``summarize``) listed in :attr:`Simulator.rare_methods`, so every
method runs on the same chunks, streams, threads and progress bar, and is
bit-identical across thread counts in the same way.

* ``"importance"``: Siegmund's exponential tilting by the adjustment coefficient
  (gamblers-ruin: p and q swapped; brownian-drift: mu -> -mu), each path weighted by
  its exact likelihood ratio, for ``escape_probability``.
* ``"splitting"``: fixed-factor multilevel splitting (7 copies per level, levels at
  equal steps of the theory's log-probability), for ornstein-uhlenbeck
  ``escape_probability`` (reach hi before returning to m) and entropy-ball
  ``return_probability``; one "path" is one splitting tree.

A rare-event estimate carries ``relative_error`` and ``ess`` (effective sample size,
also in the JSON), and :func:`simulate` refuses it, raising
:class:`UnreliableEstimateError` (a ``ValueError``: the CLI prints one line and exits
2), when the ESS is below ``MIN_ESS`` = 100 or no path reached the event.
"""

from __future__ import annotations

import abc
import importlib
import math
import numbers
import queue
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
from driftkit.montecarlo.engine.provenance import provenance
from driftkit.montecarlo.engine.rare import RareEventMethod, UnreliableEstimateError, refusal
from driftkit.montecarlo.engine.rng import RNGLike, chunk_generators, root_sequence
from driftkit.montecarlo.engine.settings import (
    DEFAULT_MAX_STEPS,
    DEFAULT_PATHS,
    MAX_CHUNKS,
    MIN_CHUNK_PATHS,
)
from driftkit.montecarlo.engine.stats import INTERVAL_METHODS, Estimate
from driftkit.theory import BUILTIN_MODELS, Model, get_model
from tqdm import tqdm

__all__ = [
    "RunTooLongError",
    "SimulationResult",
    "Simulator",
    "UnreliableEstimateError",
    "get_simulator",
    "plan_chunks",
    "plan_sub_batches",
    "register_simulator",
    "simulate",
]


class Simulator(abc.ABC):
    """The Monte Carlo side of one model: a kernel and how to read its output.

    Subclasses register themselves with :func:`register_simulator`. The kernel
    (called by :meth:`run_chunk`) simulates ``n_paths`` paths of exactly the
    model in :mod:`theory` and returns a 1-D array of accumulators (sums), so
    chunks combine by addition.
    """

    #: the theory model this simulates
    model_class: type[Model]
    #: the quantities the simulation estimates (names of the model's quantities)
    quantities: tuple[str, ...]
    #: rare-event estimators offered beside naive Monte Carlo (``simulate(method=...)``)
    rare_methods: tuple[RareEventMethod, ...] = ()
    #: paths when the caller gives none (a population model's "path" is a whole population)
    default_paths: int = DEFAULT_PATHS
    #: fewest paths in a chunk (``plan_chunks``); small for models whose paths are costly
    min_chunk_paths: int = MIN_CHUNK_PATHS

    @abc.abstractmethod
    def prepare(self, model: Model) -> tuple:
        """Kernel arguments derived from the model (tables, thresholds)."""

    @abc.abstractmethod
    def run_chunk(
        self, prepared: tuple, gen: np.random.Generator, n_paths: int, max_steps: int
    ) -> np.ndarray:
        """Simulate ``n_paths`` paths; return the accumulator vector."""

    @abc.abstractmethod
    def summarize(
        self, model: Model, totals: np.ndarray, paths: int, level: float, interval: str
    ) -> tuple[dict[str, Estimate], int, int]:
        """Estimates, number of censored paths, total steps."""

    @property
    def methods(self) -> tuple[str, ...]:
        """The estimation methods offered: ``"naive"`` and the rare-event ones."""
        return ("naive", *(m.name for m in self.rare_methods))

    def runner(self, method: str) -> Simulator | RareEventMethod:
        """What runs ``method``: the simulator itself for ``"naive"``."""
        if method == "naive":
            return self
        for m in self.rare_methods:
            if m.name == method:
                return m
        raise ValueError(
            f"parameter 'method' must be one of {', '.join(self.methods)} for model "
            f"{self.model_class.name}, got {method!r}"
        )

    def simulated_quantities(self, model: Model) -> tuple[str, ...]:
        """The quantities this simulation estimates for ``model`` (default: all of
        :attr:`quantities`; override where some are infinite or undefined for a model)."""
        return self.quantities

    def tolerance(self, model: Model, name: str) -> float:
        """A stated allowance beside the interval for an *approximate* quantity.

        Validation counts ``name`` as agreeing when the theory value is within this
        distance of the interval. ``0`` (the default) for exact quantities; a model
        whose theory is an approximation (a mean-field limit, a diffusion limit)
        overrides this with its known error, and the allowance is reported.
        """
        return 0.0

    def warm_up(self, model: Model) -> None:
        """Compile (or load from numba's cache) the kernel before timing."""
        self.run_chunk(self.prepare(model), np.random.default_rng(0), 1, 1)

    def time_step_warning(self, model: Model, result: SimulationResult) -> str | None:
        """A one-line warning when the time step ``dt`` is so coarse that its bias may
        exceed an interval of ``result``, saying what to do; ``None`` when it cannot.

        The default (models simulated without a time-discretisation error) is ``None``.
        A continuous model overrides it with its kernel's bias bound (see
        :func:`time_step_bias_warning`).
        """
        return None


def time_step_bias_warning(
    result: SimulationResult, dt: float, biases: dict[str, float], how: str
) -> str | None:
    """The warning of :meth:`Simulator.time_step_warning` from per-quantity bias bounds.

    ``biases`` maps a simulated quantity to a bound on the absolute bias the time step
    ``dt`` can give its estimate (e.g. ``dt / 2`` for a passage time recorded at the
    midpoint of the step in which the crossing was detected). The warning is raised for
    the quantity whose bound exceeds the half-width of its interval by the largest
    factor; ``how`` says how the bound was obtained. Since each bound scales at least
    linearly in ``dt``, shrinking ``dt`` by that factor brings the bias inside the
    interval, and the warning names the ``dt`` that does.
    """
    worst: tuple[float, str, float, float] | None = None
    for name, bias in biases.items():
        est = result.estimates.get(name)
        if est is None or not (bias > 0 and math.isfinite(bias)):
            continue
        half = 0.5 * (est.ci_high - est.ci_low)
        if not math.isfinite(half):
            continue
        ratio = bias / half if half > 0 else math.inf
        if ratio > 1.0 and (worst is None or ratio > worst[0]):
            worst = (ratio, name, bias, half)
    if worst is None:
        return None
    ratio, name, bias, half = worst
    target = dt / ratio if math.isfinite(ratio) else 0.0
    advice = f"set dt <= {target:.2g}" if target > 0 else "set a smaller dt"
    return (
        f"{result.model.name}: dt={dt:g} is coarse: the time-step bias of {name} may be up "
        f"to {bias:.3g} ({how}), more than the half-width {half:.3g} of its interval, so "
        f"the interval can miss the exact value; {advice} (--set dt=...)"
    )


class RunTooLongError(ValueError):
    """:func:`simulate` stopped a run whose projected time exceeds its ``time_limit``
    (a ``ValueError``: the CLI prints one line and exits 2)."""


_SIMULATORS: dict[str, Simulator] = {}


def register_simulator(sim: Simulator) -> Simulator:
    _SIMULATORS[sim.model_class.name] = sim
    return sim


def get_simulator(model: Model | str) -> Simulator:
    """The simulator of a model (a built-in model's kernel module is imported here)."""
    name = model if isinstance(model, str) else model.name
    if name not in _SIMULATORS and name in BUILTIN_MODELS:
        importlib.import_module(f"driftkit.montecarlo.kernels.{BUILTIN_MODELS[name]}")
    if name not in BUILTIN_MODELS:
        # a spec model (driftkit.theory.families): its family's kernel module builds a
        # simulator for its class, again when the spec was reloaded with changes
        try:
            cls = type(model) if isinstance(model, Model) else get_model(name)
        except ValueError:
            cls = None
        family = getattr(cls, "family", None)
        if family is not None and getattr(_SIMULATORS.get(name), "model_class", None) is not cls:
            kernels = importlib.import_module(f"driftkit.montecarlo.kernels.{family}")
            register_simulator(kernels.simulator_for(cls))
    try:
        return _SIMULATORS[name]
    except KeyError:
        raise ValueError(
            f"no simulator is registered for model {name!r}; simulated models: "
            + ", ".join(sorted(set(_SIMULATORS) | set(BUILTIN_MODELS)))
        ) from None


def plan_chunks(paths: int, min_chunk_paths: int = MIN_CHUNK_PATHS) -> list[int]:
    """Chunk sizes for ``paths`` paths: a function of ``paths`` (and the model) alone."""
    n_chunks = max(1, min(MAX_CHUNKS, paths // min_chunk_paths))
    base, extra = divmod(paths, n_chunks)
    return [base + (i < extra) for i in range(n_chunks)]


#: most paths one kernel call simulates, in units of the runner's ``min_chunk_paths``:
#: a chunk bigger than this runs in sub-batches on its own generator, and the stop flag
#: (Ctrl-C, the run-time projection) is checked between them
SUB_BATCH_CHUNKS = 4
#: a run's time is projected once this many seconds of it have run (``time_limit``)
PROJECT_AFTER_S = 0.5


def plan_sub_batches(chunk: int, min_chunk_paths: int = MIN_CHUNK_PATHS) -> list[int]:
    """Sub-batch sizes of a chunk of ``chunk`` paths: at most
    ``SUB_BATCH_CHUNKS * min_chunk_paths`` paths each, as equal as possible.

    A function of the chunk size (so of ``paths``) and the model alone, so results stay
    bit-identical across thread counts. A chunk no bigger than that runs in one call, as
    before sub-batches existed.
    """
    most = max(1, SUB_BATCH_CHUNKS * min_chunk_paths)
    n = max(1, -(-chunk // most))
    base, extra = divmod(chunk, n)
    return [base + (i < extra) for i in range(n)]


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        raise ValueError(f"parameter '{name}' must be an integer >= {minimum}, got {value!r}")
    if not float(value).is_integer() or value < minimum or math.isinf(value):
        raise ValueError(f"parameter '{name}' must be an integer >= {minimum}, got {value!r}")
    return int(value)


def default_threads() -> int:
    """``NUMBA_NUM_THREADS`` (the number of cores unless set)."""
    return int(numba.config.NUMBA_NUM_THREADS)


@dataclass
class SimulationResult:
    """What :func:`simulate` returns: estimates with intervals and the run's bookkeeping."""

    model: Model
    estimates: dict[str, Estimate]
    paths: int
    seed: int | None
    max_steps: int
    censored: int
    steps: int
    elapsed_s: float
    threads: int
    chunks: int
    method: str
    level: float
    interval: str
    provenance: dict[str, Any] = field(default_factory=dict)
    #: one-line warnings about the run (a coarse time step); also in the JSON
    warnings: list[str] = field(default_factory=list)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.elapsed_s if self.elapsed_s > 0 else math.inf

    def __getitem__(self, name: str) -> Estimate:
        return self.estimates[name]

    def to_dict(self) -> dict[str, Any]:
        """The ``driftkit simulate --json`` object (rare-event methods add
        ``relative_error`` and ``ess`` to each quantity)."""
        return {
            "model": self.model.name,
            "params": self.model.params,
            "quantities": {k: _estimate_dict(e) for k, e in self.estimates.items()},
            "paths": self.paths,
            "seed": self.seed,
            "censored": self.censored,
            "steps": self.steps,
            "elapsed_s": self.elapsed_s,
            "steps_per_second": self.steps_per_second,
            "max_steps": self.max_steps,
            "threads": self.threads,
            "chunks": self.chunks,
            "method": self.method,
            "level": self.level,
            "interval": self.interval,
            "provenance": self.provenance,
            "warnings": list(self.warnings),
        }


def _estimate_dict(e: Estimate) -> dict[str, Any]:
    out: dict[str, Any] = {"estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high}
    out["n"] = e.n
    if e.ess is not None:
        out["relative_error"] = e.relative_error
        out["ess"] = e.ess
    return out


def _duration(seconds: float) -> str:
    """``seconds`` as a short human duration (``"3.2 h"``, ``"41 min"``, ``"12 s"``)."""
    if seconds >= 86400:
        return f"{seconds / 86400:.3g} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.3g} h"
    if seconds >= 60:
        return f"{seconds / 60:.3g} min"
    return f"{seconds:.3g} s"


def _as_model(model: Model | str) -> Model:
    if isinstance(model, Model):
        return model
    if isinstance(model, str):
        return get_model(model)()
    raise TypeError(
        f"model must be a driftkit.theory.Model or a model name, got {type(model).__name__}"
    )


def simulate(
    model: Model | str,
    paths: int | None = None,
    rng: RNGLike = None,
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
    method: str = "naive",
    level: float = 0.95,
    interval: str = "wilson",
    threads: int | None = None,
    progress: bool = False,
    time_limit: float | None = None,
) -> SimulationResult:
    """Simulate ``paths`` independent paths of ``model`` and estimate its quantities.

    Parameters
    ----------
    model
        A :class:`driftkit.theory.Model` instance (or a registered name, at its defaults).
    paths
        Number of independent paths (>= 1); default the simulator's
        ``default_paths`` (100,000, or fewer where a path is a whole population).
    rng
        ``None``, an ``int`` seed, a ``SeedSequence`` or a ``Generator``.
    max_steps
        Step budget per path; a path that reaches it is *censored*: counted in
        ``censored`` and allowed for in every interval (never dropped).
    method
        Estimation method: ``"naive"`` Monte Carlo, or a rare-event method the
        model's simulator offers (``get_simulator(model).methods``):
        ``"importance"`` (exponential tilting; gamblers-ruin and brownian-drift
        ``escape_probability``) or ``"splitting"`` (multilevel splitting;
        ornstein-uhlenbeck ``escape_probability``, entropy-ball
        ``return_probability``). A rare-event method estimates only its one
        probability, with ``relative_error`` and ``ess`` in its
        :class:`~driftkit.montecarlo.Estimate`; ``paths`` counts splitting *trees*, and
        ``max_steps`` is the budget of every particle. See :mod:`driftkit.montecarlo.engine.rare`.
    level
        Confidence level of the intervals.
    interval
        ``"wilson"`` or ``"clopper-pearson"`` for proportions.
    threads
        Worker threads (default ``NUMBA_NUM_THREADS``). Results do not depend on it.
    progress
        Show a tqdm progress bar on stderr.
    time_limit
        Seconds the run may take (default: no limit). Half a second into the run its
        total time is projected from the paths finished so far (paths / measured paths
        per second, on all threads); above the limit the run is stopped and
        :class:`RunTooLongError` raised, saying how many paths would fit.

    Chunks larger than ``SUB_BATCH_CHUNKS * min_chunk_paths`` paths run in sub-batches
    (:func:`plan_sub_batches`) on the chunk's generator; between sub-batches the threads
    check a stop flag, so Ctrl-C (``KeyboardInterrupt``) stops every thread within a
    sub-batch's time and is re-raised once all have stopped.

    Returns
    -------
    SimulationResult

    Raises
    ------
    UnreliableEstimateError
        (a ``ValueError``) for a rare-event method whose effective sample size is
        below ``MIN_ESS`` (100) or that saw no path reach the event: the estimate
        is refused, not returned (the refused result is the error's ``result``).
    """
    model = _as_model(model)
    sim = get_simulator(model)
    runner = sim.runner(method)
    paths = runner.default_paths if paths is None else _positive_int("paths", paths)
    max_steps = _positive_int("max_steps", max_steps)
    threads = default_threads() if threads is None else _positive_int("threads", threads)
    if runner is not sim:
        runner.check(model)
    if interval not in INTERVAL_METHODS:
        raise ValueError(
            f"parameter 'interval' must be one of {', '.join(INTERVAL_METHODS)}, got {interval!r}"
        )
    if not (isinstance(level, (int, float)) and 0.0 < level < 1.0):
        raise ValueError(f"parameter 'level' must be a number in (0, 1), got {level!r}")

    if time_limit is not None and not (
        isinstance(time_limit, (int, float)) and not isinstance(time_limit, bool) and time_limit > 0
    ):
        raise ValueError(
            f"parameter 'time_limit' must be a number > 0 (seconds), got {time_limit!r}"
        )

    root, seed = root_sequence(rng)
    sizes = plan_chunks(paths, runner.min_chunk_paths)
    prepared = runner.prepare(model)
    runner.warm_up(model)
    bar = tqdm(
        total=paths,
        unit=getattr(runner, "unit", "path"),
        desc=model.name,
        disable=not progress,
        file=sys.stderr,
        leave=False,
        dynamic_ncols=True,
    )
    gens = chunk_generators(root, len(sizes))
    stop = threading.Event()
    finished: queue.SimpleQueue[int] = queue.SimpleQueue()  # paths of each finished sub-batch

    def run_one(i: int) -> np.ndarray | None:
        """Chunk ``i`` in sub-batches on its one generator; ``None`` if stopped."""
        total = None
        for n in plan_sub_batches(sizes[i], runner.min_chunk_paths):
            if stop.is_set():
                return None
            part = runner.run_chunk(prepared, gens[i], n, max_steps)
            total = part if total is None else total + part
            finished.put(n)
        return total

    start = time.perf_counter()
    done = 0
    projected = False

    def account() -> None:
        """Progress of the finished sub-batches, and (once) the run-time projection."""
        nonlocal done, projected
        while True:
            try:
                n = finished.get_nowait()
            except queue.Empty:
                break
            done += n
            bar.update(n)
        elapsed = time.perf_counter() - start
        if time_limit is None or projected or done == 0 or elapsed < PROJECT_AFTER_S:
            return
        projected = True
        total_s = elapsed * paths / done
        if total_s > time_limit and done < paths:
            rate = done / elapsed
            fit = max(1, int(rate * time_limit))
            raise RunTooLongError(
                f"{model.name}: {paths:,} {getattr(runner, 'unit', 'path')}s would take about "
                f"{_duration(total_s)} (measured {rate:.3g} per second over the first "
                f"{elapsed:.1f} s on {threads} threads), more than the limit of "
                f"{_duration(time_limit)}; about {fit:,} fit in it (--paths {fit:.2g}), or "
                "confirm the long run with --yes"
            )

    results: list[np.ndarray | None] = [None] * len(sizes)
    with bar:
        if threads == 1 or len(sizes) == 1:
            # in this thread: Ctrl-C (KeyboardInterrupt) lands between sub-batches
            for i in range(len(sizes)):
                total = None
                for n in plan_sub_batches(sizes[i], runner.min_chunk_paths):
                    part = runner.run_chunk(prepared, gens[i], n, max_steps)
                    total = part if total is None else total + part
                    finished.put(n)
                    account()
                results[i] = total
        else:
            pool = ThreadPoolExecutor(max_workers=min(threads, len(sizes)))
            try:
                futures = {pool.submit(run_one, i): i for i in range(len(sizes))}
                pending = set(futures)
                while pending:
                    # a short wait keeps this thread free to take Ctrl-C at once
                    ready, pending = wait(pending, timeout=0.05, return_when=FIRST_COMPLETED)
                    for fut in ready:
                        results[futures[fut]] = fut.result()
                    account()
            except BaseException:
                # Ctrl-C, the projection or a kernel error: every worker stops at its next
                # sub-batch boundary (well under a second), and no thread outlives the call
                stop.set()
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
        account()
    totals = np.sum(np.stack(results), axis=0)  # chunk order: thread-count independent
    elapsed = time.perf_counter() - start
    estimates, censored, steps = runner.summarize(model, totals, paths, level, interval)
    result = SimulationResult(
        model=model,
        estimates=estimates,
        paths=paths,
        seed=seed,
        max_steps=max_steps,
        censored=censored,
        steps=steps,
        elapsed_s=elapsed,
        threads=threads,
        chunks=len(sizes),
        method=method,
        level=level,
        interval=interval,
        provenance=provenance(),
    )
    if runner is sim:
        warning = sim.time_step_warning(model, result)
        if warning:
            result.warnings.append(warning)
    if runner is not sim:
        why = refusal(estimates, paths, getattr(runner, "unit", "path"))
        if why is not None:
            raise UnreliableEstimateError(f"{model.name}: {method} estimate refused: {why}", result)
    return result
