"""The package's shape: one import name, layers that only import downwards.

These read the source with :mod:`ast` (and run short subprocesses), so they hold for
every file, including ones added later.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import driftkit

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    """Absolute module names a source file imports (at any depth: lazy imports count)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_import_name_is_driftkit_only():
    # every import of the package's own code goes through `driftkit`
    for path in [*_files("theory"), *_files("montecarlo"), *_files("src"), *_files("tests")]:
        bad = {m for m in _imports(path) if m.split(".")[0] in ("theory", "montecarlo", "_version")}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)} (use driftkit.*)"


@pytest.mark.parametrize("path", _files("theory"), ids=lambda p: p.name)
def test_theory_never_imports_montecarlo_or_numba(path):
    bad = {
        m
        for m in _imports(path)
        if m.split(".")[0] == "numba" or m.startswith("driftkit.montecarlo")
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize(
    "path",
    [*_files("montecarlo/engine"), *_files("montecarlo/kernels")],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_engine_and_kernels_never_import_the_application(path):
    bad = {m for m in _imports(path) if m.startswith("driftkit.montecarlo.app")}
    assert not bad, f"{path.name} imports {sorted(bad)}: the application sits above"


@pytest.mark.parametrize("path", _files("montecarlo/engine"), ids=lambda p: p.name)
def test_engine_never_imports_a_kernel(path):
    bad = {m for m in _imports(path) if m.startswith("driftkit.montecarlo.kernels")}
    assert not bad, f"{path.name} imports {sorted(bad)}: kernels plug into the engine"


def test_a_users_own_theory_module_does_not_shadow_the_package(tmp_path):
    # A paper's repository often has its own theory.py / montecarlo.py next to the script
    # that imports driftkit; before this layout that broke `from theory import ...`.
    (tmp_path / "theory.py").write_text("raise RuntimeError('the user theory.py was imported')\n")
    (tmp_path / "montecarlo.py").write_text("raise RuntimeError('user montecarlo.py')\n")
    script = textwrap.dedent(
        """
        from driftkit.theory import GamblersRuin
        from driftkit.montecarlo import simulate
        m = GamblersRuin(p=0.5, q=0.5, hi=10, x0=3)
        print(m.value("escape_probability"), simulate(m, 100, rng=1).paths)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    # escape probability of the symmetric walk from 3 on [0, 10] is 3/10 (Feller XIV.2)
    assert proc.stdout.split() == ["0.3", "100"]


def test_python_dash_m_driftkit_from_another_folder(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "driftkit", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"driftkit {driftkit.__version__}"


def test_subpackages_are_reached_from_the_top_level_name():
    import driftkit.montecarlo
    import driftkit.theory

    assert driftkit.theory.GamblersRuin.name == "gamblers-ruin"
    assert callable(driftkit.montecarlo.validate)
    with pytest.raises(AttributeError):
        driftkit.nonexistent  # noqa: B018
