"""The command line under stress: Ctrl-C, closed pipes, bad output paths, unreachable
schedulers, runs projected to take hours, coarse time steps, rare-event validation and
the `validate all` heartbeat. In-process `main([...])` where possible; subprocesses
only where a signal or a pipe is the point."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from driftkit.montecarlo.app.cli import main
from driftkit.montecarlo.engine.core import (
    SUB_BATCH_CHUNKS,
    RunTooLongError,
    get_simulator,
    plan_chunks,
    plan_sub_batches,
    simulate,
)
from driftkit.montecarlo.engine.settings import MIN_CHUNK_PATHS
from driftkit.montecarlo.engine.validation import validate

CLI = [sys.executable, "-m", "driftkit"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("driftkit: error: "), err
    assert "Traceback" not in err
    return lines[0]


# -- sub-batches and determinism ---------------------------------------------------


def test_sub_batches_cover_the_chunk_and_depend_on_its_size_only():
    most = SUB_BATCH_CHUNKS * MIN_CHUNK_PATHS
    for chunk in (1, most, most + 1, 10**10 // 64):
        sizes = plan_sub_batches(chunk)
        assert sum(sizes) == chunk
        assert max(sizes) <= most and max(sizes) - min(sizes) <= 1
    assert plan_sub_batches(most) == [most]  # a chunk this small runs in one call


def test_sub_batched_run_is_thread_count_independent():
    # 4e6 paths: chunks of 62,500 > 16,384 paths, so every chunk runs in 4 sub-batches
    paths = 4_000_000
    assert len(plan_sub_batches(plan_chunks(paths)[0])) > 1
    a = simulate("goodhart-selection", paths, 7, threads=1)
    b = simulate("goodhart-selection", paths, 7, threads=2)
    assert a.to_dict()["quantities"] == b.to_dict()["quantities"]


def test_two_calls_on_one_generator_draw_as_one_call():
    # moran's kernel carries no random bits between paths and sums integers, so the
    # sub-batch split must reproduce the single call exactly
    sim = get_simulator("moran")
    from driftkit.theory import get_model

    model = get_model("moran")()
    prep = sim.prepare(model)
    one = sim.run_chunk(prep, np.random.default_rng(3), 2000, 10**6)
    gen = np.random.default_rng(3)
    two = sim.run_chunk(prep, gen, 1200, 10**6) + sim.run_chunk(prep, gen, 800, 10**6)
    assert np.array_equal(one, two)


# -- Ctrl-C, closed pipes ----------------------------------------------------------


def _interrupt(cmd: list[str], ready, tmp_path: Path) -> tuple[int, str, float]:
    env = {**os.environ, "NUMBA_NUM_THREADS": "2"}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    deadline = time.monotonic() + 60
    while not ready() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # a second Ctrl-C must stay quiet too
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, err, time.monotonic() - sent


@pytest.mark.parametrize("threads", ["1", "2"])
def test_ctrl_c_stops_a_huge_simulate_at_once(tmp_path, threads):
    started = time.monotonic()
    cmd = [*CLI, "simulate", "gamblers-ruin", "--set", "hi=100", "--set", "x0=90"]
    cmd += ["--paths", "1e10", "--yes", "--threads", threads, "--seed", "1"]
    code, err, took = _interrupt(cmd, lambda: time.monotonic() - started > 2.0, tmp_path)
    assert code == 130, err
    assert took < 3.0  # the bound: exit within 3 s of the Ctrl-C
    assert err == "driftkit: interrupted\n"


def test_ctrl_c_leaves_no_report_and_sweep_resumes(tmp_path, capsys):
    started = time.monotonic()
    code, err, _ = _interrupt(
        [*CLI, "validate", "gamblers-ruin", "--paths", "1e9", "--yes", "--out", "rep"],
        lambda: time.monotonic() - started > 2.5,
        tmp_path,
    )
    assert code == 130 and "Traceback" not in err
    assert os.listdir(tmp_path) == []  # neither the report nor a partial folder

    parts = tmp_path / "s.csv.parts"
    sweep = ["sweep", "gamblers-ruin", "--set", "q=0.5", "--grid", "p=0.3:0.5:40"]
    sweep += ["--paths", "20000", "--scheduler", "serial", "--seed", "5", "--out"]
    code, err, _ = _interrupt(
        [*CLI, *sweep, "s.csv"], lambda: len(list(parts.glob("point-*.json"))) >= 2, tmp_path
    )
    assert code == 130 and "Traceback" not in err
    finished = len(list(parts.glob("point-*.json")))
    assert 2 <= finished < 40
    code, out, _ = run(capsys, *sweep, str(tmp_path / "s.csv"))
    assert code == 0
    assert f"({40 - finished} run now, {finished} resumed)" in out


def test_closed_stdout_is_quiet(tmp_path):
    proc = subprocess.run(
        f"{sys.executable} -m driftkit theory gamblers-ruin | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.stdout.startswith("gamblers-ruin: ")
    assert proc.stderr == ""


# -- one-line errors, before the work ----------------------------------------------


def test_validate_out_unwritable_or_a_file(capsys, tmp_path):
    start = time.monotonic()
    # 1e9 paths would take minutes: the error must come before any simulation
    code, _, err = run(capsys, "validate", "gamblers-ruin", "--paths", "1e9", "--out", "/proc/x")
    assert code == 2 and "cannot create the report folder /proc/x" in one_error_line(err)
    existing = tmp_path / "file.txt"
    existing.write_text("mine")
    argv = ["validate", "gamblers-ruin", "--paths", "1e9", "--out", str(existing)]
    code, _, err = run(capsys, *argv)
    assert code == 2 and "is an existing file" in one_error_line(err)
    assert existing.read_text() == "mine"
    assert time.monotonic() - start < 10


def test_validate_out_writes_the_report_whole(capsys, tmp_path):
    out = tmp_path / "a" / "report"
    code, stdout, _ = run(capsys, "validate", "gamblers-ruin", "--paths", "4000", "--seed", "1",
                          "--out", str(out))  # fmt: skip
    assert code in (0, 1) and "report written to" in stdout
    assert (out / "results.json").exists()
    assert [p.name for p in out.parent.iterdir()] == ["report"]  # no partial folder left


def test_sweep_bad_scheduler_is_one_line_within_seconds(capsys, tmp_path):
    start = time.monotonic()
    out = tmp_path / "s.csv"
    argv = ["sweep", "gamblers-ruin", "--set", "q=0.5", "--grid", "p=0.3,0.4"]
    code, _, err = run(capsys, *argv, "--scheduler", "tcp://127.0.0.1:1", "--out", str(out))
    assert code == 2
    assert "no Dask scheduler answered at tcp://127.0.0.1:1" in one_error_line(err)
    assert time.monotonic() - start < 15  # 5 s connect timeout (was 30 s and 58 lines)
    assert list(tmp_path.iterdir()) == []  # no parts folder left behind
    code, _, err = run(capsys, "sweep", "gamblers-ruin", "--grid", "p=0.3,0.4", "--scheduler",
                       "nowhere", "--out", str(out))  # fmt: skip
    assert code == 2 and "parameter 'scheduler'" in one_error_line(err)


def test_sweep_out_existing_file_or_directory(capsys, tmp_path):
    foreign = tmp_path / "data.csv"
    foreign.write_text("x\n")
    for out in (foreign, tmp_path):
        code, _, err = run(capsys, "sweep", "gamblers-ruin", "--grid", "hi=10,12",
                           "--scheduler", "serial", "--out", str(out))  # fmt: skip
        assert code == 2 and "parameter 'out'" in one_error_line(err)
    assert foreign.read_text() == "x\n"


def test_grid_point_error_names_point_and_default(capsys, tmp_path):
    code, _, err = run(capsys, "sweep", "gamblers-ruin", "--grid", "p=0.3:0.5:5", "--grid",
                       "hi=10:30:3", "--out", str(tmp_path / "s.csv"))  # fmt: skip
    line = one_error_line(err)
    assert code == 2
    # p = 0.5 (the last of 0.3:0.5:5) with q's default 0.55 gives p + q = 1.05 > 1
    assert "grid point p=0.5, hi=10:" in line
    assert "q=0.55 is the model's default; set it with --set q=" in line


def test_help_sweep_example_runs(capsys, tmp_path):
    from driftkit.montecarlo.app.cli import EXAMPLES

    lines = [ln.strip() for ln in EXAMPLES.splitlines()]
    (example,) = [ln.split(" ", 1)[1] for ln in lines if ln.startswith("driftkit sweep ")]
    argv = example.split()
    argv[argv.index("--out") + 1] = str(tmp_path / "sweep.csv")
    code, out, err = run(capsys, *argv, "--scheduler", "serial", "--paths", "2000", "--seed", "1")
    assert code in (0, 1), err  # it runs (exit 2 was the bug); agreement is not the point
    assert "15 points" in out  # 5 values of p times 3 of hi


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "gamblers-ruin", "--set", "nope=1"],
        ["validate", "all", "--set", "nope=1"],
        ["sweep", "gamblers-ruin", "--grid", "nope=1,2", "--out", "x.csv"],
    ],
)
def test_unknown_keys(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2 and "nope" in one_error_line(err)


def test_projected_hours_ask_for_yes(capsys):
    start = time.monotonic()
    code, _, err = run(capsys, "simulate", "gamblers-ruin", "--set", "hi=100", "--set", "x0=90",
                       "--paths", "1e12", "--threads", "1")  # fmt: skip
    line = one_error_line(err)
    assert code == 2 and "--yes" in line and "--paths" in line and "more than the limit" in line
    assert time.monotonic() - start < 10  # refused after half a second of the run
    with pytest.raises(RunTooLongError):
        simulate("goodhart-selection", 10**12, 1, time_limit=1.0)


# -- time step warnings, rare-event validation, heartbeat --------------------------


def test_coarse_dt_warns_on_simulate_and_validate(capsys):
    # dt=100: the bridge tests of the two barriers (0, 3) in one step are no longer
    # independent (exp(-2 * 9 / 100) = 0.84), a bias of mean_exit_time of up to
    # dt * 0.84 while its interval is about +-0.1 wide
    code, _, err = run(capsys, "simulate", "brownian-drift", "--set", "dt=100", "--paths",
                       "20000", "--seed", "1")  # fmt: skip
    assert code == 0
    (warning,) = [ln for ln in err.splitlines() if "warning" in ln]
    assert "dt=100 is coarse" in warning and "--set dt=" in warning
    code, out, err = run(capsys, "validate", "brownian-drift", "--set", "dt=100", "--paths",
                         "20000", "--seed", "1", "--json")  # fmt: skip
    data = json.loads(out)
    assert len(data["warnings"]) == 1 and "mean_exit_time" in data["warnings"][0]
    assert "dt=100 is coarse" in err
    # at the default dt=0.01 the bound dt * exp(-1800) underflows to 0: no warning
    code, out, err = run(capsys, "simulate", "brownian-drift", "--paths", "20000", "--seed",
                         "1", "--json")  # fmt: skip
    assert json.loads(out)["warnings"] == [] and "warning" not in err


def test_ou_warning_bound_covers_the_measured_bias():
    # measured at dt=0.5 (200,000 paths): the passage time is biased by about +0.59;
    # the warning's bound (dt * theta T (1/2 + theta dt) = 0.5 * 2.09 * 1 = 1.05) must
    # cover it, and the default dt=0.01 must not warn at 20,000 paths
    res = simulate("ornstein-uhlenbeck", 20_000, 1, threads=2)
    assert res.warnings == []
    from driftkit.theory import get_model

    coarse = simulate(get_model("ornstein-uhlenbeck")(dt=0.5), 200_000, 1, threads=2)
    (warning,) = coarse.warnings
    bound = float(warning.split("may be up to ")[1].split()[0])
    e = coarse["mean_first_passage_time"]
    assert bound >= e.ci_high - coarse.model.value("mean_first_passage_time")


def test_validate_method_importance(capsys):
    # p=0.3, q=0.7, hi=30, x0=1: escape probability about 1e-11, out of naive reach
    argv = ["validate", "gamblers-ruin", "--set", "p=0.3", "--set", "q=0.7", "--set", "hi=30"]
    code, out, err = run(capsys, *argv, "--set", "x0=1", "--method", "importance", "--paths",
                         "20000", "--seed", "2", "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert list(data["quantities"]) == ["escape_probability"]
    assert data["method"] == "importance"
    v = validate("brownian-drift", 20000, 2, method="importance")
    assert list(v.comparisons) == ["escape_probability"] and v.ok
    code, _, err = run(capsys, "validate", "moran", "--method", "splitting")
    assert code == 2 and "method" in one_error_line(err)


def test_validate_all_heartbeat(capsys):
    # capsys's stderr is not a terminal: the heartbeat must show anyway
    code, out, err = run(capsys, "validate", "all", "--paths", "50", "--seed", "1", "--json")
    models = json.loads(out)  # stdout stays one JSON object
    assert code in (0, 1)
    beats = [ln for ln in err.splitlines() if ln.startswith("driftkit: [")]
    assert len(beats) >= 14  # one line per simulated model
    assert beats[0].startswith(f"driftkit: [1/{len(beats)}] validating belief-evolution ... ")
    # each line ends in its verdict and time: "ok", "ok, 3 inconclusive" or "DISAGREE"
    verdict = re.compile(r" \.\.\. (ok|ok, \d+ inconclusive|DISAGREE[^(]*) \(\d+\.\d s\)$")
    assert all(verdict.search(ln) for ln in beats), beats
    assert models
