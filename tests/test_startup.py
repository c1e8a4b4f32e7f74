"""Fast start: the light commands import no numba, sympy or scipy, and the model
catalog they read is current.

Deterministic checks only (which modules a command loads); the timings themselves are
in docs/performance.md, "Start-up and report".
"""

import json
import subprocess
import sys
import textwrap

import pytest

HEAVY = ("numba", "sympy", "scipy")


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["models"],
        ["models", "--json"],
        ["cite"],
        ["cite", "gamblers-ruin"],
        ["cite", "moran", "--bibtex"],
    ],
    ids=" ".join,
)
def test_light_commands_import_no_heavy_module(argv):
    code = textwrap.dedent(f"""
        import contextlib, io, json, sys
        from driftkit.montecarlo.app.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as out:
            try:
                code = main({argv!r})
            except SystemExit as exc:  # --help and --version exit from argparse
                code = exc.code
        loaded = [m for m in {HEAVY!r} if m in sys.modules]
        print(json.dumps({{"code": code, "loaded": loaded, "chars": len(out.getvalue())}}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout)
    assert result["code"] in (0, None) and result["chars"] > 0
    assert result["loaded"] == [], f"driftkit {' '.join(argv)} imported {result['loaded']}"


def test_catalog_is_current():
    from driftkit.montecarlo.app import catalog

    fresh = catalog.catalog_text(catalog.build_catalog())
    stored = catalog.CATALOG_PATH.read_text(encoding="utf-8")
    assert stored == fresh, (
        f"{catalog.CATALOG_PATH.name} is stale (a model's title, summary, parameters, "
        f"quantities, default paths or references changed); run: {catalog.REGENERATE}"
    )


def test_catalog_entries_match_the_classes_for_models_and_cite(capsys):
    """`models --json` from the catalog is exactly what the classes say (spot check)."""
    from driftkit.montecarlo import get_simulator
    from driftkit.montecarlo.app.cli import main
    from driftkit.theory import get_model

    assert main(["models", "--json"]) == 0
    models = json.loads(capsys.readouterr().out)["models"]
    cls = get_model("gamblers-ruin")
    entry = models["gamblers-ruin"]
    assert entry["title"] == cls.title
    assert list(entry["params"]) == [p.name for p in cls.parameters]
    assert entry["params"]["p"]["range"] == cls.parameter("p").range_text()
    assert entry["default_paths"] == get_simulator("gamblers-ruin").default_paths
    assert main(["cite", "gamblers-ruin"]) == 0
    out = capsys.readouterr().out
    assert all(r.text in out for r in cls.references)


def test_unknown_model_in_cite_is_one_line_exit_2(capsys):
    from driftkit.montecarlo.app.cli import main

    assert main(["cite", "no-such-model"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown model 'no-such-model'" in err
    assert "gamblers-ruin" in err  # names the known models


def test_a_model_registered_at_run_time_is_listed_and_cited(capsys):
    """A model not in the catalog is read from its class (and has no simulator here)."""
    from driftkit.montecarlo.app.cli import main
    from driftkit.theory import Model, Parameter, Quantity, Reference, _registry, register

    class ToyWalk(Model):
        name = "toy-walk-startup-test"
        title = "A toy walk"
        summary = "Registered by a test."
        parameters = (Parameter("p", 0.5, "step probability", 0.0, 1.0),)
        quantities = (Quantity("half", "p / 2", "h"),)
        references = (Reference("toy2026", "A. Toy, Walks (2026).", "@misc{toy2026}"),)

        def _expression(self, name, case):
            raise NotImplementedError

        def _value(self, name):
            return self["p"] / 2

        def derivation(self):
            return "$h = p/2$"

    register(ToyWalk)
    try:
        assert main(["models", "--json"]) == 0
        entry = json.loads(capsys.readouterr().out)["models"][ToyWalk.name]
        assert entry["title"] == "A toy walk" and entry["default_paths"] is None
        assert entry["params"]["p"] == {
            "default": 0.5,
            "range": "a number in [0, 1]",
            "description": "step probability",
        }
        assert main(["models"]) == 0
        assert "default paths: none" in capsys.readouterr().out
        assert main(["cite", ToyWalk.name, "--bibtex"]) == 0
        assert "@misc{toy2026}" in capsys.readouterr().out
    finally:
        _registry._MODELS.pop(ToyWalk.name, None)
