"""Spec families (issue 14): spec errors, theory vs an independent solve, validation,
and the ties to the built-in models they generalise."""

from __future__ import annotations

import shutil
from pathlib import Path

import mpmath
import pytest
from driftkit.montecarlo.app.cli import main
from driftkit.theory import GamblersRuin, Moran
from driftkit.theory.families import Chain, SpecError, Walk, load, load_text

ROOT = Path(__file__).resolve().parent.parent
TIRING = ROOT / "examples" / "tiring-detector.toml"
AUDIT = ROOT / "examples" / "audit-chain.toml"


# -- bad specs: exit 2, one line naming the key and the line ---------------------------
@pytest.mark.parametrize(
    ("old", "new", "key", "below"),
    [
        ("x0 = 12", "x0 = 12\nfoo = 1", "model.foo", 1),  # unknown key
        ("a + 0.002*x", "b + 0.002*x", "model.up", 0),  # undefined symbol
        ("a + 0.002*x", "a + * x", "model.up", 0),  # does not parse
        ("a + 0.002*x", "a + 0.02*x", "model.up", 0),  # sum above 1 in state x = 3
        ("a + 0.002*x", '__import__(\\"os\\")', "model.up", 0),  # no code is evaluated
        ("hi = 40", "hi = 0", "model.hi", 0),  # lo >= hi
        ("lo = 0", "lo = = 0", "lo", 0),  # TOML syntax error
        ("k = { default", "k = { deflt = 1, default", "parameters.k.deflt", 0),
    ],
)
def test_bad_spec_exits_2_with_one_line(tmp_path, capsys, old, new, key, below):
    text = TIRING.read_text()
    assert old in text
    # the line the message must name: where ``old`` is (``below`` lines further down)
    line = text[: text.index(old)].count("\n") + 1 + below
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1))
    assert main(["theory", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"line {line}:" in err and f"key '{key}'" in err, err


def test_probability_error_names_the_first_offending_state():
    # up + down = 1 in every state, detect = k (1 - x/50) > 0 for x < 50: x = 1 first
    text = TIRING.read_text().replace('"0.5 - 0.002*x"', '"0.5 - a - 0.002*x + 0.5"')
    with pytest.raises(SpecError, match=r"in state x = 1 up \+ down \+ detect"):
        load_text(text, "sum.toml")


# -- theory: an independent high-precision solve (mpmath, 50 digits) ----------------------
def _mp_walk(a: str, k: str, x0: int) -> list:
    """The tiring detector's escape, ruin and exit time by mpmath's dense LU solve."""
    mpmath.mp.dps = 50
    a, k, n = mpmath.mpf(a), mpmath.mpf(k), 39
    m = mpmath.zeros(n, n)
    rhs = [mpmath.zeros(n, 1) for _ in range(3)]
    for i in range(n):
        x = i + 1
        u = a + mpmath.mpf("0.002") * x
        w = mpmath.mpf("0.5") - mpmath.mpf("0.002") * x
        d = k * (1 - mpmath.mpf(x) / 50)
        m[i, i] = u + w + d
        if i + 1 < n:
            m[i, i + 1] = -u
        else:
            rhs[0][i] += u  # escape: f(hi) = 1
        if i > 0:
            m[i, i - 1] = -w
        else:
            rhs[1][i] += w  # ruin: f(lo) = 1
        rhs[2][i] = 1  # exit time
    return [mpmath.lu_solve(m, r)[x0 - 1] for r in rhs]


@pytest.mark.parametrize(("a", "k", "x0"), [("0.46", "0.004", 12), ("0.4", "0.02", 30)])
def test_tiring_detector_equals_an_independent_mpmath_solve(a, k, x0):
    model = load(TIRING)(a=float(a), k=float(k), x0=x0)
    esc, ruin, time = _mp_walk(a, k, x0)
    assert model.value("escape_probability") == pytest.approx(float(esc), abs=1e-12)
    assert model.value("ruin_probability") == pytest.approx(float(ruin), abs=1e-12)
    det = 1 - esc - ruin
    assert model.value("detection_probability") == pytest.approx(float(det), abs=1e-12)
    assert model.value("mean_exit_time") == pytest.approx(float(time), rel=1e-12)
    assert model.quantity("escape_probability").kind == "linear-system"


def test_birth_death_product_sum_formulas_equal_the_linear_system():
    # state-dependent, no detection: the closed form (Sum/Product) evaluated by sympy
    m = Walk(
        name="test-bd-walk",
        parameters={"c": {"default": 0.3, "low": 0, "high": 0.4}},
        up="c + x/100",
        down="0.4 - x/200",
        lo=0,
        hi=12,
        x0=5,
    )
    assert m.quantity("escape_probability").kind == "exact"
    c = next(iter(m.symbols.values()))
    for name in ("escape_probability", "ruin_probability", "mean_exit_time"):
        closed = m.expression(name).subs({c: 0.3, m._x0(): 5}).doit()
        assert float(closed) == pytest.approx(m.value(name), rel=1e-12), name


def test_audit_chain_is_exact_rational():
    m = load(AUDIT)()
    # by hand: from review (f = 3/10) escalate 3/10, deploy 7/20, stay 7/20; from escalate
    # caught 3/5, back to review 3/10, deployed 1/10: h_c = (3/10)(3/5 + (3/10) h_c)/(13/20)
    # gives P(caught) = 9/28
    assert str(m.expression("absorption_probability_caught")) == "9/28"
    assert m.value("absorption_probability_caught") == pytest.approx(9 / 28, abs=1e-15)
    assert "9}{28}" in m.latex("absorption_probability_caught")


# -- validate agrees (exit 0) -----------------------------------------------------------
@pytest.mark.parametrize("spec", [TIRING, AUDIT])
def test_validate_agrees(spec, tmp_path, capsys):
    # 20,000 paths at the 99.9% family-wise level, fixed seed
    args = ["validate", str(spec), "--paths", "20000", "--seed", "3", "--threads", "1"]
    assert main(args) == 0, capsys.readouterr()


def test_sweep_runs_a_spec_model(tmp_path):
    shutil.copy(AUDIT, tmp_path / "audit-chain.toml")
    out = tmp_path / "s.csv"
    args = ["sweep", str(tmp_path / "audit-chain.toml"), "--grid", "f=0.1,0.5", "--out",
            str(out), "--paths", "5000", "--seed", "1", "--scheduler", "serial"]  # fmt: skip
    assert main(args) == 0
    assert "absorption_probability_caught" in out.read_text()


# -- tied to the built-ins (1e-10) --------------------------------------------------------
GR_WALK = {
    "name": "test-gamblers-ruin-walk",
    "parameters": {"p": {"default": 0.45, "low": 0, "high": 1},
                   "q": {"default": 0.55, "low": 0, "high": 1}},
    "up": "p", "down": "q", "lo": -3, "hi": 17, "x0": 5,
}  # fmt: skip


@pytest.mark.parametrize(("p", "q", "x0"), [(0.45, 0.55, 5), (0.3, 0.3, 2), (0.6, 0.2, 14)])
def test_gamblers_ruin_as_a_walk(p, q, x0):
    walk = Walk(**GR_WALK).replace(p=p, q=q, x0=x0)
    gr = GamblersRuin(p=p, q=q, lo=-3, hi=17, x0=x0)
    for name in ("drift_rate", "escape_probability", "ruin_probability", "mean_exit_time"):
        assert walk.value(name) == pytest.approx(gr.value(name), rel=1e-10, abs=1e-10), name
        # the rsolve closed form, evaluated at these values, agrees too
        subs = {**{walk.symbols[k]: v for k, v in (("p", p), ("q", q))}, walk._x0(): x0}
        assert float(walk.expression(name).subs(subs)) == pytest.approx(gr.value(name), 1e-10)
    assert walk.value("detection_probability") == pytest.approx(0.0, abs=1e-12)


def test_moran_as_a_chain():
    n = 12
    transitions = {
        f"i{i}": {
            f"i{i + 1}": f"r*{i}/(r*{i} + {n - i}) * {n - i}/{n}",
            f"i{i - 1}": f"{n - i}/(r*{i} + {n - i}) * {i}/{n}",
        }
        for i in range(1, n)
    }  # T+ and T- of docs/models/moran.md
    base = Chain(
        name="test-moran-chain",
        parameters={"r": {"default": 1.05, "low": 0, "low_open": True}},
        start="i3",
        transitions=transitions,
    )
    for r in (1.05, 1.0, 0.8):
        chain, moran = base.replace(r=r), Moran(N=n, r=r, i0=3)
        assert chain.value(f"absorption_probability_i{n}") == pytest.approx(
            moran.value("fixation_probability"), rel=1e-10
        )
        assert chain.value("mean_absorption_time") == pytest.approx(
            moran.value("mean_absorption_time"), rel=1e-10
        )


def test_walk_with_infinite_lo_matches_the_limit_of_long_ranges():
    # constant law with detection: lo = -inf against lo = -3000 (the difference is
    # lambda_+^-3000, far below 1e-12)
    kw = {"up": "0.3", "down": "0.5", "detect": "0.01", "hi": 10, "x0": 4}
    inf = Walk(name="test-inf-walk", lo=float("-inf"), **kw)
    far = Walk(name="test-far-walk", lo=-3000, **kw)
    for name in ("escape_probability", "detection_probability", "mean_exit_time"):
        assert inf.value(name) == pytest.approx(far.value(name), rel=1e-12), name


def test_spec_model_pickles_for_workers():
    import pickle

    m = load(TIRING)(a=0.41)
    assert pickle.loads(pickle.dumps(m)) == m
