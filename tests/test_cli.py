"""The CLI contract of DESIGN.md: commands, JSON objects, exit codes 0/1/2."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from driftkit.montecarlo.app.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_models(capsys):
    code, out, _ = run(capsys, "models", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["models"]["gamblers-ruin"]["params"]["p"]["default"] == 0.45


def test_cite_prints_driftkit_and_the_model_sources(capsys):
    from driftkit.theory import GamblersRuin

    code, out, _ = run(capsys, "cite", "gamblers-ruin")
    assert code == 0
    assert "@software{driftkit" in out
    for ref in GamblersRuin.references:  # every source of the model's formulas, as text and BibTeX
        assert ref.text in out
        assert ref.bibtex.strip() in out
    code, out, _ = run(capsys, "cite", "--bibtex")
    assert code == 0 and out.startswith("@software{driftkit")
    code, _, err = run(capsys, "cite", "no-such-model")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no-such-model" in err


def test_theory_json_matches_feller(capsys):
    code, out, _ = run(
        capsys,
        "theory",
        "gamblers-ruin",
        "--set",
        "p=0.45",
        "--set",
        "q=0.55",
        "--set",
        "hi=100",
        "--set",
        "x0=90",
        "--json",
    )
    data = json.loads(out)
    assert code == 0
    assert set(data) >= {"model", "params", "quantities", "provenance"}
    q = data["quantities"]
    # Feller (1968) vol. I, XIV.3, table 1: ruin 0.866, duration 765.6; six digits
    # from the exact rational evaluation of (1 - r^90)/(1 - r^100), r = 11/9.
    assert q["escape_probability"]["value"] == pytest.approx(0.134430631, rel=1e-6)
    assert q["mean_exit_time"]["value"] == pytest.approx(765.569369, rel=1e-6)
    assert q["escape_probability"]["latex"].startswith(r"P_{\mathrm{esc}}")


def test_theory_latex_and_derivation(capsys):
    code, out, _ = run(capsys, "theory", "gamblers-ruin", "--latex")
    assert code == 0 and out.startswith(r"\begin{align}") and r"\end{align}" in out
    code, out, _ = run(capsys, "theory", "gamblers-ruin", "--derivation")
    assert code == 0 and "rsolve" in out


def test_simulate_json(capsys):
    code, out, _ = run(
        capsys, "simulate", "gamblers-ruin", "--paths", "5000", "--seed", "3", "--json"
    )
    data = json.loads(out)
    assert code == 0
    for key in (
        "model",
        "params",
        "quantities",
        "paths",
        "seed",
        "censored",
        "steps",
        "elapsed_s",
        "provenance",
    ):
        assert key in data
    assert data["seed"] == 3 and data["paths"] == 5000
    assert set(data["quantities"]["escape_probability"]) == {"estimate", "ci_low", "ci_high", "n"}
    assert set(data["provenance"]) >= {"driftkit", "numpy", "numba", "sympy", "command", "time"}


def test_validate_json_and_report(capsys, tmp_path, monkeypatch):
    # `validate all` over two models (all of them at defaults is the README's job, too slow
    # for a unit test); --paths applies to every model
    import driftkit.montecarlo.app.cli as cli

    monkeypatch.setattr(cli, "model_names", lambda: ["gamblers-ruin", "goodhart-selection"])
    code, out, _ = run(
        capsys,
        "validate",
        "all",
        "--paths",
        "20000",
        "--seed",
        "4",
        "--json",
        "--out",
        str(tmp_path),
    )
    data = json.loads(out)
    assert code == 0 and data["ok"] is True
    assert set(data["models"]) == {"gamblers-ruin", "goodhart-selection"}
    entry = data["models"]["gamblers-ruin"]["quantities"]["escape_probability"]
    assert set(entry) >= {"value", "latex", "estimate", "ci_low", "ci_high", "n", "agree"}
    index = (tmp_path / "index.md").read_text()
    assert "## gamblers-ruin" in index and "| `escape_probability` |" in index
    assert "| `lundberg_bound` | bound |" in index  # theory-only quantities are listed too
    # the combined table: model, quantity, kind, theory, estimate, interval, agree
    assert (
        "| [goodhart-selection](#goodhart-selection) | `deceptive_probability` | exact |" in index
    )
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["ok"] is True
    assert set(results["provenance"]) >= {"driftkit", "numpy", "numba", "sympy", "command",
                                          "time", "machine"}  # fmt: skip
    assert results["models"]["gamblers-ruin"]["seed"] == 4
    for name in ("gamblers-ruin", "goodhart-selection"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
        assert (tmp_path / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    bib = (tmp_path / "references.bib").read_text()
    # driftkit itself, the motivating post, and each model's sources, each once
    for key in ("driftkit", "clymer2025drift", "feller1968", "owen1956", "sheppard1899"):
        assert bib.count("{" + key + ",") == 1, key


def test_validate_exit_one_on_disagreement(capsys, monkeypatch):
    from driftkit.theory import GamblersRuin

    original = GamblersRuin._value

    def wrong(self, name):
        value = original(self, name)
        return value + 0.05 if name == "escape_probability" else value

    monkeypatch.setattr(GamblersRuin, "_value", wrong)
    code, out, _ = run(capsys, "validate", "gamblers-ruin", "--paths", "20000", "--seed", "1")
    assert code == 1 and "DISAGREE" in out


@pytest.mark.parametrize(
    "argv,name",
    [
        (["--set", "p=1.5"], "p"),
        (["--set", "p=-0.2"], "p"),
        (["--set", "p=0.6", "--set", "q=0.5"], "p' + 'q"),
        (["--set", "x0=0"], "x0"),
        (["--set", "x0=10"], "x0"),
        (["--set", "hi=-3"], "hi"),
        (["--set", "hi=0"], "hi"),
        (["--paths", "0"], "paths"),
        (["--paths", "-5"], "paths"),
        (["--set", "p=abc"], "p"),
        (["--paths", "many"], "paths"),
        (["--seed", "x"], "seed"),
        (["--set", "nope=1"], "nope"),
        (["--set", "p"], "NAME=VALUE"),
        (["--method", "splitting"], "method"),
    ],
)
@pytest.mark.parametrize("command", ["simulate", "validate"])
def test_bad_input_exits_2_with_one_line(capsys, command, argv, name):
    code, out, err = run(capsys, command, "gamblers-ruin", *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("driftkit: error:")
    assert name in lines[0]


def test_unknown_model_and_command(capsys):
    code, _, err = run(capsys, "theory", "no-such-model")
    assert code == 2 and "gamblers-ruin" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_module_entry_point_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "driftkit", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("driftkit ")


def test_numba_num_threads_does_not_change_results():
    """DESIGN.md: same seed => identical output with NUMBA_NUM_THREADS=1 and =2."""
    import os

    outputs = []
    for threads in ("1", "2"):
        env = {**os.environ, "NUMBA_NUM_THREADS": threads}
        proc = subprocess.run(
            [sys.executable, "-m", "driftkit", "simulate", "gamblers-ruin", "--paths", "50000",
             "--seed", "9", "--json"],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        data = json.loads(proc.stdout)
        assert data["threads"] == int(threads)
        outputs.append((data["quantities"], data["steps"], data["chunks"]))
    assert outputs[0] == outputs[1]


def test_censoring_is_reported(capsys):
    # A fair walk from 200 in (0, 400) needs 40,000 steps on average (k(N-k)/(2p)),
    # and cannot exit within 150 steps at all: every path is censored.
    code, out, err = run(capsys, "simulate", "gamblers-ruin", "--set", "p=0.5", "--set", "q=0.5",
                         "--set", "hi=400", "--set", "x0=200", "--paths", "500",
                         "--max-steps", "150", "--seed", "1", "--json")  # fmt: skip
    data = json.loads(out)
    assert code == 0 and data["censored"] == 500
    # non-finite numbers are the strings float() reads back (issue 17: null was ambiguous)
    assert data["quantities"]["mean_exit_time"]["ci_high"] == "inf"  # open above
    assert data["quantities"]["escape_probability"]["estimate"] == "nan"  # nothing decided
    assert "censored" in err and len(err.strip().splitlines()) == 1


def test_reported_fresh_seed_reproduces_the_run(capsys):
    code, out, _ = run(capsys, "simulate", "gamblers-ruin", "--paths", "3000", "--json")
    first = json.loads(out)
    assert code == 0 and first["seed"] > 2**64  # fresh 128-bit entropy, reported exactly
    code, out, _ = run(capsys, "simulate", "gamblers-ruin", "--paths", "3000", "--json",
                       "--seed", str(first["seed"]))  # fmt: skip
    assert json.loads(out)["quantities"] == first["quantities"]


def test_json_writes_each_non_finite_number_unambiguously():
    from driftkit.montecarlo.app.jsonout import json_safe

    data = json_safe({"a": [math.inf, -math.inf, math.nan, 1.5, np.float64(-np.inf)], "b": 2})
    assert data == {"a": ["inf", "-inf", "nan", 1.5, "-inf"], "b": 2}
    assert [float(x) for x in data["a"][:2]] == [math.inf, -math.inf]
    assert math.isnan(float(data["a"][2]))
