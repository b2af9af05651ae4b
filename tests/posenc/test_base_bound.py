"""Tests for blogcode.posenc.base_bound against independent references.

References: the explicit rotation matrices of ``blogcode.posenc.rope``; a Monte-Carlo estimate of
the expectation; plain-Python ``math.cos`` loops (brute force); ``mpmath``'s ``ci``; closed forms.
"""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.posenc import base_bound as bb
from blogcode.posenc.rope import rope_matrix


def brute_f(m: float, b: float, d: int = 128) -> float:
    return sum(math.cos(m * b ** (-2 * i / d)) for i in range(d // 2))


def brute_feasible(b: float, L: int, d: int = 128) -> bool:
    return all(brute_f(m, b, d) >= 0 for m in range(L))


# ----------------------------------------------------------------- the identity and expectation
@pytest.mark.parametrize("m,n", [(0, 5), (3, 17), (40, 2), (123, 123)])
def test_rotation_identity(m, n):
    d, b = 16, 100.0
    rng = np.random.default_rng(m * 1000 + n)
    q, k = rng.standard_normal(d), rng.standard_normal(d)
    Rm, Rn, Rnm = (rope_matrix(p, d, b) for p in (m, n, n - m))
    assert np.allclose(Rm.T @ Rn, Rnm, atol=1e-12)
    assert math.isclose((Rm @ q) @ (Rn @ k), q @ Rnm @ k, rel_tol=1e-10, abs_tol=1e-10)
    # q^T R q = sum_i (q_2i^2 + q_2i+1^2) cos(r theta_i): the antisymmetric parts cancel
    theta = b ** (-np.arange(0, d, 2) / d)
    pair = q[0::2] ** 2 + q[1::2] ** 2
    assert math.isclose(q @ Rnm @ q, float(pair @ np.cos((n - m) * theta)), abs_tol=1e-10)


def test_expectation_monte_carlo():
    """E[q^T R_r (q + eps) - q^T R_r k] = 2 sigma^2 f_b(r), q, k i.i.d. N(mu, sigma^2)."""
    d, b, mu, sigma, N = 16, 50.0, 0.7, 1.3, 100_000
    rng = np.random.default_rng(20240529)
    for r in (3, 11, 40):
        R = rope_matrix(r, d, b)
        q = mu + sigma * rng.standard_normal((N, d))
        k = mu + sigma * rng.standard_normal((N, d))
        eps = 0.5 * rng.standard_normal((N, d))
        qR = q @ R
        sample = np.einsum("nd,nd->n", qR, q + eps) - np.einsum("nd,nd->n", qR, k)
        expect = 2 * sigma**2 * float(bb.f(r, b, d))
        se = sample.std() / math.sqrt(N)
        assert abs(sample.mean() - expect) < 5 * se, (r, sample.mean(), expect, se)


# ----------------------------------------------------------------- f and friends
@settings(max_examples=40, deadline=None)
@given(m=st.floats(-1e5, 1e5), b=st.floats(1.01, 1e8), d=st.sampled_from([2, 8, 64, 128]))
def test_f_matches_brute_force(m, b, d):
    assert math.isclose(float(bb.f(m, b, d)), brute_f(m, b, d), abs_tol=1e-8)


def test_f_broadcasts_and_endpoints():
    m = np.arange(5)[:, None]
    b = np.array([10.0, 1e4, 1e6])[None, :]
    out = bb.f(m, b, 32)
    assert out.shape == (5, 3) and out.dtype == np.float64
    assert np.all(out[0] == 16.0)
    assert out[3, 1] == pytest.approx(brute_f(3, 1e4, 32), abs=1e-12)


def test_partial_rotation_never_negative():
    m = np.arange(0, 200_000, 7)
    for b in (2.0, 10.0, 1e4, 1e8):
        vals = bb.f_partial(m, b, 128, 0.5)
        assert vals.min() >= 0
        # the closed form sum_{i<d/4} (1 + cos(m b^{-4i/d}))
        j = 1234
        ref = sum(1 + math.cos(m[j] * b ** (-4 * i / 128)) for i in range(32))
        assert vals[j] == pytest.approx(ref, abs=1e-9)
    # full rotation does go negative at the same bases
    assert bb.f(m, 10.0).min() < 0


def test_asymptotic_form_and_ci_zero():
    x0 = bb.ci_first_zero()
    assert abs(mpmath.ci(x0)) < 1e-14
    assert bb.b_star_asymptotic(1000) == pytest.approx(1000 / x0)
    # (d/2)(Ci(m) - Ci(m/b))/ln b against mpmath, and against f for a large d
    m, b = 37.0, 1e3
    ref = 64 * (mpmath.ci(m) - mpmath.ci(m / b)) / mpmath.log(b)
    assert float(bb.f_asymptotic(m, b)) == pytest.approx(float(ref), rel=1e-12)
    d = 1 << 14
    ms = np.array([1.0, 5.0, 50.0, 200.0])
    rel = np.abs(bb.f(ms, b, d) - bb.f_asymptotic(ms, b, d)) / (d / 2)
    assert rel.max() < 1e-3


# ----------------------------------------------------------------- feasibility and search
@pytest.mark.parametrize("L", [1, 7, 64, 300])
def test_is_feasible_vs_brute_force(L):
    for b in np.geomspace(1.5, 20 * L, 25):
        assert bb.is_feasible(float(b), L) == brute_feasible(float(b), L), b
        assert bb.is_feasible(float(b), L, chunk=5) == brute_feasible(float(b), L)


def test_first_negative_and_profile():
    b, L = 500.0, 2000
    m0 = bb.first_negative(b, L, chunk=97)
    assert m0 > 0 and brute_f(m0, b) < 0
    assert all(brute_f(m, b) >= 0 for m in range(m0))
    bs = np.geomspace(100, 3000, 60)
    prof = bb.feasibility_profile(bs, 200)
    assert prof.tolist() == [brute_feasible(float(x), 200) for x in bs]


@pytest.mark.parametrize("L", [64, 256, 1024])
def test_b_star_is_tight(L):
    r = bb.b_star_search(L, rel_step=1e-3, rtol=1e-9)
    assert bb.is_feasible(r.b, L)
    for eps in (1e-8, 1e-6, 1e-4):
        assert not bb.is_feasible(r.b * (1 - eps), L), eps
    lo, hi = r.bracket
    assert lo < r.b <= hi and bb.is_feasible(hi, L) and not bb.is_feasible(lo, L)
    # no grid point below the answer is feasible
    grid = 2.0 * (1 + 1e-3) ** np.arange(r.grid_points - 1)
    assert not bb.feasibility_profile(grid[::25], L).any()


def test_feasibility_not_monotone_and_bisection_fails():
    L = 1024
    b_inf = bb.b_star(L)
    above = np.geomspace(b_inf, 1.5 * b_inf, 200)
    prof = bb.feasibility_profile(above, L)
    assert prof[0] and not prof.all()  # feasible at b*, infeasible somewhere above
    bad = float(above[np.flatnonzero(~prof)[0]])
    assert not brute_feasible(bad, L) and brute_feasible(b_inf, L)
    wrong = bb.b_bisect(L, 2.0, 1000.0 * L)
    assert bb.is_feasible(wrong, L) and wrong > 1.2 * b_inf


def test_coarse_grid_reports_larger():
    L = 4096
    fine = bb.b_star(L, rel_step=1e-3)
    coarse = bb.b_star(L, rel_step=1e-2)
    assert coarse > 1.05 * fine
    assert bb.b_star_coarse_to_fine(L, levels=2) >= fine * (1 - 1e-6)


def test_b_star_approaches_asymptotic_for_large_d():
    """d -> inf: b*(L, d) -> L / x0; at L = 256: d = 2048 within 2 %, d = 128 far above."""
    L = 256
    big = bb.b_star(L, 2048, rel_step=3e-3, b_lo=L / 2)
    assert big == pytest.approx(bb.b_star_asymptotic(L), rel=0.02)
    assert bb.b_star(L, 128) > 1.5 * bb.b_star_asymptotic(L)


# ----------------------------------------------------------------- bad input
def test_bad_input_messages():
    with pytest.raises(ValueError, match="positive even"):
        bb.f(1, 100.0, 7)
    with pytest.raises(TypeError, match="d must be an int"):
        bb.f(1, 100.0, 8.0)
    with pytest.raises(ValueError, match="b must be > 1"):
        bb.f(1, [0.5, 10.0])
    with pytest.raises(TypeError, match="real numbers"):
        bb.f(np.array(["a"]), 10.0)
    with pytest.raises(ValueError, match="finite"):
        bb.f(np.nan, 10.0)
    with pytest.raises(ValueError, match="L must be >= 1"):
        bb.is_feasible(10.0, 0)
    with pytest.raises(TypeError, match="L must be an int"):
        bb.is_feasible(10.0, 3.5)
    with pytest.raises(ValueError, match="finite number > 1"):
        bb.is_feasible(1.0, 10)
    with pytest.raises(ValueError, match="rel_step"):
        bb.b_star_search(100, rel_step=2.0)
    with pytest.raises(ValueError, match="no feasible base"):
        bb.b_star_search(1000, b_lo=2.0, b_hi=100.0)
    with pytest.raises(ValueError, match="even number of dimensions"):
        bb.f_partial(1, 10.0, 128, 0.3)
    with pytest.raises(ValueError, match="infeasible lo"):
        bb.b_bisect(100, 1e5, 1e6)


def test_render_results_table(tmp_path):
    src = tmp_path / "code.py"
    src.write_text("x = 1\n")
    from blogcode.publish.results import source_hash

    good = source_hash(["code.py"], tmp_path)
    data = {"rows": [{"label": "128k", "L": 131072, "b": 4.869e6, "grid_b": 4.871e6,
                      "coarse_b": 8.76e6, "full_checks": 12, "wall_s": 30.0}],
            "source_hash": good, "date": "2026-12-02T01:00:00+00:00", "machine": "test box",
            "numpy": "2.0", "python": "3.11", "command": "python bench.py", "wall_s": 31.0,
            "rel_step": 1e-3, "coarse_rel_step": 1e-2}
    path = tmp_path / "rope_base.json"
    path.write_text(json.dumps(data))
    md = bb.render_results_table(path, ["code.py"], root=tmp_path, paper={"128k": 7.8e6})
    assert "数据已过期" not in md and good in md and "test box" in md
    assert "$7.8\\times10^{6}$" in md and "$4.869\\times10^{6}$" in md and "e+06" not in md
    src.write_text("x = 2\n")
    stale = bb.render_results_table(path, ["code.py"], root=tmp_path)
    assert stale.startswith("> **数据已过期") and good in stale
    del data["rows"]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="missing key 'rows'"):
        bb.render_results_table(path, ["code.py"], root=tmp_path)
    with pytest.raises(FileNotFoundError, match="bench_rope_base"):
        bb.render_results_table(tmp_path / "nope.json", ["code.py"], root=tmp_path)


def test_committed_long_length_results_hold():
    """docs/results/rope_base.json (written by benchmarks/bench_rope_base.py) claims, for each
    long L, a base b that is feasible while b / (1 + 1e-7) is not.  Check both claims directly
    with an independent dense pass over every m < L (no chunking, no early exit)."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "docs" / "results" / "rope_base.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["d"] == 128 and len(data["source_hash"]) == 16
    d = data["d"]
    for row in data["rows"]:
        L, b = int(row["L"]), float(row["b"])
        assert row["label"].rstrip("kM").isdigit() and L in (2**17, 2**18, 2**19, 2**20)
        theta = b ** (-np.arange(0, d, 2, dtype=np.float64) / d)
        lo = (b / (1 + 1e-7)) ** (-np.arange(0, d, 2, dtype=np.float64) / d)
        worst, worst_lo = np.inf, np.inf
        for start in range(0, L, 1 << 16):  # blocks only to bound memory; every m is visited
            m = np.arange(start, min(L, start + (1 << 16)), dtype=np.float64)[:, None]
            worst = min(worst, float(np.cos(m * theta).sum(axis=1).min()))
            worst_lo = min(worst_lo, float(np.cos(m * lo).sum(axis=1).min()))
        assert worst >= 0.0, (row["label"], worst)
        assert worst_lo < 0.0, (row["label"], worst_lo)
