"""The ``driftkit`` command line.

``main(argv)`` returns the exit code (so it can be tested without a
subprocess): 0 success (validate: all agree), 1 validate found a
disagreement, 2 bad input (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftkit.montecarlo.app.jsonout import json_safe
from driftkit.montecarlo.engine.settings import (
    DEFAULT_MAX_STEPS,
    DEFAULT_PATHS,
    INTERVAL_METHODS,
    METHODS,
)
from driftkit.theory import Model, ParameterError, get_model, model_names

# Only light modules at import time: `driftkit --help`, `--version`, `models` and `cite`
# load no numba, sympy or scipy. The engine is imported by the commands that simulate.
from driftkit._version import __version__

if TYPE_CHECKING:
    from driftkit.montecarlo.engine.core import SimulationResult

__all__ = ["main", "run"]

CITATION = (
    "If you use driftkit in published work, cite it and the sources of the formulas you "
    "use: `driftkit cite MODEL` prints both (BibTeX with --bibtex; see also CITATION.cff)."
)
EXAMPLES = """examples:
  driftkit models
  driftkit theory gamblers-ruin --set hi=100 --set x0=90 --json
  driftkit theory gamblers-ruin --latex
  driftkit simulate gamblers-ruin --paths 1000000 --seed 1
  driftkit validate all --out report
  driftkit cite gamblers-ruin --bibtex > refs.bib
  driftkit sweep gamblers-ruin --set q=0.5 --grid p=0.3:0.5:5 --grid hi=10:30:3 --out sweep.csv

exit codes: 0 success (validate: all quantities agree), 1 validate found a
disagreement, 2 bad input (one line naming the parameter and its allowed range),
130 interrupted (Ctrl-C: every thread stops within about a second, no output file is
left half-written; a sweep keeps its finished points and resumes), 141 stdout closed
early (e.g. piped into `head`).

long runs: half a second into simulate, validate or sweep the total time is projected
(paths / paths per second measured so far, on all threads); above an hour the run
stops with exit 2 and says how many --paths fit, unless --yes confirms it.
"""


METHODS_HELP = """methods:
  naive       independent paths of the model; every quantity it simulates.
  importance  Siegmund's importance sampling of escape_probability (gamblers-ruin,
              brownian-drift): paths are drawn with the drift tilted by the
              adjustment coefficient (p and q swapped; mu -> -mu), so the escape is
              common, and each is weighted by its exact likelihood ratio.
  splitting   fixed-factor multilevel splitting (7 copies at each level, levels at
              equal steps of the theory's log-probability): ornstein-uhlenbeck
              escape_probability = P(reach hi before returning to m) from m < x0 < hi,
              and entropy-ball return_probability. --paths counts trees, and
              --max-steps is the budget of every particle.
  A rare-event method estimates only its one probability and also reports its
  relative error (standard error / estimate) and effective sample size (ESS, the
  number of naive hits with the same relative error). An estimate with ESS < 100
  (relative error about 10% or worse) is refused: one line on stderr saying how
  many --paths would do, exit code 2 (the run was too small for the rarity of the
  event: an input to change, like any other bad input; exit 1 means a validate
  disagreement).

examples:
  driftkit simulate gamblers-ruin --set p=0.3 --set q=0.7 --set hi=30 --set x0=1 \\
      --method importance
  driftkit simulate ornstein-uhlenbeck --set x0=0.5 --set hi=6 --method splitting
"""


class UsageError(ValueError):
    """Bad command-line input."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UsageError(message)


def _int_arg(name: str, minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)  # exact, also for the 128-bit seeds of fresh entropy
        except ValueError:
            try:
                as_float = float(text)  # accept 1e6 and 5.0
            except ValueError:
                as_float = float("nan")
            value = int(as_float) if as_float.is_integer() else None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(
                f"parameter '{name}' must be an integer >= {minimum}, got {text!r}"
            )
        return value

    return parse


def _level_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"parameter 'level' must be in (0, 1), got {text!r}")
    return value


def _parse_sets(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects NAME=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def _model_class(name: str) -> type[Model]:
    """The model class of a model name, or of a spec file (a path ending in ``.toml``,
    loaded with :func:`driftkit.theory.families.load`; a bad spec is a ``ValueError``
    naming the key and the line)."""
    if name.lower().endswith(".toml"):
        from driftkit.theory.families import load

        return load(name)
    return get_model(name)


def _build_model(name: str, sets: dict[str, str]) -> Model:
    cls = _model_class(name)
    for key in sets:
        cls.parameter(key)  # unknown names fail here, naming the allowed ones
    return cls(**sets)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to generate the CLI reference)."""
    parser = _Parser(
        prog="driftkit",
        description=(
            "The mathematics of drift under selection: closed forms derived in sympy, "
            "numba Monte Carlo of the same model, and a statistical verdict on whether "
            "they agree."
        ),
        epilog=EXAMPLES + "\n" + CITATION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"driftkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser, all_ok: bool = False) -> None:
        p.add_argument(
            "model",
            metavar="MODEL" + ("|all" if all_ok else ""),
            help="model name (see `driftkit models`)"
            + ("; `all` for every model" if all_ok else ""),
        )
        p.add_argument(
            "--set",
            action="append",
            metavar="NAME=VALUE",
            default=[],
            help="set a model parameter (repeatable); unset ones take defaults",
        )
        p.add_argument("--json", action="store_true", help="print one JSON object")

    def simulation(p: argparse.ArgumentParser, default_level: float | None) -> None:
        p.add_argument(
            "--paths",
            type=_int_arg("paths", 1),
            default=None,
            help=f"number of simulated paths (default {DEFAULT_PATHS:,}; fewer for population "
            "models, whose path is a whole population: see `driftkit models`)",
        )
        p.add_argument(
            "--seed",
            type=_int_arg("seed", 0),
            default=None,
            help="root seed (default: fresh entropy, reported in the output)",
        )
        p.add_argument(
            "--max-steps",
            type=_int_arg("max-steps", 1),
            default=DEFAULT_MAX_STEPS,
            help="step budget per path; paths that reach it are censored and "
            f"counted (default {DEFAULT_MAX_STEPS:,})",
        )
        p.add_argument(
            "--level",
            type=_level_arg,
            default=default_level,
            help=(
                f"confidence level (default {default_level})"
                if default_level is not None
                else "confidence level (default: 0.999 family-wise over all points and "
                "quantities with --mode validate, 0.95 per interval with --mode simulate)"
            ),
        )
        p.add_argument(
            "--interval",
            choices=INTERVAL_METHODS,
            default="wilson",
            help="interval for proportions (default wilson)",
        )
        p.add_argument(
            "--threads",
            type=_int_arg("threads", 1),
            default=None,
            help="worker threads (default NUMBA_NUM_THREADS); results do not depend on it",
        )
        p.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="progress bar on stderr (default: on a terminal, not with --json)",
        )
        p.add_argument(
            "--yes",
            action="store_true",
            help="run even when the projected run time is above an hour (without it such a "
            "run stops after half a second: exit 2, saying how many --paths fit)",
        )

    p = sub.add_parser("models", help="list the models, their parameters and defaults")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser(
        "cite",
        help="how to cite driftkit and the sources of a model's formulas",
        description="Print how to cite driftkit, then the published sources of each model's "
        "formulas (every model when none is named). With model names it also prints one BibTeX "
        "file of everything to cite; --bibtex prints only that.",
    )
    p.add_argument("models", nargs="*", metavar="MODEL", help="model names (default: all)")
    p.add_argument("--bibtex", action="store_true", help="print only the BibTeX entries")

    p = sub.add_parser("theory", help="closed-form values, LaTeX and derivation of a model")
    common(p)
    p.add_argument("--latex", action="store_true", help="print the formulas as an align block")
    p.add_argument(
        "--derivation", action="store_true", help="print the derivation (Markdown with LaTeX)"
    )

    p = sub.add_parser(
        "simulate",
        help="Monte Carlo estimates with confidence intervals",
        description="Simulate the model and print each estimate with its confidence interval. "
        "Rare events (a probability of 1e-9 needs about 1e11 naive paths for 10% relative "
        "error) have their own methods; see --method. A coarse time step (dt) whose bias may "
        "exceed an interval is reported as a warning (stderr, and 'warnings' in --json).",
        epilog=METHODS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(p)
    simulation(p, 0.95)
    p.add_argument(
        "--method",
        choices=METHODS,
        default="naive",
        help="estimation method (default naive): importance = exponential tilting "
        "(gamblers-ruin, brownian-drift escape_probability), splitting = multilevel "
        "splitting (ornstein-uhlenbeck escape_probability, entropy-ball return_probability); "
        "see the notes below",
    )

    p = sub.add_parser(
        "validate",
        help="simulate and compare with theory (exit 1 on disagreement)",
        description="Simulate the model and compare every quantity with its closed form at "
        "the family-wise level (Bonferroni over quantities). Exit 0 if all agree, 1 if not. "
        "`validate all` prints one line per model to stderr as it goes (also when piped; "
        "stdout, and --json, are unaffected). A coarse time step (dt) whose bias may exceed "
        "an interval is reported as a warning (stderr, and 'warnings' in --json).",
    )
    common(p, all_ok=True)
    simulation(p, 0.999)
    p.add_argument(
        "--method",
        choices=METHODS,
        default="naive",
        help="estimation method (default naive); a rare-event method (importance, splitting: "
        "see `driftkit simulate --help`) validates its one probability, with its relative "
        "error and ESS",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="write a report (index.md, results.json, plots) into DIR (a new or existing "
        "directory, checked before any simulation; the report appears only when complete)",
    )

    p = sub.add_parser(
        "sweep",
        help="validate or simulate over a parameter grid; a tidy table, resumable, on Dask",
        description="Run validate (or simulate) at every point of a grid and write one row per "
        "point and quantity to --out (CSV, or Parquet for a .parquet name). Finished points "
        "are kept in OUT.parts/, so running the same command again after an interruption "
        "resumes. Seeds come from one root seed, so serial and Dask runs give the same table. "
        "In validate mode the level is family-wise over all points and quantities (exit 1 on "
        "a disagreement).",
    )
    common(p)
    simulation(p, None)  # validate: 0.999 family-wise; simulate: 0.95 per interval
    p.add_argument(
        "--grid",
        action="append",
        metavar="NAME=START:STOP:NUM",
        required=True,
        help="a swept parameter: NUM evenly spaced values from START to STOP, or NAME=V1,V2,... "
        "(repeatable; the points are all combinations)",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        required=True,
        help="the table (.csv or .parquet); an existing file is refused unless it is this "
        "sweep's own table (OUT.parts/ beside it)",
    )
    p.add_argument(
        "--mode",
        choices=("validate", "simulate"),
        default="validate",
        help="what to run at each point (default validate)",
    )
    p.add_argument(
        "--scheduler",
        default="local",
        metavar="serial|local|ADDRESS",
        help="serial (this process), local (a Dask LocalCluster, the default) or the address "
        "of a Dask scheduler (tcp://HOST:PORT; given up after 5 s without an answer)",
    )
    p.add_argument(
        "--workers",
        type=_int_arg("workers", 1),
        default=None,
        help="worker processes of the local cluster (default 2), one thread each",
    )
    return parser


def _fmt(x: float) -> str:
    return f"{x:.10g}" if x == x and abs(x) != float("inf") else str(x)


def _emit_json(obj: Any) -> None:
    print(json.dumps(json_safe(obj), indent=2))


def _progress(args: argparse.Namespace) -> bool:
    if args.progress is not None:
        return args.progress
    return (not args.json) and sys.stderr.isatty()


def _run_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments shared by simulate and validate."""
    return {
        "max_steps": args.max_steps,
        "level": args.level,
        "interval": args.interval,
        "threads": args.threads,
        "progress": _progress(args),
        "time_limit": _time_limit(args),
    }


#: a run projected to take longer than this asks for --yes (seconds)
LONG_RUN_S = 3600.0


def _time_limit(args: argparse.Namespace) -> float | None:
    return None if getattr(args, "yes", False) else LONG_RUN_S


def _warn(lines: list[str]) -> None:
    for line in lines:
        print(f"driftkit: warning: {line}", file=sys.stderr)


def _cmd_models(args: argparse.Namespace) -> int:
    # the built-in models come from the generated catalog (no sympy, numba or scipy)
    from driftkit.montecarlo.app.catalog import model_info

    data = {}
    for name in model_names():
        info = model_info(name)
        data[name] = {
            key: info[key] for key in ("title", "summary", "params", "quantities", "default_paths")
        }
    if args.json:
        _emit_json({"models": data})
        return 0
    for name, d in data.items():
        print(f"{name}: {d['title']}")
        print(f"  {d['summary']}")
        for pname, pd in d["params"].items():
            print(f"  --set {pname}={pd['default']:<8}  {pd['description']} ({pd['range']})")
        print("  quantities: " + ", ".join(d["quantities"]))
        if d["default_paths"] is None:
            print("  default paths: none (no simulator is registered: theory only)")
        else:
            print(f"  default paths: {d['default_paths']:,}")
    return 0


def _cmd_cite(args: argparse.Namespace) -> int:
    from driftkit.montecarlo.app.catalog import model_info
    from driftkit.montecarlo.app.cite import bibtex, citation_text, references_for

    for name in args.models:
        model_info(name)  # unknown names fail here, naming the known ones
    if args.bibtex:
        print(bibtex(references_for(args.models or model_names())), end="")
    else:
        print(citation_text(args.models))
    return 0


def _cmd_theory(args: argparse.Namespace) -> int:
    model = _build_model(args.model, _parse_sets(args.set))
    for line in model.warnings():  # approximations outside their established range
        print(f"driftkit: warning: {line}", file=sys.stderr)
    if args.json:
        from driftkit.montecarlo.engine.provenance import provenance

        _emit_json({**model.to_dict(), "provenance": provenance()})
        return 0
    if args.derivation:
        print(model.derivation())
        return 0
    if args.latex:
        print(latex_align(model))
        return 0
    print(f"{model.name}: " + ", ".join(f"{k}={v}" for k, v in model.params.items()))
    width = max(len(q.name) for q in model.quantities)
    for q in model.quantities:
        kind = "" if q.kind == "exact" else f"  ({q.kind})"
        print(f"  {q.name:<{width}}  {_fmt(model.value(q.name))}{kind}")
    return 0


def latex_align(model: Model) -> str:
    """The model's formulas (all cases) as a LaTeX ``align`` block: :meth:`Model.latex_block`."""
    return model.latex_block()


def _cmd_simulate(args: argparse.Namespace) -> int:
    from driftkit.montecarlo.engine.core import simulate

    model = _build_model(args.model, _parse_sets(args.set))
    res = simulate(model, args.paths, args.seed, method=args.method, **_run_settings(args))
    _warn_censored(res)
    _warn(res.warnings)
    if args.json:
        _emit_json(res.to_dict())
        return 0
    print(f"{model.name}: " + ", ".join(f"{k}={v}" for k, v in model.params.items()))
    width = max(len(k) for k in res.estimates)
    for name, e in res.estimates.items():
        rare = "" if e.ess is None else f"  relative_error={e.relative_error:.3g} ess={e.ess:,.0f}"
        print(
            f"  {name:<{width}}  {_fmt(e.estimate):>14}  "
            f"[{_fmt(e.ci_low)}, {_fmt(e.ci_high)}]  n={e.n:,}{rare}"
        )
    print(
        f"  {res.level:.3%} intervals; paths={res.paths:,} censored={res.censored:,} "
        f"steps={res.steps:,} elapsed={res.elapsed_s:.3f}s "
        f"({res.steps_per_second:.3g} steps/s, {res.threads} thread"
        f"{'' if res.threads == 1 else 's'}) seed={res.seed}"
        + ("" if res.method == "naive" else f" method={res.method}")
    )
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from driftkit.montecarlo.app.report import results_object, write_report
    from driftkit.montecarlo.engine.stats import bonferroni
    from driftkit.montecarlo.engine.validation import validate

    sets = _parse_sets(args.set)
    if args.model == "all":
        names = [n for n in model_names() if _has_simulator(n)]
        for key in sets:
            if not any(key in get_model(n).defaults() for n in names):
                raise UsageError(f"--set {key}: no model has a parameter named {key!r}")
        models = [
            get_model(n)(**{k: v for k, v in sets.items() if k in get_model(n).defaults()})
            for n in names
        ]
    else:
        models = [_build_model(args.model, sets)]
    if args.out:
        _check_out_dir(Path(args.out))  # before any simulation
    settings = _run_settings(args)
    # Bonferroni across models too, so `validate all` keeps the family-wise level
    settings["level"] = bonferroni(args.level, len(models))
    results = []
    for k, m in enumerate(models, 1):
        if len(models) == 1:
            results.append(validate(m, args.paths, args.seed, method=args.method, **settings))
            continue
        # heartbeat: one line per model on stderr, also when piped (not a terminal)
        head = f"driftkit: [{k}/{len(models)}] validating {m.name} ..."
        print(head, file=sys.stderr, flush=True, end="\n" if settings["progress"] else "")
        start = time.perf_counter()
        try:
            v = validate(m, args.paths, args.seed, method=args.method, **settings)
        except BaseException:
            if not settings["progress"]:
                print(" stopped", file=sys.stderr, flush=True)
            raise
        n_inc = v.verdicts["inconclusive"]
        inc = f", {n_inc} inconclusive" if n_inc else ""
        verdict = f"{'ok' if v.ok else 'DISAGREE'}{inc} ({time.perf_counter() - start:.1f} s)"
        tail = f" {verdict}" if not settings["progress"] else f"{head} {verdict}"
        print(tail, file=sys.stderr, flush=True)
        results.append(v)
    for v in results:
        _warn_censored(v.simulation)
        _warn(v.simulation.warnings)
    if args.out:
        index = _write_report_atomic(
            lambda folder: write_report(results, folder, threads=args.threads, command=sys.argv),
            Path(args.out),
        )
        if not args.json:
            print(f"report written to {index}")
    if args.json:
        _emit_json(results_object(results) if args.model == "all" else results[0].to_dict())
    else:
        for v in results:
            _print_validation(v)
    return 0 if all(v.ok for v in results) else 1


def _cmd_sweep(args: argparse.Namespace) -> int:
    from driftkit.montecarlo.app.sweep import parse_grid, sweep

    cls = _model_class(args.model)
    grid = dict(parse_grid(cls, g) for g in args.grid)
    base = _parse_sets(args.set)
    _build_model(args.model, base)  # bad fixed values fail before any work
    res = sweep(
        cls,
        grid,
        args.out,
        base=base,
        mode=args.mode,
        paths=args.paths,
        rng=args.seed,
        max_steps=args.max_steps,
        level=args.level,
        interval=args.interval,
        scheduler=args.scheduler,
        workers=args.workers,
        progress=_progress(args),
        time_limit=_time_limit(args),
    )
    censored = sum({r["point"]: r["censored"] for r in res.rows}.values())
    summary = {
        "model": cls.name,
        "out": str(res.path),
        "points": res.points,
        "ran": res.ran,
        "rows": len(res.rows),
        "seed": res.seed,
        "mode": res.mode,
        "level": res.level,
        "comparison_level": res.comparison_level,
        "censored": censored,
        "ok": res.ok,
        "disagreements": len(res.disagreements),
    }
    if args.json:
        _emit_json(summary)
    else:
        print(
            f"{cls.name}: {res.points} points ({res.ran} run now, {res.points - res.ran} "
            f"resumed), {len(res.rows)} rows written to {res.path}; seed={res.seed}"
        )
        if censored:
            print(f"  {censored:,} censored paths in all (see the 'censored' column)")
        if res.mode == "validate":
            print(
                f"  {'OK' if res.ok else 'DISAGREEMENT'}: {len(res.disagreements)} disagreeing "
                f"rows at {res.level:.3%} family-wise ({res.comparison_level:.6%} each)"
            )
    return 0 if res.ok else 1


def _check_out_dir(out: Path) -> None:
    """Refuse a report folder that is a file or cannot be created, before any work."""
    if out.exists() and not out.is_dir():
        raise UsageError(
            f"parameter 'out': {out} is an existing file; validate --out names a directory "
            "for the report (choose another name)"
        )
    parent = out if out.is_dir() else out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    try:  # a real probe: os.access says yes to root even where mkdir fails
        os.rmdir(tempfile.mkdtemp(prefix=".driftkit-probe-", dir=parent))
    except OSError as exc:
        raise UsageError(
            f"parameter 'out': cannot create the report folder {out} "
            f"({exc.strerror or exc} in {parent})"
        ) from None


def _write_report_atomic(write, out: Path) -> Path:
    """Run ``write(folder)`` into a fresh folder beside ``out``, then move the finished
    report into ``out``: an interrupted or failed write leaves nothing half-written."""
    out_parent = out.parent if str(out.parent) else Path(".")
    out_parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out_parent))
    try:
        index = Path(write(tmp))
        if not out.exists():
            os.replace(tmp, out)
        else:  # an existing report folder: replace its entries one by one
            for entry in tmp.iterdir():
                target = out / entry.name
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                os.replace(entry, target)
            tmp.rmdir()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / index.relative_to(tmp)


def _has_simulator(name: str) -> bool:
    from driftkit.montecarlo.engine.core import get_simulator

    try:
        get_simulator(name)
    except ValueError:
        return False
    return True


def _warn_censored(res: SimulationResult) -> None:
    if res.censored:
        print(
            f"driftkit: warning: {res.model.name}: {res.censored:,} of {res.paths:,} paths "
            f"reached --max-steps {res.max_steps:,} and were censored; the intervals allow "
            "for every way they could have ended (raise --max-steps for a sharper answer)",
            file=sys.stderr,
        )


def _print_validation(v) -> None:
    s = v.simulation
    print(f"{v.model.name}: " + ", ".join(f"{k}={val}" for k, val in v.model.params.items()))
    width = max(len(k) for k in v.comparisons)
    for name, c in v.comparisons.items():
        e = c.estimate
        tol = f" ± {_fmt(c.tolerance)}" if c.tolerance else ""
        shown = {"agree": "agree", "disagree": "DISAGREE", "inconclusive": "INCONCLUSIVE"}
        print(
            f"  {name:<{width}}  theory {_fmt(c.theory):>14}  estimate {_fmt(e.estimate):>14}  "
            f"[{_fmt(e.ci_low)}, {_fmt(e.ci_high)}]{tol}  {shown[c.verdict]}"
        )
    for name, c in v.comparisons.items():
        if c.verdict == "inconclusive":
            print(f"    {name}: inconclusive: {c.reason()}")
    counts = v.verdicts
    tally = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    print(
        f"  {'OK' if v.ok else 'DISAGREEMENT'} ({tally}) at {v.level:.3%} (Bonferroni, "
        f"{v.comparison_level:.4%} each); paths={s.paths:,} censored={s.censored:,} "
        f"steps={s.steps:,} elapsed={s.elapsed_s:.3f}s ({s.steps_per_second:.3g} steps/s) "
        f"seed={s.seed}"
    )


def _first_interrupt(signum: int, frame: Any) -> None:
    """SIGINT: the first raises KeyboardInterrupt (the run stops and exits 130); any
    further one while it stops is ignored, so it cannot end in a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None, *, _keep_handler: bool = False) -> int:
    """Run the CLI on ``argv`` (default ``sys.argv[1:]``); return the exit code.

    While it runs, the first Ctrl-C (SIGINT) stops the command (exit 130) and any
    further one is ignored; the previous handler is restored on return (the console
    script keeps ignoring SIGINT while the interpreter exits).
    """
    previous = None
    try:  # only the main thread may set handlers (in-process tests may run elsewhere)
        previous = signal.signal(signal.SIGINT, _first_interrupt)
    except ValueError:
        pass
    code = 2
    try:
        code = _main(argv)
        return code
    finally:
        if previous is not None and not (_keep_handler and code == 130):
            signal.signal(signal.SIGINT, previous)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        handler = {
            "models": _cmd_models,
            "cite": _cmd_cite,
            "theory": _cmd_theory,
            "simulate": _cmd_simulate,
            "validate": _cmd_validate,
            "sweep": _cmd_sweep,
        }[args.command]
        code = handler(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:
        # stdout closed early (`driftkit ... | head -1`): stop quietly; point stdout at
        # devnull so the interpreter's final flush cannot fail again
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141
    except (UsageError, ParameterError, ValueError, ImportError) as exc:
        message = " ".join(str(exc).split())
        print(f"driftkit: error: {message}", file=sys.stderr)
        return 2
    except OSError as exc:  # an unreadable or unwritable file named on the command line
        message = " ".join(str(exc).split())
        print(f"driftkit: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("driftkit: interrupted", file=sys.stderr, flush=True)
        return 130


def run() -> None:
    """Console-script entry point.

    After Ctrl-C (exit 130) the process ends with ``os._exit`` once stdout and stderr
    are flushed: interpreter finalization is skipped, since tearing down native state
    (numba's runtime, a generator a stopping worker thread still held) right after an
    interrupt segfaulted once in CI (exit -11 instead of 130). Everything a run keeps
    (a sweep's finished points) is on disk before ``main`` returns.
    """
    code = main(_keep_handler=True)
    if code == 130:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(130)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
