"""The diffusion family (issue 14): ties to the built-in diffusions, an independent
high-precision solve of a spec no built-in covers, validation, generated kernels and
bad specs."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from driftkit.montecarlo.app.cli import main
from driftkit.theory import get_model
from driftkit.theory.families import Diffusion, SpecError, load, load_text
from scipy.integrate import solve_ivp

ROOT = Path(__file__).resolve().parent.parent
NOISY = ROOT / "examples" / "noisy-monitor.toml"
SQRT2 = math.sqrt(2.0)
_REAL = {"low": -10, "high": 10}


# -- tied to the built-ins (1e-10) --------------------------------------------------------
@pytest.mark.parametrize("mu", [0.1, -0.3, 0.0])
def test_brownian_drift_as_a_diffusion(mu):
    d = Diffusion(
        name="test-bd-diffusion",
        parameters={"mu": {"default": 0.1, **_REAL}, "sigma": {"default": 1.0, "low": 0.1}},
        drift="mu", noise="sigma", lo=0, hi=3, x0=1,
    ).replace(mu=mu)  # fmt: skip
    b = get_model("brownian-drift")(mu=mu, sigma=1.0, lo=0, hi=3, x0=1)
    assert d.quantity("escape_probability").kind == "exact"  # dsolve
    for name in ("escape_probability", "mean_exit_time"):
        assert d.value(name) == pytest.approx(b.value(name), rel=1e-10, abs=1e-12), name
    assert d.value("ruin_probability") == pytest.approx(1 - b.value("escape_probability"), 1e-10)


@pytest.mark.parametrize("kappa", [0.05, 0.0, 1.0])
def test_monitored_diffusion_as_a_diffusion(kappa):
    d = Diffusion(
        name="test-md-diffusion",
        parameters={"mu": {"default": 0.1, **_REAL}, "sigma": {"default": 1.0, "low": 0.1},
                    "kappa": {"default": 0.05, "low": 0}},
        drift="mu", noise="sigma", kill="kappa", lo=0, hi=3, x0=1,
    ).replace(kappa=kappa)  # fmt: skip
    b = get_model("monitored-diffusion")(mu=0.1, sigma=1.0, kappa=kappa, lo=0, hi=3, x0=1)
    for mine, theirs in (("escape_probability", "escape_probability"),
                         ("detection_probability", "detection_probability"),
                         ("mean_exit_time", "mean_time")):  # fmt: skip
        assert d.value(mine) == pytest.approx(b.value(theirs), rel=1e-10, abs=1e-12), mine


OU = {
    "parameters": {"theta": {"default": 1.0, "low": 0, "low_open": True},
                   "m": {"default": 0.0, **_REAL}, "sigma": {"default": SQRT2, "low": 0.1}},
    "drift": "-theta*(x - m)", "noise": "sigma",
}  # fmt: skip


@pytest.mark.parametrize(("theta", "x0"), [(1.0, 0.0), (2.5, -0.7)])
def test_ornstein_uhlenbeck_as_a_diffusion(theta, x0):
    # no lower barrier: the mean first passage to hi (Siegert's formula)
    d = Diffusion(name="test-ou-diffusion", lo=float("-inf"), hi=1, x0=0, **OU)
    d = d.replace(theta=theta, x0=x0)
    ou = get_model("ornstein-uhlenbeck")(theta=theta, x0=x0, hi=1.0)
    assert d.value("escape_probability") == 1.0
    assert d.value("mean_exit_time") == pytest.approx(
        ou.value("mean_first_passage_time"), rel=1e-10
    )
    # lo = m: P(reach hi before returning to m), the ratio of scale functions
    e = Diffusion(name="test-ou-escape", lo=0, hi=1, x0=0.5, **OU).replace(theta=theta)
    ou = get_model("ornstein-uhlenbeck")(theta=theta, x0=0.5, hi=1.0)
    assert e.quantity("escape_probability").kind == "quadrature"
    assert e.value("escape_probability") == pytest.approx(ou.value("escape_probability"), rel=1e-10)


@pytest.mark.parametrize(("mu", "r"), [(0.0, 0.5), (0.3, 1.2), (-0.2, 0.1), (0.4, 0.0)])
def test_resetting_diffusion_as_a_diffusion(mu, r):
    d = Diffusion(
        name="test-rs-diffusion",
        parameters={"mu": {"default": 0.0, **_REAL}, "sigma": {"default": SQRT2, "low": 0.1},
                    "r": {"default": 0.5, "low": 0}},
        drift="mu", noise="sigma", reset_rate="r", reset_to=0, lo=float("-inf"), hi=2, x0=0,
    ).replace(mu=mu, r=r)  # fmt: skip
    b = get_model("resetting-diffusion")(mu=mu, r=r, x0=0.0, hi=2.0)
    assert d.value("mean_exit_time") == pytest.approx(b.value("mean_first_passage_time"), rel=1e-10)


# -- a spec no built-in covers: an independent solve (scipy DOP853, double precision) ------
def _scipy_solve(a: float, k: float, x0: float) -> dict[str, float]:
    """noisy-monitor's backward equations by shooting from hi with scipy's DOP853."""
    lo, hi = -1.0, 2.0

    def rhs(x, v, c, kill_c):
        b, g, kx = 0.2 - a * x, 0.5 + 0.25 * x, k * (1 + x)
        w = 2 / g**2
        return [v[1], w * (kx * v[0] - b * v[1] - c - kill_c * kx)]

    def shoot(c, kill_c, f_lo, f_hi):
        # f = particular + A * homogeneous, both started at hi with f(hi) = f_hi / 0
        kw = {"method": "DOP853", "rtol": 1e-13, "atol": 1e-15, "dense_output": True}
        part = solve_ivp(rhs, (hi, lo), [f_hi, 0.0], args=(c, kill_c), **kw)
        hom = solve_ivp(rhs, (hi, lo), [0.0, 1.0], args=(0, 0), **kw)
        A = (f_lo - part.y[0, -1]) / hom.y[0, -1]
        return part.sol(x0)[0] + A * hom.sol(x0)[0]

    return {
        "escape_probability": shoot(0, 0, 0.0, 1.0),
        "ruin_probability": shoot(0, 0, 1.0, 0.0),
        "detection_probability": shoot(0, 1, 0.0, 0.0),
        "mean_exit_time": shoot(1, 0, 0.0, 0.0),
    }


@pytest.mark.parametrize(("a", "k", "x0"), [(0.3, 0.1, 0.5), (0.8, 0.5, -0.4)])
def test_noisy_monitor_equals_an_independent_solve(a, k, x0):
    m = load(NOISY)(a=a, k=k, x0=x0)
    assert m.quantity("mean_exit_time").kind == "numerical"
    ref = _scipy_solve(a, k, x0)
    for name, v in ref.items():
        assert m.value(name) == pytest.approx(v, rel=1e-9, abs=1e-11), name
    total = sum(m.value(q) for q in ("escape_probability", "ruin_probability",
                                     "detection_probability"))  # fmt: skip
    assert total == pytest.approx(1.0, abs=1e-12)  # every path ends one of three ways


def test_noisy_monitor_validates(capsys):
    # 4,000 paths at dt = 0.005 (bias bound of the warning below the interval), 99.9% level
    args = ["validate", str(NOISY), "--paths", "4000", "--seed", "2", "--threads", "1",
            "--set", "dt=0.005"]  # fmt: skip
    assert main(args) == 0, capsys.readouterr()


def test_state_dependent_free_diffusion_validates(capsys):
    # no killing, state-dependent noise: scale/speed route (quadrature), 99.9% level
    d = Diffusion(name="test-free-diffusion", drift="0.1", noise="1 + 0.3*x", lo=0, hi=2,
                  x0=0.7, dt=0.002)  # fmt: skip
    assert d.quantity("escape_probability").kind == "quadrature"
    args = ["validate", "test-free-diffusion", "--paths", "4000", "--seed", "5", "--threads", "1"]
    assert main(args) == 0, capsys.readouterr()


def test_generated_kernel_is_a_cached_module_file():
    from driftkit.montecarlo.kernels.diffusion import kernel_module

    cls = load(NOISY)
    mod = kernel_module(cls)
    path = Path(mod.__file__)
    assert path.exists() and "diffusion-kernels" in str(path)
    assert "0.2 - a" in path.read_text().replace("p_0", "a") or "p_0" in path.read_text()
    assert kernel_module(cls) is mod
    # the drift compiled from the expression, at x = 1, a = 0.3: 0.2 - 0.3 = -0.1
    assert mod.drift(1.0, np.array([0.3, 0.1])) == pytest.approx(-0.1, abs=1e-15)


def test_pickles_for_workers():
    m = load(NOISY)(a=0.41)
    assert pickle.loads(pickle.dumps(m)) == m


# -- bad specs: exit 2, one line ------------------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "key", "match"),
    [
        ('noise = "0.5 + 0.25*x"', 'noise = "0.5 - 0.5*x"', "model.noise", "at x = 1"),
        ('kill = "k*(1 + x)"', 'kill = "k*x"', "model.kill", "at x = -0.998"),
        ("dt = 0.001", 'dt = 0.001\nreset_rate = "1"\nreset_to = 3', "model.reset_to", "(-1, 2)"),
        ("dt = 0.001", 'dt = 0.001\nreset_rate = "1"', "model.reset_rate", "reset_to"),
        ("dt = 0.001", "dt = 0.001\nup = 1", "model.up", "unknown key"),
        ('drift = "0.2 - a*x"', 'drift = "0.2 - b*x"', "model.drift", "undefined symbol"),
    ],
)
def test_bad_diffusion_spec_exits_2(tmp_path, capsys, old, new, key, match):
    text = NOISY.read_text()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1))
    assert main(["theory", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"key '{key}'" in err and match in err, err


def test_noise_checked_at_other_parameters():
    cls = load_text(NOISY.read_text().replace('"0.5 + 0.25*x"', '"2*a - 0.25*x"'), "n.toml")
    with pytest.raises(ValueError, match="noise"):
        cls(a=0.1)  # noise = 0.2 - 0.25 x <= 0 for x >= 0.8
    with pytest.raises(SpecError):
        load_text(NOISY.read_text().replace("lo = -1", 'lo = "-inf"'), "inf.toml")
