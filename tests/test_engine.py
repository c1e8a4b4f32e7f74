"""The engine's contracts: seeding, chunking, threads, censoring, input checks."""

import numpy as np
import pytest
from driftkit.montecarlo import plan_chunks, simulate
from driftkit.montecarlo.kernels.gamblers_ruin import step_table
from driftkit.theory import GamblersRuin

MODEL = GamblersRuin(p=0.4, q=0.45, hi=12, x0=5)


def as_tuple(res):
    rows = [(k, e.estimate, e.ci_low, e.ci_high) for k, e in res.estimates.items()]
    return (*rows, res.steps, res.censored)


def test_bit_identical_across_thread_counts():
    runs = [simulate(MODEL, 30_000, rng=11, threads=t) for t in (1, 2, 3)]
    assert runs[0].chunks > 1
    assert as_tuple(runs[0]) == as_tuple(runs[1]) == as_tuple(runs[2])


def test_same_seed_same_result_and_different_seed_different_result():
    a = simulate(MODEL, 10_000, rng=5)
    b = simulate(MODEL, 10_000, rng=5)
    c = simulate(MODEL, 10_000, rng=6)
    assert as_tuple(a) == as_tuple(b)
    assert as_tuple(a) != as_tuple(c)
    assert a.seed == 5


def test_rng_forms():
    seeded = simulate(MODEL, 5_000, rng=np.random.SeedSequence(5))
    assert as_tuple(seeded) == as_tuple(simulate(MODEL, 5_000, rng=5))
    gen = np.random.default_rng(3)
    first, second = simulate(MODEL, 5_000, rng=gen), simulate(MODEL, 5_000, rng=gen)
    assert first.seed is None and as_tuple(first) != as_tuple(second)
    fresh = simulate(MODEL, 5_000)
    assert isinstance(fresh.seed, int)
    assert as_tuple(simulate(MODEL, 5_000, rng=fresh.seed)) == as_tuple(fresh)


def test_chunk_plan_depends_on_paths_only():
    for paths in (1, 999, 4096, 100_000, 10**7):
        sizes = plan_chunks(paths)
        assert sum(sizes) == paths and max(sizes) - min(sizes) <= 1
    assert len(plan_chunks(10**7)) == 64


def test_censored_paths_are_counted_and_keep_intervals_honest():
    slow = GamblersRuin(p=0.5, q=0.5, hi=400, x0=200)  # mean exit time 40,000 steps
    res = simulate(slow, 2_000, rng=1, max_steps=1_000)
    # A path exits within 1,000 steps only if |S_1000| >= 200 at some time, which has
    # probability <= 2 exp(-200**2 / 2000) = 4e-9 (Hoeffding-Doob): all are censored.
    assert res.censored == 2_000
    assert res.steps == 2_000 * 1_000
    esc = res["escape_probability"]
    assert (esc.ci_low, esc.ci_high) == (0.0, 1.0)
    assert res["mean_exit_time"].ci_high == float("inf")
    assert res["mean_exit_time"].ci_low <= 40_000


def test_step_table_cells():
    table, t_up, t_move = step_table(0.5, 0.25)  # thresholds on cell edges: no cut cells
    assert (table == 2).sum() == 0
    assert (table == 1).sum() == 4096 and (table == -1).sum() == 2048
    table, t_up, t_move = step_table(0.3, 0.3)
    assert (table == 2).sum() == 2  # one cell cut by each threshold
    assert t_up == 0.3 * 8192 and t_move == 0.6 * 8192


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"paths": 0}, "paths"),
        ({"paths": 2.5}, "paths"),
        ({"max_steps": 0}, "max_steps"),
        ({"threads": 0}, "threads"),
        ({"level": 1.0}, "level"),
        ({"method": "splitting"}, "method"),  # gamblers-ruin offers naive and importance
        ({"interval": "wald"}, "interval"),
        ({"rng": -1}, "seed"),
    ],
)
def test_bad_run_settings(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        simulate(MODEL, **{"paths": 100, **kwargs})


def test_plan_chunks_respects_the_models_chunk_size():
    # a population model's path is costly: with min_chunk_paths=1, 10 paths make 10 chunks
    assert plan_chunks(10, 1) == [1] * 10
    assert plan_chunks(200, 1) == [4] * 8 + [3] * 56  # at most 64 chunks, sizes differ by 1
    assert plan_chunks(10) == [10]  # default: at least 4096 paths per chunk


def test_default_paths_come_from_the_simulator(monkeypatch):
    from driftkit.montecarlo import get_simulator

    sim = get_simulator(MODEL)
    monkeypatch.setattr(sim, "default_paths", 1234)
    assert simulate(MODEL, rng=1).paths == 1234


def test_stated_tolerance_widens_the_agreement_and_is_reported(monkeypatch):
    from driftkit.montecarlo import get_simulator, validate

    true_value = GamblersRuin._value
    # a theory 0.05 off the exact escape probability (about 10 interval half-widths at
    # 20,000 paths) disagrees; with a stated tolerance of 0.1 it agrees, and says so
    monkeypatch.setattr(
        GamblersRuin,
        "_value",
        lambda self, name: true_value(self, name) + (0.05 if name == "escape_probability" else 0),
    )
    wrong = validate(MODEL, 20_000, rng=3)
    assert not wrong["escape_probability"].agree
    assert "tolerance" not in wrong["escape_probability"].to_dict()
    sim = get_simulator(MODEL)
    monkeypatch.setattr(
        type(sim), "tolerance", lambda self, m, n: 0.1 if n == "escape_probability" else 0.0
    )
    allowed = validate(MODEL, 20_000, rng=3)
    assert allowed["escape_probability"].agree
    assert allowed["escape_probability"].to_dict()["tolerance"] == 0.1
