r"""The gradient-descent toy model of alignment drift (Clymer, Westover, Khandelwal 2025, sec. 6.2).

Four scalars -- capability :math:`c`, alignment :math:`a`, detector bias :math:`b`
and detector variance :math:`v` -- are trained by plain stochastic gradient descent
(learning rate :math:`\eta`, one sample per step) on

.. math:: L = -\bigl(c + D + P\bigr) + \kappa b,\qquad
          D = \min\bigl(1, (a + b)\,\xi\bigr),\quad \xi = 1 + \epsilon v z,\
          z \sim N(0, 1),\qquad P = -w\,a\,\beta,\ \beta \sim \mathrm{Bernoulli}(p),

from :math:`(c, a, b, v) = (0, 1, 0, 1)`. The detector rewards reported alignment up
to 1; the occasional penalty (weight :math:`w = 0.1`, probability :math:`p = 0.1`)
nudges alignment down; :math:`\kappa` (``bias_cost``) is the post's "detector bias
penalty". The post's variants are parameters: no penalty (``penalty_prob=0``), a
noiseless detector (``noise=0``: :math:`\xi \equiv 1`) and ``bias_cost`` 0.1 or 0.005.

**Quantities.** ``drift_*``: the expected one-step change
:math:`\Delta_x = -\eta\,E[\partial L/\partial x]` at the given state (exact). With
:math:`s = a + b`, :math:`\sigma = \epsilon v` and :math:`h = (1 - s)/(s\sigma)`, for
:math:`s\sigma > 0` sympy's integrals over the non-saturated region
:math:`\{s\xi < 1\} = \{z < h\}` give

.. math:: \Delta_c = \eta,\quad \Delta_a = \eta\bigl(\Phi(h) - \sigma\varphi(h) - w p\bigr),\quad
          \Delta_b = \eta\bigl(\Phi(h) - \sigma\varphi(h) - \kappa\bigr),\quad
          \Delta_v = -\eta\,\epsilon\, s\,\varphi(h),

(:math:`s\sigma < 0`: the region is :math:`\{z > h\}`; :math:`\sigma = 0`: the indicator
:math:`\mathbf 1\{s < 1\}`; :math:`s = 0`: never saturated). ``mean_*``: the scalars
after ``steps`` steps from the mean-field recursion :math:`x_{k+1} = x_k + \Delta(x_k)`
(the expected gradient followed deterministically). It is exact for capability
(:math:`c_0 + \eta n`) and an *approximation* for the other three: the noise enters
non-linearly, and :math:`E[x_n] - x^{\mathrm{mf}}_n = O(\eta)` at a fixed
:math:`\eta n` -- :math:`O(\sqrt\eta)` for :math:`v` where its mean field reaches 0 (a
kink of its drift); validation allows :math:`5\eta` (:math:`5\eta + \sqrt\eta` for
:math:`v`). Also exact (derived, see :meth:`ClymerGradient.derivation`):
:math:`E[a_n - b_n] = a_0 - b_0 + \eta n(\kappa - w p)`, in the mean field and in the
simulation alike.

**Readings of the post that are assumptions** (the post gives pseudo-code, no code):

1. :math:`\epsilon v` is the *standard deviation* of :math:`\xi` (the post writes
   ``normal(1, std = epsilon * detector variance)``; the name "variance" is the post's).
2. Gradients flow through the noise into :math:`v` by reparameterisation,
   :math:`\xi = 1 + \epsilon v z`. (With a sampler that passes no gradient to its
   standard deviation, e.g. ``torch.normal``, :math:`v` would never move.)
3. :math:`v` may turn negative under descent; it is used as it is: the law of
   :math:`\xi` then has standard deviation :math:`\epsilon|v|` (no clipping, no
   :math:`|v|` in the update). The expected gradient pulls :math:`v` towards 0 from
   either side.
4. The gradient of :math:`\min(1, x)` is :math:`\mathbf 1\{x < 1\}`: 0 at saturation,
   *including the tie* :math:`x = 1` (the constant branch, as Python's
   ``min(1, x)`` returns 1 at a tie). It matters only without noise, where the start
   :math:`a + b = 1` is exactly a tie.
5. Plain SGD: one draw of :math:`(z, \beta)` per step, no momentum or Adam, all four
   scalars updated at once from the gradient at the current state; :math:`z` and
   :math:`\beta` independent.
6. The penalty is :math:`-w a` with probability :math:`p`, entering the loss as
   :math:`+w a\beta` (``loss = -(... + occasional_alignment_penalty)``).
7. The detector-bias tax is linear, :math:`+\kappa b` in the loss (the post: "penalized
   by a factor of 0.1 * detector bias"), so it also rewards a negative bias.
8. The noiseless variant ("variance=0" in the post) is :math:`\xi \equiv 1` with no
   gradient into :math:`v` (``noise=0``). Setting ``variance0=0`` with the noise on is
   noiseless in law, but under reparameterisation :math:`v` then receives the
   per-sample gradient :math:`s\epsilon z\mathbf 1\{s < 1\}` and leaves 0.
9. The detector is :math:`(a + b)\xi` as in the pseudo-code (the prose says the bias
   is "added to the detector's output").
10. The post states neither learning rate nor number of steps: ``lr=0.01`` and
    ``steps=20000`` (:math:`\eta n = 200`, where the default run has lost most of its
    alignment) are choices.
11. The "mean-field ODE of the expected gradient flow" is used in its discrete form,
    the recursion :math:`x_{k+1} = x_k + \Delta(x_k)` (its Euler scheme with step 1 in
    units of steps): it is what discrete descent averages to, it handles the noiseless
    detector's discontinuous drift without a sliding-mode (Filippov) solution, and it
    differs from the ODE :math:`\dot x = \Delta(x)` by :math:`O(\eta)`, the same
    order as its own error.

Source: J. Clymer, A. Westover, A. Khandelwal, *Will AI systems drift into
misalignment?*, Redwood Research blog / LessWrong (2025), section 6.2.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import sympy as sp
from driftkit.theory._base import Allowance, Model, Parameter, Quantity, Reference
from driftkit.theory._cache import disk_cache
from driftkit.theory._registry import register

__all__ = ["ClymerGradient", "expected_step", "mean_field_allowance", "mean_field_trajectory"]

# Model symbols
eta = sp.Symbol(r"\eta", positive=True)
eps = sp.Symbol(r"\epsilon", nonnegative=True)
w = sp.Symbol("w", nonnegative=True)  # penalty weight
p = sp.Symbol("p", nonnegative=True)  # penalty probability
kappa = sp.Symbol(r"\kappa", nonnegative=True)  # bias cost
c, a, b, v = sp.symbols("c a b v", real=True)  # the state
c0, a0, b0, v0 = sp.symbols("c_0 a_0 b_0 v_0", real=True)  # the start
n = sp.Symbol("n", integer=True, nonnegative=True)  # steps
k_ = sp.Symbol("k", integer=True, nonnegative=True)
# Derivation symbols
z = sp.Symbol("z", real=True)  # the detector's standard normal
beta = sp.Symbol(r"\beta", nonnegative=True)  # the penalty indicator
s = sp.Symbol("s", real=True)  # a + b
sigma = sp.Symbol(r"\sigma", real=True)  # epsilon v: the detector's noise scale
h = sp.Symbol("h", real=True)  # the saturation threshold on z

_Phi = sp.Function(r"\Phi")  # display only: the standard normal CDF
_phi = sp.Function(r"\varphi")  # display only: the standard normal density

STATE = ("capability", "alignment", "bias", "variance")
_SYM = dict(zip(STATE, (c, a, b, v), strict=True))
_START = dict(zip(STATE, (c0, a0, b0, v0), strict=True))
#: the cases of the expected gradient: region {s xi < 1} = {z < h}, {z > h}, all z;
#: and no noise (sigma = 0), where the region is all or nothing
CASES = ("below", "above", "never_saturated", "noiseless")
_CASE_TEXT = {
    "below": r"$s\sigma > 0$: not saturated iff $z < h$",
    "above": r"$s\sigma < 0$: not saturated iff $z > h$",
    "never_saturated": r"$s = 0$ ($\sigma \ne 0$): never saturated",
    "noiseless": r"$\sigma = 0$ (noiseless detector, or $v = 0$): not saturated iff $s < 1$",
}
#: allowance of the mean-field trajectory (see the derivation): 5 lr for alignment and bias
#: (largest measured |E x_n - x_n^mf| / lr: 0.9); for the variance 5 lr + sqrt(lr), because
#: where the mean field drives v to 0 (a kink of its drift) the gap is O(sqrt(lr)) (measured
#: at most 0.8 sqrt(lr))
MEAN_FIELD_ALLOWANCE = 5.0
KINK_ALLOWANCE = 1.0


def _coef(x: float) -> str:
    """A coefficient for LaTeX: nothing for 1."""
    return "" if x == 1 else f"{x:g}\\,"


def mean_field_allowance(lr: float, name: str) -> float:
    """The stated allowance of the mean-field value of ``name`` at learning rate ``lr``."""
    if name == "mean_variance":
        return MEAN_FIELD_ALLOWANCE * lr + KINK_ALLOWANCE * math.sqrt(lr)
    if name in ("mean_alignment", "mean_bias"):
        return MEAN_FIELD_ALLOWANCE * lr
    return 0.0


def _std_phi(t: sp.Expr) -> sp.Expr:
    return sp.exp(-(t**2) / 2) / sp.sqrt(2 * sp.pi)


def _std_Phi(t: sp.Expr) -> sp.Expr:
    return sp.erfc(-t / sp.sqrt(2)) / 2


def _undisplay(expr: sp.Expr) -> sp.Expr:
    return expr.replace(_Phi, _std_Phi).replace(_phi, _std_phi)


@dataclass(frozen=True)
class _Derived:
    loss_free: sp.Expr  # the loss where the detector is not saturated
    loss_saturated: sp.Expr
    grad_free: tuple  # E_beta of the per-sample gradient, not saturated
    grad_saturated: tuple
    moments: dict  # case -> (P(region), E[z 1_region])
    drift: dict  # case -> (Delta_c, Delta_a, Delta_b, Delta_v), in s, sigma, h
    drift_display: dict  # the same in Phi, phi
    capability_solution: sp.Expr  # rsolve: c_n
    difference_solution: sp.Expr  # rsolve: a_n - b_n


@disk_cache
def _derive() -> _Derived:
    """Derive the expected gradient and the exact recursions (about 1-2 s, done once)."""
    xi = 1 + eps * v * z
    penalty = -w * a * beta
    loss_free = -(c + (a + b) * xi + penalty) + kappa * b
    loss_sat = -(c + 1 + penalty) + kappa * b
    loss_noiseless = -(c + (a + b) + penalty) + kappa * b
    X = (c, a, b, v)

    def e_beta(expr: sp.Expr) -> sp.Expr:
        # the gradient is affine in beta, so E over beta ~ Bernoulli(p) is its value at p
        if sp.diff(expr, beta, 2) != 0:  # pragma: no cover - a modelling error
            raise AssertionError("gradient not affine in the penalty indicator")
        return sp.expand(expr.subs(beta, p))

    grad_free = tuple(e_beta(sp.diff(loss_free, x)) for x in X)
    grad_sat = tuple(e_beta(sp.diff(loss_sat, x)) for x in X)
    grad_noiseless = tuple(e_beta(sp.diff(loss_noiseless, x)) for x in X)
    pdf = _std_phi(z)
    # P(region) and E[z 1_region] for the three shapes of the region {s (1 + sigma z) < 1}
    moments = {
        "below": tuple(sp.expand(sp.integrate(z**j * pdf, (z, -sp.oo, h))) for j in (0, 1)),
        "above": tuple(sp.expand(sp.integrate(z**j * pdf, (z, h, sp.oo))) for j in (0, 1)),
        "never_saturated": tuple(sp.integrate(z**j * pdf, (z, -sp.oo, sp.oo)) for j in (0, 1)),
    }

    def expected(g_free: sp.Expr, g_sat: sp.Expr, m: tuple) -> sp.Expr:
        # E[g] = E[g_free 1_R] + g_sat P(R^c); g_free is affine in z
        g = sp.expand(g_free).subs(eps * v, sigma).subs({a: s - b})
        g = sp.expand(g)
        slope, const = sp.diff(g, z), g.subs(z, 0)
        return sp.expand(const * m[0] + slope * m[1] + g_sat * (1 - m[0]))

    drift = {}
    for case, m in moments.items():
        drift[case] = tuple(
            sp.expand(-eta * expected(gf, gs, m))
            for gf, gs in zip(grad_free, grad_sat, strict=True)
        )
    # noiseless: xi = 1, the region is {s < 1}, nothing depends on z
    drift["noiseless"] = tuple(
        sp.Piecewise((-eta * gf, s < 1), (-eta * gs, True))
        for gf, gs in zip(grad_noiseless, grad_sat, strict=True)
    )
    # display forms in Phi and phi, checked against the derived ones
    g_below = _Phi(h) - sigma * _phi(h)
    g_above = _Phi(-h) + sigma * _phi(h)
    display = {
        "below": (eta, eta * (g_below - w * p), eta * (g_below - kappa), -eta * eps * s * _phi(h)),
        "above": (eta, eta * (g_above - w * p), eta * (g_above - kappa), eta * eps * s * _phi(h)),
        "never_saturated": drift["never_saturated"],
        "noiseless": drift["noiseless"],
    }
    for case in ("below", "above"):
        for derived, shown in zip(drift[case], display[case], strict=True):
            diff = sp.simplify(sp.expand(_undisplay(shown) - derived).rewrite(sp.erfc))
            if diff != 0:  # pragma: no cover - a sympy regression
                raise AssertionError(f"display form of the drift ({case}) differs: {diff}")
    # exact recursions: c_{n+1} = c_n + eta and (a - b)_{n+1} = (a - b)_n + eta (kappa - w p)
    f = sp.Function("f")
    rec_c = f(n + 1) - f(n) - drift["below"][0]
    cap = sp.rsolve(rec_c, f(n), {f(0): c0})
    d_ab = sp.simplify(drift["below"][1] - drift["below"][2])
    for case in ("above", "never_saturated", "noiseless"):
        if sp.simplify(drift[case][1] - drift[case][2] - d_ab) != 0:  # pragma: no cover
            raise AssertionError("a - b drift depends on the case")
    diff_sol = sp.rsolve(f(n + 1) - f(n) - d_ab, f(n), {f(0): a0 - b0})
    return _Derived(
        loss_free,
        loss_sat,
        grad_free,
        grad_sat,
        moments,
        drift,
        display,
        sp.expand(cap),
        sp.expand(diff_sol),
    )


# -- numerics ---------------------------------------------------------------------------

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _case(s_v: float, sigma_v: float) -> str:
    if sigma_v == 0.0:
        return "noiseless"
    k = s_v * sigma_v
    if k > 0:
        return "below"
    if k < 0:
        return "above"
    return "never_saturated"


def _moments(s_v: float, sigma_v: float) -> tuple[float, float]:
    """``(E[xi 1_R], E[z 1_R])`` over the non-saturated region ``R = {s xi < 1}``."""
    case = _case(s_v, sigma_v)
    if case == "noiseless":
        return (1.0 if s_v < 1.0 else 0.0), 0.0
    if case == "never_saturated":
        return 1.0, 0.0
    hv = (1.0 - s_v) / abs(s_v * sigma_v)  # +-inf when s sigma is tiny: Phi, phi saturate
    # below: R = {z < h}; above: R = {z > h'} with h' = -hv, the mirror image
    cdf = 0.5 * math.erfc(-hv / _SQRT2)  # Phi(hv), accurate in the lower tail
    dens = math.exp(-0.5 * hv * hv) * _INV_SQRT_2PI if math.isfinite(hv) else 0.0
    m1 = -dens if case == "below" else dens
    return cdf + sigma_v * m1, m1


def expected_step(
    state: tuple[float, float, float, float],
    lr: float,
    eps_v: float,
    penalty_prob: float,
    penalty_weight: float,
    noise: int,
    bias_cost: float,
) -> tuple[float, float, float, float]:
    """The expected one-step change ``(Delta_c, Delta_a, Delta_b, Delta_v)`` at ``state``."""
    _, a_v, b_v, v_v = state
    s_v = a_v + b_v
    sigma_v = eps_v * v_v if noise else 0.0
    g, m1 = _moments(s_v, sigma_v)
    dv = lr * eps_v * s_v * m1 if noise else 0.0
    return (lr, lr * (g - penalty_weight * penalty_prob), lr * (g - bias_cost), dv)


_TRAJECTORIES: OrderedDict = OrderedDict()
#: the cache keeps at most this many trajectories and this many stored rows in all
_CACHE_SIZE = 32
_CACHE_ROWS = 4_000_000
#: columns of a stored trajectory: (c, a, b, v) of the mean field, then (a, b, v) of each of
#: the two runs from the perturbed starts of :func:`mean_field_spread` (c is the same in all)
_COLUMNS = 10

#: relative size of the start perturbations that measure the recursion's conditioning
PERTURBATION = 1e-13
#: where the mean-field allowance was measured (see the derivation): lr up to 0.1,
#: lr * steps up to 1000, eps up to 0.5
ESTABLISHED_LR = 0.1
ESTABLISHED_TIME = 1000.0
ESTABLISHED_EPS = 0.5


def _perturbed_starts(model: ClymerGradient) -> list[tuple[float, float, float, float]]:
    """The start and the two starts perturbed at rounding level (see :func:`mean_field_spread`)."""
    c0, a0, b0, v0 = model.start
    out = [(c0, a0, b0, v0)]
    for sign in (1.0, -1.0):
        out.append(
            (
                c0,
                a0 + sign * PERTURBATION * (abs(a0) + 1.0),
                b0,
                v0 - sign * PERTURBATION * (abs(v0) + 1.0),
            )
        )
    return out


def _recurse(states: list[tuple[float, ...]], n_steps: int, args: tuple) -> np.ndarray:
    """``n_steps`` steps of :math:`x_{k+1} = x_k + \\Delta(x_k)` from three states together.

    ``states`` holds the mean field's state and the two perturbed ones, each
    ``(c, a, b, v)``; the rows returned (``n_steps`` x :data:`_COLUMNS`) are the states
    after each step. The arithmetic is that of :func:`expected_step`, operation for
    operation (the same bits), inlined into one loop: about 0.5 us per step and run
    instead of 4. A perturbed run that meets the mean field bit for bit (the recursion
    forgot the perturbation) follows it from then on and costs nothing more. A state that
    leaves the double range keeps each component as +-inf with its sign at the overflow
    (NaN from inf - inf takes the sign of the last finite value) and stays there.
    """
    lr, eps_v, penalty_prob, penalty_weight, noise, bias_cost = args
    wp = penalty_weight * penalty_prob
    lreps = lr * eps_v
    erfc, exp, isfinite = math.erfc, math.exp, math.isfinite

    def step(c_v: float, a_v: float, b_v: float, v_v: float) -> tuple:
        s_v = a_v + b_v
        sigma_v = eps_v * v_v if noise else 0.0
        if sigma_v == 0.0:  # noiseless
            g, m1 = (1.0 if s_v < 1.0 else 0.0), 0.0
        else:
            k = s_v * sigma_v
            if k == 0.0 or k != k:  # never saturated
                g, m1 = 1.0, 0.0
            else:
                hv = (1.0 - s_v) / abs(k)
                dens = exp(-0.5 * hv * hv) * _INV_SQRT_2PI if isfinite(hv) else 0.0
                m1 = -dens if k > 0 else dens
                g = 0.5 * erfc(-hv / _SQRT2) + sigma_v * m1
        new = (
            c_v + lr,
            a_v + lr * (g - wp),
            b_v + lr * (g - bias_cost),
            v_v + (lreps * s_v * m1 if noise else 0.0),
        )
        if (new[1] - new[1]) + (new[2] - new[2]) + (new[3] - new[3]) + (new[0] - new[0]) != 0.0:
            old = (c_v, a_v, b_v, v_v)  # left the double range: signed inf, then frozen
            return _Frozen(
                math.copysign(math.inf, o) if x != x else x for x, o in zip(new, old, strict=True)
            )
        return new

    x0, x1, x2 = (tuple(float(xi) for xi in x) for x in states)
    # each run is LIVE, FROZEN (outside the double range: it stays) or, for the perturbed
    # ones, MERGED (equal to the mean field's state: it follows it)
    s0, s1, s2 = (_LIVE if _finite(x) else _FROZEN for x in (x0, x1, x2))
    s1 = _MERGED if x1 == x0 else s1
    s2 = _MERGED if x2 == x0 else s2
    out = np.empty((n_steps, _COLUMNS), dtype=np.float64)
    rows0: list[tuple] = []
    rows1: list[tuple] = []
    rows2: list[tuple] = []
    add0, add1, add2 = rows0.append, rows1.append, rows2.append
    done = 0
    for j in range(n_steps):
        if s0 is _LIVE:
            x0 = step(*x0)
            if type(x0) is _Frozen:
                s0 = _FROZEN
        if s1 is _LIVE:
            x1 = step(*x1)
            if x1 == x0:
                s1 = _MERGED
            elif type(x1) is _Frozen:
                s1 = _FROZEN
        elif s1 is _MERGED:
            x1 = x0
        if s2 is _LIVE:
            x2 = step(*x2)
            if x2 == x0:
                s2 = _MERGED
            elif type(x2) is _Frozen:
                s2 = _FROZEN
        elif s2 is _MERGED:
            x2 = x0
        add0(x0)
        add1(x1)
        add2(x2)
        if len(rows0) == _CHUNK or j == n_steps - 1:  # into the array, a chunk at a time
            stop = done + len(rows0)
            out[done:stop, 0:4] = rows0
            out[done:stop, 4:7] = np.array(rows1)[:, 1:]
            out[done:stop, 7:10] = np.array(rows2)[:, 1:]
            done = stop
            rows0.clear()
            rows1.clear()
            rows2.clear()
    return out


class _Frozen(tuple):
    """A state that has left the double range (see :func:`_recurse`)."""


def _finite(x: tuple) -> bool:
    return all(math.isfinite(xi) for xi in x)


_LIVE, _MERGED, _FROZEN = "live", "merged", "frozen"
_CHUNK = 1 << 14


def _stored_trajectory(model: ClymerGradient, steps: int) -> np.ndarray:
    """The stored rows ``0..steps`` (at least) of the mean field and the perturbed runs."""
    key = tuple((k, val) for k, val in model.params.items() if k != "steps")
    traj = _TRAJECTORIES.get(key)
    if traj is None or traj.shape[0] <= steps:
        if traj is None:
            starts = _perturbed_starts(model)
            first = np.array([[*starts[0], *starts[1][1:], *starts[2][1:]]], dtype=np.float64)
            done = 0
        else:
            first, done = traj, traj.shape[0] - 1
            last = [float(t) for t in traj[-1]]
            starts = [last[:4], [last[0], *last[4:7]], [last[0], *last[7:10]]]
        target = max(steps, 2 * done)
        traj = np.vstack([first, _recurse(starts, target - done, model._args())])
        traj.setflags(write=False)
        _TRAJECTORIES[key] = traj
        while len(_TRAJECTORIES) > 1 and (
            len(_TRAJECTORIES) > _CACHE_SIZE
            or sum(t.shape[0] for t in _TRAJECTORIES.values()) > _CACHE_ROWS
        ):
            _TRAJECTORIES.popitem(last=False)
    _TRAJECTORIES.move_to_end(key)
    return traj


def mean_field_trajectory(model: ClymerGradient, steps: int | None = None) -> np.ndarray:
    """The mean-field states ``x_0, ..., x_steps`` (rows: capability, alignment, bias, variance).

    One trajectory per parameter set (``steps`` aside) is kept and extended as needed, at
    least doubling its length each time, so a plot that asks for hundreds of increasing
    step counts computes the recursion about once (extending resumes from the last state,
    so the values do not depend on the order of the requests). The two runs from the
    perturbed starts of :func:`mean_field_spread` are computed alongside, in the same loop.
    """
    steps = model["steps"] if steps is None else int(steps)
    return _stored_trajectory(model, steps)[: steps + 1, :4]


def mean_field_spread(model: ClymerGradient, index: int) -> float:
    r"""How far the mean-field value moves when the start is perturbed at rounding level.

    The recursion is run again from :math:`a_0(1 \pm \delta) \pm \delta` and
    :math:`v_0(1 \mp \delta) \mp \delta` (:math:`\delta` = :data:`PERTURBATION`,
    about 450 ulps), and the largest change of the value of state ``index`` after
    ``steps`` steps is returned. Where the recursion chatters across the kinks of its
    drift (the saturation :math:`s = 1` with little noise, :math:`v = 0`), a change of
    :math:`10^{-15}` in :math:`a_0` moves :math:`a_n` by :math:`10^{-3}` and :math:`v_n`
    by tens of percent (``eps=0.5``): digits below this spread are rounding noise, which
    differ between implementations of the same recursion. The two perturbed runs are
    computed with the mean field, in one loop, and stored with it (:func:`_recurse`).
    """
    if index == 0:  # capability does not depend on the perturbed components
        return 0.0
    row = _stored_trajectory(model, model["steps"])[model["steps"]]
    base = float(row[index])
    spread = 0.0
    for col in (3 + index, 6 + index):
        diff = abs(float(row[col]) - base)
        spread = max(spread, diff) if not math.isnan(diff) else spread
    return spread


def round_to_spread(value: float, spread: float) -> float:
    """``value`` rounded to the decimal place of ``spread``'s leading digit: the digits that
    do not move when the start moves by a rounding error, and a rounding error (at most
    half a unit of that place) no larger than ``spread / 2``."""
    if spread <= 0.0 or not math.isfinite(value) or not math.isfinite(spread):
        return value
    ndigits = -math.floor(math.log10(spread))
    return float(round(value, ndigits)) + 0.0  # + 0.0: no "-0.0"


def _real(low: float = -math.inf, high: float = math.inf, **kw) -> dict:
    return {"low": low, "high": high, **kw}


@register
class ClymerGradient(Model):
    r"""Clymer et al.'s gradient-descent toy model: capability, alignment, detector bias and
    detector variance trained by SGD against a noisy, saturating alignment detector.

    Loss :math:`L = -(c + \min(1, (a+b)\xi) - w a\beta) + \kappa b`,
    :math:`\xi = 1 + \epsilon v z`, :math:`z \sim N(0,1)`, :math:`\beta \sim
    \mathrm{Bernoulli}(p)`; update :math:`x \leftarrow x - \eta\nabla_x L`.

    .. math:: \Delta_a = \eta\bigl(\Phi(h) - \sigma\varphi(h) - wp\bigr),\quad
              \Delta_v = -\eta\epsilon s\varphi(h),\quad
              h = \frac{1 - s}{s\sigma},\ s = a + b,\ \sigma = \epsilon v\ (s\sigma > 0).

    ``drift_*`` are exact; ``mean_capability`` is exact (:math:`c_0 + \eta n`); the other
    ``mean_*`` follow the mean-field recursion :math:`x_{k+1} = x_k + \Delta(x_k)` and are
    approximations (error :math:`O(\eta)`). The list of readings of the post that are
    assumptions is in the module docstring.

    Source: Clymer, Westover & Khandelwal, *Will AI systems drift into misalignment?*
    (2025), section 6.2.

    Examples
    --------
    >>> from driftkit.theory.clymer_gradient import ClymerGradient
    >>> m = ClymerGradient()
    >>> m.value("drift_capability") == m["lr"]
    True
    >>> round(m.value("mean_capability"), 9)
    200.0
    """

    name = "clymer-gradient"
    title = "Gradient-descent toy model of alignment drift (Clymer et al. 2025, sec. 6.2)"
    summary = (
        "Capability, alignment, detector bias and detector variance trained by SGD against a "
        "noisy saturating detector with an occasional misalignment nudge: expected drift and "
        "mean-field trajectory."
    )
    curve_parameter = "steps"
    plot_quantities = ("mean_capability", "mean_alignment", "mean_bias", "mean_variance")
    plot_variants = (
        {"penalty_prob": 0.0},
        {"noise": 0},
        {"bias_cost": 0.1},
        {"bias_cost": 0.005},
    )
    parameters = (
        Parameter(
            "lr",
            0.01,
            "learning rate of the gradient descent (the post does not state it)",
            **_real(0.0, 1.0, low_open=True),
            latex=r"\eta",
        ),
        Parameter(
            "eps",
            0.1,
            "detector noise scale: xi ~ Normal(1, std = eps * variance)",
            **_real(0.0),
            latex=r"\epsilon",
        ),
        Parameter(
            "penalty_prob",
            0.1,
            "probability per step of the misalignment-favouring penalty",
            **_real(0.0, 1.0),
            latex="p",
        ),
        Parameter(
            "penalty_weight",
            0.1,
            "weight of the penalty: loss += penalty_weight * alignment when it fires",
            **_real(0.0),
            latex="w",
        ),
        Parameter(
            "noise",
            1,
            "1: noisy detector; 0: noiseless detector (xi = 1, no gradient into the variance)",
            **_real(0, 1),
            integer=True,
            latex=r"\mathrm{noise}",
        ),
        Parameter(
            "bias_cost",
            0.0,
            "detector-bias tax: loss += bias_cost * bias (the post uses 0.1 and 0.005)",
            **_real(0.0),
            latex=r"\kappa",
        ),
        Parameter(
            "steps",
            20_000,
            "number of gradient steps (mean_* quantities)",
            **_real(1, 1_000_000),
            integer=True,
            latex="n",
        ),
        Parameter(
            "capability0", 0.0, "capability at the start (the state)", **_real(), latex="c_0"
        ),
        Parameter("alignment0", 1.0, "alignment at the start", **_real(), latex="a_0"),
        Parameter("bias0", 0.0, "detector bias at the start", **_real(), latex="b_0"),
        Parameter(
            "variance0",
            1.0,
            "detector 'variance' at the start (its sign is irrelevant: std = eps * abs(variance))",
            **_real(),
            latex="v_0",
        ),
    )
    quantities = (
        Quantity(
            "drift_capability",
            "expected one-step change of capability at the start state (-lr E[dL/dc])",
            r"\Delta_c",
        ),
        Quantity(
            "drift_alignment",
            "expected one-step change of alignment at the start state (-lr E[dL/da])",
            r"\Delta_a",
        ),
        Quantity(
            "drift_bias",
            "expected one-step change of the detector bias at the start state",
            r"\Delta_b",
        ),
        Quantity(
            "drift_variance",
            "expected one-step change of the detector variance at the start state",
            r"\Delta_v",
        ),
        Quantity(
            "mean_capability",
            "E[capability] after `steps` steps: c0 + lr * steps (exact: its gradient is -1)",
            r"E[c_n]",
        ),
        Quantity(
            "mean_alignment",
            "E[alignment] after `steps` steps, by the mean-field recursion x_{k+1} = x_k + "
            "Delta(x_k) (approximation, error O(lr) at fixed lr * steps)",
            r"E[a_n]",
            kind="approximation",
        ),
        Quantity(
            "mean_bias",
            "E[detector bias] after `steps` steps, by the mean-field recursion "
            "(approximation, error O(lr) at fixed lr * steps)",
            r"E[b_n]",
            kind="approximation",
        ),
        Quantity(
            "mean_variance",
            "E[detector variance] after `steps` steps, by the mean-field recursion "
            "(approximation, error O(lr), O(sqrt(lr)) where its mean field reaches 0)",
            r"E[v_n]",
            kind="approximation",
        ),
    )
    references = (
        Reference(
            "clymer2025drift",
            "J. Clymer, A. Westover and A. Khandelwal, Will AI systems drift into "
            "misalignment?, Redwood Research blog / LessWrong (2025), section 6.2.",
            "@misc{clymer2025drift,\n  author = {Clymer, Joshua and Westover, Alek and "
            "Khandelwal, Anshul},\n  title = {Will {AI} systems drift into misalignment?},\n"
            "  howpublished = {Redwood Research blog and LessWrong},\n  year = {2025},\n"
            "  url = {https://www.lesswrong.com/posts/u8TYRhGPD878i3qkc/"
            "will-ai-systems-drift-into-misalignment}\n}",
        ),
        Reference(
            "vankampen2007",
            "N. G. van Kampen, Stochastic Processes in Physics and Chemistry, 3rd ed., "
            "Elsevier (2007), ch. X (the system-size expansion).",
            "@book{vankampen2007,\n  author = {van Kampen, N. G.},\n"
            "  title = {Stochastic Processes in Physics and Chemistry},\n"
            "  edition = {3}, publisher = {Elsevier}, year = {2007}\n}",
        ),
    )

    def curve_range(self, param: str) -> tuple[float, float]:
        """``steps`` in ``(0, steps)``: the trajectory up to this model's step count."""
        if param == "steps":
            return 0, self["steps"]
        return super().curve_range(param)

    # -- state helpers ----------------------------------------------------
    @property
    def start(self) -> tuple[float, float, float, float]:
        return tuple(float(self[f"{name}0"]) for name in STATE)  # type: ignore[return-value]

    def _args(self) -> tuple:
        return (
            self["lr"],
            self["eps"],
            self["penalty_prob"],
            self["penalty_weight"],
            self["noise"],
            self["bias_cost"],
        )

    def _sigma(self) -> float:
        return self["eps"] * self["variance0"] if self["noise"] else 0.0

    @property
    def case(self) -> str:
        """Which case of the expected gradient applies at the start state."""
        return _case(self["alignment0"] + self["bias0"], self._sigma())

    # -- formulas ---------------------------------------------------------
    def _drift_expr(self, index: int, case: bool, display: bool) -> sp.Expr:
        d = _derive()
        forms = d.drift_display if display else d.drift
        noisy = {s: a + b, sigma: eps * v if self["noise"] else 0}

        def in_state(expr: sp.Expr, case_name: str) -> sp.Expr:
            if display:
                return expr
            if case_name == "noiseless":
                return expr.subs(s, a + b)
            hv = (1 - s) / (s * sigma)
            return expr.subs(h, hv).subs(noisy)

        if case:
            return in_state(forms[self.case][index], self.case)
        k = s * sigma
        pw = sp.Piecewise(
            (forms["noiseless"][index], sp.Eq(sigma, 0)),
            (forms["below"][index], k > 0),
            (forms["above"][index], k < 0),
            (forms["never_saturated"][index], True),
        )
        if display:
            return pw
        return pw.subs(h, (1 - s) / (s * sigma)).subs(noisy)

    def _mean_expr(self, index: int) -> sp.Expr:
        d = _derive()
        name = STATE[index]
        if name == "capability":
            return d.capability_solution
        step = sp.Function(rf"\Delta_{{{_SYM[name]}}}")
        xk = sp.Symbol("x_k")
        return _START[name] + sp.Sum(step(xk), (k_, 0, n - 1))

    def _expression(self, name: str, case: bool) -> sp.Expr:
        kind, _, var = name.partition("_")
        index = STATE.index(var)
        if kind == "drift":
            return self._drift_expr(index, case, display=False)
        return self._mean_expr(index)

    def latex(self, name: str) -> str:
        """LaTeX in Phi and phi with s, sigma and h spelled out (drifts), or the recursion."""
        kind, _, var = name.partition("_")
        index = STATE.index(var)
        symbol = self.quantity(name).symbol
        if kind == "drift":
            expr = self._drift_expr(index, True, display=True)
            where = r"\qquad s = a + b,\ \sigma = \epsilon v"
            if var == "capability":
                where = ""
            elif self.case in ("below", "above"):
                where += r",\ h = \frac{1 - s}{s\sigma}"
            if not self["noise"] and var != "capability":
                where = r"\qquad s = a + b,\ \sigma = 0\ \text{(noiseless)}"
            return f"{symbol} = {sp.latex(expr)}{where}"
        expr = self._mean_expr(index)
        if var == "capability":
            return f"{symbol} = {sp.latex(expr)}"
        return (
            f"{symbol} \\approx {sp.latex(expr)},\\qquad x_{{k+1}} = x_k + \\Delta(x_k),\\ "
            f"x_0 = (c_0, a_0, b_0, v_0)"
        )

    def allowance(self, name: str) -> Allowance:
        """The mean-field means' allowance, calibrated: :func:`mean_field_allowance`
        (``5 lr``; ``5 lr + sqrt(lr)`` for the variance); none for the exact quantities."""
        value = mean_field_allowance(self["lr"], self.quantity(name).name)
        if value == 0.0:
            return Allowance(0.0)
        return Allowance(
            value,
            "calibrated",
            "measured |E x_n - x_n^mf| below 0.9 lr for alignment and bias, and below "
            "0.8 sqrt(lr) for the variance at the kink v = 0 (five variants, three starts, "
            "eps 0.1 and 0.5, lr 0.01 to 0.1, lr * steps <= 1000, 1,000 to 2,000 runs each; "
            "see the derivation); allowed: 5 lr (+ sqrt(lr) for the variance)",
        )

    def _value(self, name: str) -> float:
        kind, _, var = name.partition("_")
        index = STATE.index(var)
        if kind == "drift":
            return expected_step(self.start, *self._args())[index]
        if var == "capability":
            return self["capability0"] + self["lr"] * self["steps"]
        value = float(mean_field_trajectory(self)[self["steps"], index])
        # only the digits that survive a perturbation of the start at rounding level
        return round_to_spread(value, mean_field_spread(self, index))

    def warnings(self) -> list[str]:
        """Lines for the mean-field values outside the range where their allowance holds.

        The allowance (5 lr; 5 lr + sqrt(lr) for the variance) was measured for
        lr <= 0.1, lr * steps <= 1000 and eps <= 0.5 (see the derivation); at lr = 1 the
        mean field is off by orders of magnitude from the SGD runs. A further line says
        where the recursion is so ill-conditioned that its rounding noise exceeds the
        allowance.
        """
        out = []
        lr, n_steps, eps_v = self["lr"], self["steps"], self["eps"]
        reasons = []
        if lr > ESTABLISHED_LR:
            reasons.append(f"lr = {lr:g} > {ESTABLISHED_LR:g}")
        if lr * n_steps > ESTABLISHED_TIME:
            reasons.append(f"lr * steps = {lr * n_steps:g} > {ESTABLISHED_TIME:g}")
        if self["noise"] and eps_v > ESTABLISHED_EPS:
            reasons.append(f"eps = {eps_v:g} > {ESTABLISHED_EPS:g}")
        if reasons:
            out.append(
                f"{self.name}: mean_alignment, mean_bias and mean_variance (mean field) are "
                f"evaluated outside the range where their allowance (5 lr; 5 lr + sqrt(lr) "
                f"for the variance) was established (lr <= {ESTABLISHED_LR:g}, lr * steps <= "
                f"{ESTABLISHED_TIME:g}, eps <= {ESTABLISHED_EPS:g}): "
                + ", ".join(reasons)
                + "; the SGD expectation can differ from them by more"
            )
        final = mean_field_trajectory(self)[n_steps]
        if not np.isfinite(final).all():
            first = int(np.argmax(~np.isfinite(mean_field_trajectory(self)).all(axis=1)))
            out.append(
                f"{self.name}: the mean-field recursion leaves the double range at step "
                f"{first} (it is unstable here); mean_alignment, mean_bias and mean_variance "
                "are reported as +-inf with their sign at that step, which is not their sign "
                "later"
            )
        noisy = []
        for index, var in enumerate(STATE[1:], start=1):
            name = f"mean_{var}"
            spread = mean_field_spread(self, index)
            if spread > mean_field_allowance(lr, name):
                noisy.append(f"{name} (spread {spread:.2g})")
        if noisy:
            out.append(
                f"{self.name}: the mean-field recursion is ill-conditioned here: a change of "
                f"{PERTURBATION:g} relative in the start moves "
                + ", ".join(noisy)
                + " by more than its allowance"
            )
        return out

    # -- derivation -------------------------------------------------------
    def derivation(self) -> str:
        d = _derive()
        X = sp.latex
        drift_lines = []
        for case in CASES:
            da, dv = d.drift_display[case][1], d.drift_display[case][3]
            db = d.drift_display[case][2]
            drift_lines.append(
                f"- {_CASE_TEXT[case]}: $\\Delta_a = {X(da)}$, $\\Delta_b = {X(db)}$, "
                f"$\\Delta_v = {X(dv)}$"
            )
        m_below, m_above = d.moments["below"], d.moments["above"]
        lines = [
            f"## {self.title}: derivation",
            "",
            "**Model.** Four scalars $x = (c, a, b, v)$ (capability, alignment, detector "
            "bias, detector variance), start $(c_0, a_0, b_0, v_0)$ (the post: "
            "$(0, 1, 0, 1)$), trained by stochastic gradient descent "
            "$x \\leftarrow x - \\eta\\nabla_x L$ on the per-step loss",
            "",
            "$$ L = -\\bigl(c + \\min(1, (a + b)\\xi) - w a\\beta\\bigr) + \\kappa b,\\qquad "
            "\\xi = 1 + \\epsilon v z, $$",
            "",
            "with $z \\sim N(0, 1)$ and $\\beta \\sim \\mathrm{Bernoulli}(p)$ drawn afresh and "
            "independently at each step. Post's values: $\\epsilon = 0.1$, $w = 0.1$, "
            "$p = 0.1$; variants $p = 0$, a noiseless detector ($\\xi \\equiv 1$), and "
            "$\\kappa = 0.1$ or $0.005$.",
            "",
            "**Assumptions (readings of the post).**",
            "",
            "1. $\\epsilon v$ is the standard deviation of $\\xi$ (the post's pseudo-code: "
            "`normal(1, std = epsilon * detector variance)`).",
            "2. The noise is reparameterised, $\\xi = 1 + \\epsilon v z$, so the gradient "
            "reaches $v$ (a sampler without a gradient to its scale would freeze $v$).",
            "3. $v$ is used as it is when it turns negative: $\\xi$ then has standard "
            "deviation $\\epsilon|v|$; no clipping.",
            "4. $\\partial_x \\min(1, x) = \\mathbf 1\\{x < 1\\}$: zero at saturation and at the "
            "tie $x = 1$ (Python's `min(1, x)` returns the constant there). Only the "
            "noiseless detector meets the tie (its start $a + b = 1$).",
            "5. Plain SGD, one $(z, \\beta)$ per step, simultaneous update; no momentum.",
            "6. The penalty enters the loss as $+w a\\beta$ (the pseudo-code's "
            "`loss = -(... + occasional_alignment_penalty)` with penalty $-wa$ when it fires).",
            '7. The bias tax is $+\\kappa b$, linear (the post: "penalized by a factor of '
            '0.1 * detector bias"), so it also rewards a negative bias.',
            "8. Noiseless detector: $\\xi \\equiv 1$ and no gradient into $v$ "
            '(the post\'s "variance = 0"; `noise=0`). Setting $v_0 = 0$ with the noise on is '
            "noiseless in law, but under reparameterisation $v$ then receives the per-sample "
            "gradient $s\\epsilon z\\mathbf 1\\{s < 1\\}$ and leaves 0.",
            "9. The detector is $(a + b)\\xi$ as in the pseudo-code (the prose says the bias is "
            '"added to the detector\'s output").',
            "10. Learning rate and step count are not in the post: $\\eta = 0.01$, "
            "$n = 20000$ ($\\eta n = 200$) here.",
            "11. The post's figures are single runs; the quantities here are means over runs "
            "and their mean-field prediction. The mean-field ODE of the expected gradient "
            "is used in its discrete form $x_{k+1} = x_k + \\Delta(x_k)$ (see below): it is "
            "what discrete descent averages to, it needs no sliding-mode (Filippov) solution "
            "for the noiseless detector's discontinuous drift, and it differs from the ODE by "
            "$O(\\eta)$, the order of its own error.",
            "",
            "### Per-sample gradient",
            "",
            "Where the detector is not saturated ($(a + b)\\xi < 1$) and where it is, the loss "
            f"is $L = {X(d.loss_free)}$ and $L = {X(d.loss_saturated)}$. Both gradients are "
            "affine in $\\beta$, so averaging over $\\beta$ replaces it by $p$:",
            "",
            "$$ E_\\beta\\nabla L = "
            f"{X(sp.Matrix(d.grad_free).T)}\\ \\text{{(not saturated)}},\\qquad "
            f"{X(sp.Matrix(d.grad_saturated).T)}\\ \\text{{(saturated)}}. $$",
            "",
            "### Expected gradient",
            "",
            "With $s = a + b$ and $\\sigma = \\epsilon v$ the detector is unsaturated on "
            "$R = \\{s\\sigma z < 1 - s\\}$. For $s\\sigma > 0$ that is $\\{z < h\\}$ with "
            "$h = (1 - s)/(s\\sigma)$, for $s\\sigma < 0$ it is $\\{z > h\\}$. sympy integrates "
            "the normal density over them:",
            "",
            f"$$ P(z < h) = {X(m_below[0])},\\quad E[z\\mathbf 1\\{{z < h\\}}] = "
            f"{X(m_below[1])}, $$",
            "",
            f"$$ P(z > h) = {X(m_above[0])},\\quad E[z\\mathbf 1\\{{z > h\\}}] = "
            f"{X(m_above[1])}. $$",
            "",
            "The unsaturated gradient is affine in $z$, so "
            "$E[\\nabla L] = E[\\nabla L_{\\mathrm{free}}\\mathbf 1_R] + "
            "\\nabla L_{\\mathrm{sat}}\\,P(R^c)$ needs only these two moments. The expected "
            "one-step change $\\Delta = -\\eta E[\\nabla L]$ is, by cases "
            "($\\Delta_c = \\eta$ always):",
            "",
            *drift_lines,
            "",
            "The detector's expected gradient $E[\\xi\\mathbf 1_R] = \\Phi(h) - "
            "\\sigma\\varphi(h)$ pushes $a$ and $b$ up *equally*: whatever raises reported "
            "alignment raises the bias as much as the alignment. $\\Delta_v$ has the sign of "
            "$-v$: descent shrinks the detector's noise while it is near the saturation edge.",
            "",
            "### Exact consequences",
            "",
            "Capability's gradient is the constant $-1$: `rsolve` of $c_{n+1} = c_n + \\eta$ "
            f"gives $c_n = {X(d.capability_solution)}$, in every run. The detector terms "
            "cancel in $a - b$, whose increment $\\eta(\\kappa - w\\beta)$ is independent of "
            "the state; `rsolve` of the averaged recursion gives",
            "",
            f"$$ E[a_n - b_n] = {X(d.difference_solution)}, $$",
            "",
            "exact for the simulation as well as for the mean field. Without a bias tax "
            "($\\kappa = 0$) alignment falls behind the bias at the rate $\\eta wp$ per step "
            "for ever: the penalty's nudges are never undone, because each correction by the "
            "detector raises the bias as much as the alignment (the post's hammer and "
            "sliding box). With $\\kappa > wp$ the difference grows instead.",
            "",
            "### Mean field (approximation)",
            "",
            "`mean_alignment`, `mean_bias`, `mean_variance` follow the deterministic "
            "recursion $x_{k+1} = x_k + \\Delta(x_k)$ from $x_0$: the Euler recursion of the "
            "expected gradient, the natural mean field of discrete gradient descent (the ODE "
            "$\\dot x = \\Delta(x)/\\eta$ differs from it by $O(\\eta)$ as well). It is "
            "evaluated numerically, one trajectory per parameter set. It is not exact, "
            "because $\\Delta$ is non-linear and $E[\\Delta(x_k)] \\ne \\Delta(E[x_k])$: "
            "by the system-size (van Kampen) expansion in the step size, "
            "$E[x_n] = x^{\\mathrm{mf}}_n + \\eta\\,\\delta(\\eta n) + O(\\eta^2)$, where "
            "$\\delta$ (curvature of $\\Delta$ against the $O(\\eta)$ covariance of the "
            "fluctuations, propagated along the trajectory) depends on the time $\\eta n$ but "
            "not on $\\eta$. We did not solve for $\\delta$; we measured it. Over the post's "
            "five variants, three start states ((0, 1, 0, 1), (0, 0.5, 0.2, 0.3), "
            "(0, 1.5, 0.5, 2)), $\\epsilon \\in \\{0.1, 0.5\\}$, $\\eta n \\le 1000$ and "
            "$\\eta \\in \\{0.01, 0.03, 0.1\\}$ (1,000 to 2,000 runs each), "
            "$|E[x_n] - x^{\\mathrm{mf}}_n|/\\eta$ stayed below 0.9 for $a$ and $b$ and was "
            "the same at $\\eta = 0.01$ and $0.03$, confirming the $O(\\eta)$ scaling. The "
            "expansion fails where the mean field drives $v$ to 0: $\\Delta_v$ has the sign "
            "of $-v$, a kink at $v = 0$, and the runs' $v$, spread by $O(\\sqrt\\eta)$, "
            "straddle it. There (e.g. $\\kappa = 0.1$, $\\eta n \\approx 77$) the gap in "
            "$v$ is $O(\\sqrt\\eta)$: 0.25, 0.12, 0.055 at $\\eta$ = 0.1, 0.03, 0.01, at "
            "most $0.8\\sqrt\\eta$. Validation therefore allows "
            f"${MEAN_FIELD_ALLOWANCE:g}\\,\\eta$ beside the interval for $a$ and $b$, and "
            f"${MEAN_FIELD_ALLOWANCE:g}\\,\\eta + {_coef(KINK_ALLOWANCE)}\\sqrt\\eta$ for $v$ "
            "(both well above the largest gaps measured). Without noise the mean field's "
            "corrections come on a regular schedule and the run's at random penalty times; "
            "the gap is then at most about $0.9\\eta$.",
            "",
            "### Evaluation",
            "",
            "$\\Phi$ as $\\tfrac12\\operatorname{erfc}(-h/\\sqrt2)$ (accurate in the lower "
            "tail), $\\varphi(\\pm\\infty) = 0$ when $s\\sigma$ underflows; nothing "
            "overflows, since every increment is bounded by $\\eta(|\\xi| + w + \\kappa)$.",
            "",
            "**Source.** J. Clymer, A. Westover and A. Khandelwal, *Will AI systems drift into "
            "misalignment?* (2025), section 6.2; N. G. van Kampen, *Stochastic Processes in "
            "Physics and Chemistry* (2007), ch. X.",
            "",
        ]
        return "\n".join(lines)
