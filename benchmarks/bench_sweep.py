"""A 1,000-point sweep, serial against a 2-worker Dask ``LocalCluster``.

Run: ``python benchmarks/bench_sweep.py [--points 1000] [--paths 20000] [--workers 2]``.

The grid is gamblers-ruin over ``p`` in [0.3, 0.5] and the start ``x0`` with
``q = 0.5``, ``hi = 30``; every point validates its five quantities with ``--paths`` paths,
one numba thread per process. Three runs of the same sweep, same seed:

1. serial, in this process (the JIT is warmed and the sympy derivations are
   cached first, so the time is the work itself);
2. on an already running ``LocalCluster`` (``workers`` processes, one thread each),
   warmed the same way with a small sweep; this is the speedup the issue asks for:
   within 1.3x of the ideal ``workers``-fold speedup, i.e. efficiency
   ``serial / (workers * dask) >= 1 / 1.3 = 0.77``;
3. the same from cold: starting the cluster inside the timed call, as
   ``driftkit sweep --scheduler local`` does (worker start-up, imports, sympy
   derivation and JIT in every worker are all in the time).

The tables of all three runs are checked to be identical.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import driftkit.montecarlo  # noqa: F401  (registers the simulators)
import numpy as np
from driftkit.montecarlo.app.sweep import read_table, sweep

IDEAL_FACTOR = 1.3  # the target: within 1.3x of the ideal speedup


def grid(points: int) -> tuple[dict[str, list], int]:
    """A p-by-x0 grid of about ``points`` points."""
    n_x0 = 25
    n_p = max(1, points // n_x0)
    ps = [float(x) for x in np.round(np.linspace(0.30, 0.50, n_p), 6)]
    x0s = [int(x) for x in np.linspace(2, 28, n_x0).round()]
    return {"p": ps, "x0": x0s}, n_p * n_x0


def run(scheduler, g: dict, out: Path, paths: int, workers: int) -> float:
    start = time.perf_counter()
    res = sweep(
        "gamblers-ruin",
        g,
        out,
        base={"hi": 30, "q": 0.5},
        mode="validate",
        paths=paths,
        rng=2026,
        scheduler=scheduler,
        workers=workers,
    )
    elapsed = time.perf_counter() - start
    assert res.ran == res.points, "a fresh --out must run every point"
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--paths", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    from dask.distributed import Client, LocalCluster

    g, n = grid(args.points)
    small = {"p": g["p"][:2], "x0": g["x0"][:2]}
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"sweep: gamblers-ruin, {n} points (p x x0, hi=30, q=0.5), validate, "
        f"{args.paths:,} paths each"
    )
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        run("serial", small, d / "warm-serial.csv", args.paths, args.workers)
        t_serial = run("serial", g, d / "serial.csv", args.paths, args.workers)
        cluster = LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
        )
        with cluster, Client(cluster) as client:
            run(client, small, d / "warm-dask.csv", args.paths, args.workers)
            t_dask = run(client, g, d / "dask.csv", args.paths, args.workers)
        t_cold = run("local", g, d / "cold.csv", args.paths, args.workers)
        same = (
            read_table(d / "serial.csv") == read_table(d / "dask.csv") == read_table(d / "cold.csv")
        )
    ideal = t_serial / args.workers
    eff = ideal / t_dask
    print()
    print("| run | wall time (s) | speedup | efficiency vs ideal |")
    print("|---|---|---|---|")
    print(f"| serial (1 process) | {t_serial:.1f} | 1.00 | - |")
    print(
        f"| LocalCluster, {args.workers} workers, running | {t_dask:.1f} | "
        f"{t_serial / t_dask:.2f} | {eff:.2f} |"
    )
    print(
        f"| LocalCluster, {args.workers} workers, from cold | {t_cold:.1f} | "
        f"{t_serial / t_cold:.2f} | {ideal / t_cold:.2f} |"
    )
    print()
    print(f"tables identical: {same}")
    verdict = "within" if t_dask <= IDEAL_FACTOR * ideal else "NOT within"
    print(
        f"running cluster: {t_dask:.1f} s vs ideal {ideal:.1f} s ({t_dask / ideal:.2f}x): "
        f"{verdict} {IDEAL_FACTOR}x of the ideal speedup"
    )


if __name__ == "__main__":
    main()
