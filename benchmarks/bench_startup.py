"""Start-up and report timings of the ``driftkit`` command, for docs/performance.md.

Runs each command as a subprocess (output discarded) and prints the median wall time
of ``--repeat`` runs, after ``--warmup`` runs that fill the caches (numba's kernel
cache, driftkit's derivation cache, the OS's file cache): these are *warm* timings.

    python benchmarks/bench_startup.py                       # the driftkit on PATH
    python benchmarks/bench_startup.py --driftkit /path/to/venv/bin/driftkit
    python benchmarks/bench_startup.py --report              # also `validate all --out`

``validate all --out DIR`` takes tens of seconds, so it runs only with ``--report``
(``--report-repeat`` times, default 3).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

COMMANDS = [
    ["--help"],
    ["--version"],
    ["models"],
    ["cite", "gamblers-ruin"],
    ["theory", "gamblers-ruin", "--latex"],
]


def timed(cmd: list[str]) -> float:
    """Wall seconds of one run of ``cmd`` (which must succeed: exit 0 or, validate, 1)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return elapsed


def median_time(cmd: list[str], warmup: int, repeat: int) -> float:
    for _ in range(warmup):
        timed(cmd)
    return statistics.median(timed(cmd) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--driftkit", default=shutil.which("driftkit") or "driftkit")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--report", action="store_true", help="also time validate all --out")
    parser.add_argument("--report-repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"# {args.driftkit}: median of {args.repeat} after {args.warmup} warm-up run(s)")
    for argv in COMMANDS:
        t = median_time([args.driftkit, *argv], args.warmup, args.repeat)
        print(f"{t:8.2f} s  driftkit {' '.join(argv)}", flush=True)
    if args.report:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "report"
            argv = ["validate", "all", "--out", str(out)]
            times = []
            for i in range(args.warmup + args.report_repeat):
                shutil.rmtree(out, ignore_errors=True)
                t = timed([args.driftkit, *argv])
                if i >= args.warmup:
                    times.append(t)
            print(
                f"{statistics.median(times):8.2f} s  driftkit validate all --out report "
                f"(median of {args.report_repeat})",
                flush=True,
            )


if __name__ == "__main__":
    main()
