"""The on-disk cache of derivations (driftkit.theory._cache).

Each test points DRIFTKIT_CACHE_DIR at its own temporary folder, and runs the
derivation in fresh processes, so "the second process does not derive again" is
observed, not assumed: the derivation appends a line to a marker file every time it
actually runs.
"""

import os
import subprocess
import sys
import textwrap
import threading

import pytest

PROBE = """
import os, sys
import sympy as sp
from driftkit.theory._cache import disk_cache, stats

@disk_cache
def derive(n):
    with open(os.environ["PROBE_MARKER"], "a") as fh:  # one line per real derivation
        fh.write("derived\\n")
    x = sp.Symbol("x", positive=True)
    return sp.integrate(sp.exp(-n * x) * x**2, (x, 0, sp.oo)), sp.Dummy("d")

expr, dummy = derive(int(sys.argv[1]))
print(expr, dummy.name, stats["hits"], stats["misses"])
"""


def _env(tmp_path, **extra):
    env = dict(os.environ)
    env.pop("DRIFTKIT_NO_CACHE", None)
    env.update(
        DRIFTKIT_CACHE_DIR=str(tmp_path / "cache"),
        PROBE_MARKER=str(tmp_path / "marker"),
        PYTHONPATH=str(tmp_path) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    env.update(extra)
    return env


def _probe(tmp_path, n=3, **extra):
    (tmp_path / "probe_mod.py").write_text(PROBE)
    out = subprocess.run(
        [sys.executable, "-m", "probe_mod", str(n)],
        env=_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def _derivations(tmp_path):
    marker = tmp_path / "marker"
    return len(marker.read_text().splitlines()) if marker.exists() else 0


def test_second_process_reads_the_cache_and_no_cache_bypasses_it(tmp_path):
    first = _probe(tmp_path)
    # integral of x^2 e^{-3x} over (0, oo) = 2/3^3
    assert first[0] == "2/27" and first[2:] == ["0", "1"] and _derivations(tmp_path) == 1
    second = _probe(tmp_path)
    assert second == [*first[:2], "1", "0"]  # read from disk: one hit, no miss
    assert _derivations(tmp_path) == 1  # ... and the derivation did not run again
    assert _probe(tmp_path, n=4)[0] == "1/32"  # other arguments, another entry: 2/4^3
    assert _derivations(tmp_path) == 2
    bypass = _probe(tmp_path, DRIFTKIT_NO_CACHE="1")
    assert bypass[0] == "2/27" and bypass[2:] == ["0", "0"]  # the disk is not consulted
    assert _derivations(tmp_path) == 3


def test_a_corrupt_entry_is_derived_again_and_rewritten(tmp_path):
    _probe(tmp_path)
    entries = list((tmp_path / "cache").rglob("*.pickle"))
    assert len(entries) == 1
    entries[0].write_bytes(b"\x80\x05not a pickle")
    assert _probe(tmp_path)[0] == "2/27" and _derivations(tmp_path) == 2
    assert _probe(tmp_path)[2:] == ["1", "0"] and _derivations(tmp_path) == 2  # rewritten
    entries[0].write_bytes(b"")  # truncated to nothing
    assert _probe(tmp_path)[0] == "2/27" and _derivations(tmp_path) == 3


def test_concurrent_writers_leave_one_whole_entry(tmp_path):
    (tmp_path / "probe_mod.py").write_text(PROBE)
    env = _env(tmp_path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "probe_mod", "3"], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert {o[0] for o in outs} == {"2/27"}
    files = sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert len(files) == 1 and files[0].endswith(".pickle")  # no temporary file left
    derived = _derivations(tmp_path)
    assert _probe(tmp_path)[2:] == ["1", "0"] and _derivations(tmp_path) == derived


def test_store_is_atomic_under_threads(tmp_path, monkeypatch):
    from driftkit.theory import _cache

    monkeypatch.setenv("DRIFTKIT_CACHE_DIR", str(tmp_path))
    path = tmp_path / "entry.pickle"
    values = [list(range(200_000)), list(range(1, 200_001))]  # large: many write calls each
    seen = []
    errors_before = _cache.stats["errors"]  # _load counts every unreadable entry it meets

    def writer(i):
        for _ in range(15):
            _cache._store(path, "k", values[i % 2])

    done = threading.Event()

    def reader():
        while not done.is_set() or not seen:  # read while the writers write, and once after
            found, value = _cache._load(path, "k")
            if found:
                seen.append(value[0])

    writers = [threading.Thread(target=writer, args=(i,)) for i in range(3)]
    readers = [threading.Thread(target=reader) for _ in range(2)]
    for t in writers + readers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert _cache.stats["errors"] == errors_before  # no reader saw a partial entry
    assert seen and set(seen) <= {0, 1}
    assert _cache._load(path, "k")[1] in values
    assert [p.name for p in tmp_path.iterdir()] == ["entry.pickle"]


@pytest.mark.parametrize("name", ["gamblers-ruin"])
def test_a_model_latex_is_read_from_the_cache_in_a_new_process(tmp_path, name):
    code = textwrap.dedent(f"""
        from driftkit.theory import get_model
        from driftkit.theory._cache import stats
        m = get_model({name!r})()
        print("|".join(m.latex(q.name) for q in m.quantities))
        print(stats["hits"], stats["misses"])
    """)
    env = _env(tmp_path)
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.splitlines()
        for _ in range(2)
    ]
    assert runs[0][0] == runs[1][0]  # the same formulas from the cache
    hits, misses = map(int, runs[0][1].split())
    assert misses > 0 and hits == 0
    hits, misses = map(int, runs[1][1].split())
    assert misses == 0 and hits > 0
