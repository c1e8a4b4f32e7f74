"""Measured coverage: does a 95% interval contain the theory value 95% of the time?

For every model (at its defaults) x every estimation method it offers (naive,
importance, splitting) x every simulated quantity whose theory value is exact for the
simulated model (allowance 0; approximations are judged by their allowance instead,
see `validate`), this runs ``--runs`` independent simulations at reduced paths, each from
its own child of one SeedSequence, and counts the runs whose interval contains the
theory value. A row is *within* when the count lies in the central 99.9% binomial band
of the nominal level (scipy.stats.binom). Rows outside the band are listed for
explanation in docs/verification.md.

    python benchmarks/verify_coverage.py                 # 500 runs, prints the table
    python benchmarks/verify_coverage.py --write         # and rewrites docs/verification.md
    python benchmarks/verify_coverage.py --models moran gamblers-ruin --runs 100

Takes about 10 minutes on 2 cores at 500 runs (two worker processes).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "verification.md"
START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"

#: the nominal level of every interval measured
LEVEL = 0.95
#: the band a row's coverage must fall in: central BAND of Binomial(runs, LEVEL)
BAND = 0.999
#: paths per run (reduced); a model's own default when that is smaller
PATHS = 2000
#: models whose "paths" are whole populations or long trajectories: fewer per run
PATHS_OVERRIDE = {"clymer-evolution": 8, "belief-evolution": 200, "clymer-gradient": 300}
#: parameters a rare-event method needs where the defaults do not suit it
METHOD_PARAMS = {("ornstein-uhlenbeck", "splitting"): {"x0": 0.5}}
#: a quantity whose intervals are never wider than this (relative) has no randomness
DETERMINISTIC = 1e-9
#: the root seed of every run of this script (its runs are children of it)
SEED = 20261204


def tasks(models: list[str]) -> list[tuple[str, str]]:
    """(model, method) pairs to measure."""
    from driftkit.montecarlo.engine.core import get_simulator

    return [(name, method) for name in models for method in get_simulator(name).methods]


def measure(name: str, method: str, runs: int) -> dict:
    """Coverage of every exact simulated quantity of one model and method."""
    from driftkit.montecarlo import simulate
    from driftkit.montecarlo.engine.core import get_simulator
    from driftkit.theory import get_model

    model = get_model(name)(**METHOD_PARAMS.get((name, method), {}))
    sim = get_simulator(name)
    paths = min(PATHS_OVERRIDE.get(name, PATHS), getattr(sim, "default_paths", PATHS))
    seeds = np.random.SeedSequence([SEED, sum(map(ord, name + method))]).spawn(runs)
    covered: dict[str, int] = {}
    counted: dict[str, int] = {}
    theory: dict[str, float] = {}
    widest: dict[str, float] = {}  # the largest relative half-width seen
    refused = 0
    start = time.perf_counter()
    for seed in seeds:
        try:
            res = simulate(model, paths, seed, method=method, level=LEVEL, threads=1)
        except ValueError:  # a rare-event estimate refused for a small effective sample
            refused += 1
            continue
        for q, est in res.estimates.items():
            if model.allowance(q).value != 0.0 or model.quantity(q).kind == "bound":
                continue
            value = theory.setdefault(q, model.value(q))
            if not (math.isfinite(est.ci_low) or math.isfinite(est.ci_high)):
                continue
            half = 0.5 * (est.ci_high - est.ci_low) / max(abs(value), 1e-300)
            widest[q] = max(widest.get(q, 0.0), half)
            counted[q] = counted.get(q, 0) + 1
            covered[q] = covered.get(q, 0) + int(est.ci_low <= value <= est.ci_high)
    rows = []
    for q in counted:
        n = counted[q]
        lo, hi = stats.binom.interval(BAND, n, LEVEL)
        # no randomness in the quantity (its every path gives the same value): the interval
        # is only a floating-point width, so it covers always and coverage is not defined
        deterministic = widest[q] <= DETERMINISTIC
        rows.append(
            {
                "model": name,
                "method": method,
                "quantity": q,
                "paths": paths,
                "runs": n,
                "covered": covered[q],
                "share": covered[q] / n,
                "band": [lo / n, hi / n],
                "within": bool(lo <= covered[q] <= hi) or deterministic,
                "deterministic": deterministic,
                "theory": theory[q],
            }
        )
    return {"rows": rows, "refused": refused, "seconds": time.perf_counter() - start}


def table(results: list[dict], runs: int) -> str:
    lines = [
        f"{runs} runs per row at {LEVEL:.0%} nominal; band: the central {BAND:.1%} of "
        f"Binomial(runs, {LEVEL}).",
        "",
        "| model | method | quantity | paths/run | runs | covered | share | 99.9% band | within |",
        "|---|---|---|---:|---:|---:|---:|---|:---:|",
    ]
    for res in results:
        for r in res["rows"]:
            within = "yes" if r["within"] else "**no**"
            if r["deterministic"]:
                within = "n/a (no randomness)"
            lines.append(
                f"| {r['model']} | {r['method']} | `{r['quantity']}` | {r['paths']:,} | "
                f"{r['runs']} | {r['covered']} | {r['share']:.3f} | "
                f"[{r['band'][0]:.3f}, {r['band'][1]:.3f}] | "
                f"{within} |"
            )
    refused = [(r["rows"][0]["model"] if r["rows"] else "?", r["refused"]) for r in results]
    extra = [f"{m}: {n} runs refused (effective sample too small)" for m, n in refused if n]
    if extra:
        lines += ["", *(f"- {e}" for e in extra)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from driftkit.theory import model_names

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=500, help="simulations per row (default 500)")
    ap.add_argument("--models", nargs="*", default=None, help="models (default: all)")
    ap.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    ap.add_argument("--write", action="store_true", help="rewrite docs/verification.md")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = ap.parse_args(argv)
    todo = tasks(args.models or model_names())
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        futures = [pool.submit(measure, n, m, args.runs) for n, m in todo]
        results = []
        for (n, m), f in zip(todo, futures, strict=True):
            results.append(f.result())
            print(f"{n} {m}: {results[-1]['seconds']:.1f} s", file=sys.stderr, flush=True)
    text = table(results, args.runs)
    print(text)
    elapsed = time.perf_counter() - start
    print(f"total {elapsed:.0f} s", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.write:
        doc = DOC.read_text()
        head, rest = doc.split(START, 1)
        _, tail = rest.split(END, 1)
        DOC.write_text(f"{head}{START}\n{text}\n\nMeasured in {elapsed:.0f} s.\n{END}{tail}")
    bad = [r for res in results for r in res["rows"] if not r["within"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
