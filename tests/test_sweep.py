"""Sweeps: tidy tables, resuming after an interruption, Dask == serial, bad input.

Every comparison here is of two tables written by driftkit itself with the same
root seed: they must be equal byte for byte (floats are written with repr, which
round-trips exactly), whatever the order or the process in which points ran.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from driftkit.montecarlo import get_simulator
from driftkit.montecarlo.app.cli import main
from driftkit.montecarlo.app.sweep import parse_grid, read_table, sweep
from driftkit.theory import GamblersRuin

ROOT = Path(__file__).resolve().parent.parent
GRID = {"p": [0.2, 0.3, 0.4], "hi": [10, 20]}


def test_table_has_one_row_per_point_and_quantity(tmp_path):
    out = tmp_path / "t.csv"
    res = sweep("gamblers-ruin", GRID, out, paths=5_000, rng=3)
    rows = read_table(out)
    assert res.points == 6 and res.ran == 6
    # one row per quantity the simulation estimates (bounds are not simulated)
    n_quantities = len(get_simulator("gamblers-ruin").simulated_quantities(GamblersRuin()))
    assert len(rows) == 6 * n_quantities
    first = rows[0]
    assert (first["point"], first["p"], first["hi"]) == ("0", "0.2", "10")
    assert rows[-1]["point"] == "5" and rows[-1]["p"] == "0.4" and rows[-1]["hi"] == "20"
    # the theory column is the model's own value at that point
    m = GamblersRuin(p=0.3, hi=20)
    row = next(r for r in rows if r["p"] == "0.3" and r["hi"] == "20")
    assert float(row["theory"]) == m.value(row["quantity"])
    # family-wise 99.9% over 6 points x 5 quantities (Bonferroni)
    assert res.comparison_level == pytest.approx(1 - 0.001 / (6 * n_quantities), abs=1e-15)
    assert res.ok


def test_resume_runs_only_the_missing_points_and_gives_the_same_table(tmp_path):
    full = tmp_path / "full.csv"
    sweep("gamblers-ruin", GRID, full, paths=5_000, rng=11)
    part = tmp_path / "part.csv"
    sweep("gamblers-ruin", GRID, part, paths=5_000, rng=11)
    parts = tmp_path / "part.csv.parts"
    for i in (1, 4):  # as if the run had died before these points finished
        (parts / f"point-{i:06d}.json").unlink()
    part.unlink()
    again = sweep("gamblers-ruin", GRID, part, paths=5_000)  # seed taken from the manifest
    assert again.ran == 2 and again.seed == 11
    assert part.read_bytes() == full.read_bytes()


def test_a_different_sweep_into_the_same_out_is_refused(tmp_path, capsys):
    out = tmp_path / "t.csv"
    sweep("gamblers-ruin", GRID, out, paths=2_000, rng=1)
    with pytest.raises(ValueError, match=r"holds a different sweep.*paths"):
        sweep("gamblers-ruin", GRID, out, paths=3_000, rng=1)
    code = main(
        ["sweep", "gamblers-ruin", "--grid", "p=0.2,0.3,0.4", "--grid", "hi=10,20", "--paths",
         "2000", "--seed", "2", "--out", str(out), "--scheduler", "serial"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "different sweep" in err


def test_killed_sweep_resumes_to_the_uninterrupted_table(tmp_path):
    args = ["sweep", "gamblers-ruin", "--grid", "p=0.1:0.4:12", "--paths", "40000",
            "--seed", "5", "--scheduler", "serial"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "driftkit", *args]
    killed = tmp_path / "k.csv"
    proc = subprocess.Popen([*cmd, "--out", str(killed)], env=env, stderr=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL)  # fmt: skip
    parts = tmp_path / "k.csv.parts"
    deadline = time.monotonic() + 120
    while len(list(parts.glob("point-*.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = len(list(parts.glob("point-*.json")))
    assert 3 <= finished < 12, "the sweep was not killed mid-way"
    assert not killed.exists()
    resumed = subprocess.run([*cmd, "--out", str(killed), "--json"], env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
    assert f'"ran": {12 - finished}' in resumed.stdout
    whole = tmp_path / "w.csv"
    subprocess.run([*cmd, "--out", str(whole)], env=env, capture_output=True, check=True)
    assert killed.read_bytes() == whole.read_bytes()


def test_dask_local_cluster_table_is_identical_to_serial(tmp_path):
    pytest.importorskip("dask.distributed")
    serial, dask = tmp_path / "s.csv", tmp_path / "d.csv"
    sweep("gamblers-ruin", GRID, serial, paths=5_000, rng=8, scheduler="serial")
    res = sweep("gamblers-ruin", GRID, dask, paths=5_000, rng=8, scheduler="local", workers=2)
    assert res.ran == 6
    assert serial.read_bytes() == dask.read_bytes()


def test_simulate_mode_and_parquet(tmp_path):
    res = sweep("gamblers-ruin", {"x0": [2, 5]}, None, mode="simulate", paths=4_000, rng=1)
    assert res.path is None and res.level == 0.95 and res.comparison_level == 0.95
    assert {r["agree"] for r in res.rows} == {None}
    pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    out = tmp_path / "t.parquet"
    sweep("gamblers-ruin", {"x0": [2, 5]}, out, mode="simulate", paths=4_000, rng=1)
    frame = pd.read_parquet(out)
    assert len(frame) == len(res.rows)
    assert frame["estimate"].tolist() == [r["estimate"] for r in res.rows]


def test_parse_grid():
    # numpy.linspace: ends exact, interior start + i*step
    assert parse_grid(GamblersRuin, "p=0.1:0.3:3") == ("p", [0.1, 0.2, 0.3])
    # integer parameters are rounded and repeats dropped
    assert parse_grid(GamblersRuin, "hi=10:12:5") == ("hi", [10, 11, 12])
    assert parse_grid(GamblersRuin, "x0=1, 3,7") == ("x0", [1, 3, 7])
    for bad, match in [
        ("p", "NAME=START"),
        ("nope=1:2:3", "unknown parameter 'nope'"),
        ("p=0.1:0.3", "START:STOP:NUM"),
        ("p=0.1:0.3:2.5", "NUM must be an integer"),
        ("p=0.1:2:3", "parameter 'p' must be a number in"),
        ("hi=a,b", "parameter 'hi' must be an integer"),
    ]:
        with pytest.raises(ValueError, match=match):
            parse_grid(GamblersRuin, bad)


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--grid", "p=0.1:0.3:x"], "START:STOP:NUM"),
        (["--grid", "q=0.1:0.9:3"], "'p' + 'q'"),
        (["--grid", "p=0.2,0.3", "--set", "p=0.1"], "both swept"),
        (["--grid", "p=0.2,0.3", "--mode", "bogus"], "invalid choice"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(tmp_path, capsys, argv, needle):
    code = main(["sweep", "gamblers-ruin", "--out", str(tmp_path / "t.csv"), "--scheduler",
                 "serial", "--paths", "1000", *argv])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and needle in err, err
