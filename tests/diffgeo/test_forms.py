"""Exterior algebra: identities checked on random polynomial forms and against vector calculus."""

from __future__ import annotations

import random
from itertools import combinations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from blogcode.diffgeo.forms import (
    Form,
    d,
    dx,
    from_array,
    interior,
    one_form,
    permutation_sign,
    prime_notation,
    wedge,
    wedge_matrix,
    zero_form,
)

X = sp.symbols("x y z w")


def random_poly(rng: random.Random, coords, deg: int = 2) -> sp.Expr:
    terms = []
    for _ in range(3):
        mono = sp.Integer(rng.randint(-3, 3))
        for _ in range(rng.randint(0, deg)):
            mono *= rng.choice(coords)
        terms.append(mono)
    return sp.expand(sum(terms))


def random_form(rng: random.Random, coords, k: int) -> Form:
    return Form(coords, k, {idx: random_poly(rng, coords)
                            for idx in combinations(range(len(coords)), k)})


def zero(form: Form) -> bool:
    return all(sp.expand(v) == 0 for v in form.comps.values())


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [0, 1, 2])
def test_dd_is_zero(seed: int, k: int) -> None:
    rng = random.Random(seed)
    a = random_form(rng, X, k)
    assert zero(d(d(a)))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("p", "q"), [(0, 1), (1, 1), (1, 2), (2, 1), (0, 2)])
def test_graded_leibniz(seed: int, p: int, q: int) -> None:
    rng = random.Random(100 + seed)
    a, b = random_form(rng, X, p), random_form(rng, X, q)
    lhs = d(wedge(a, b))
    rhs = wedge(d(a), b) + wedge(a, d(b)).scale((-1) ** p)
    assert zero(lhs - rhs)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 2), st.integers(0, 2))
def test_wedge_graded_commutative(seed: int, p: int, q: int) -> None:
    rng = random.Random(seed)
    a, b = random_form(rng, X, p), random_form(rng, X, q)
    assert zero(wedge(a, b) - wedge(b, a).scale((-1) ** (p * q)))
    if p == 1:  # a 1-form squares to zero
        assert zero(wedge(a, a))


def test_wedge_associative() -> None:
    rng = random.Random(7)
    a, b, c = (random_form(rng, X, 1) for _ in range(3))
    assert zero(wedge(wedge(a, b), c) - wedge(a, wedge(b, c)))


def test_d_matches_grad_curl_div_in_r3() -> None:
    rng = random.Random(3)
    xyz = X[:3]
    f = random_poly(rng, xyz, 3)
    F = [random_poly(rng, xyz, 3) for _ in range(3)]
    x, y, z = xyz
    # df = grad f
    assert d(zero_form(f, xyz)).array().tolist() == [sp.diff(f, c) for c in xyz]
    # d(F . dr) = curl F . dS with dS = (dy^dz, dz^dx, dx^dy)
    curl = [sp.diff(F[2], y) - sp.diff(F[1], z), sp.diff(F[0], z) - sp.diff(F[2], x),
            sp.diff(F[1], x) - sp.diff(F[0], y)]
    w = d(one_form(F, xyz))
    assert sp.expand(w.component((1, 2)) - curl[0]) == 0
    assert sp.expand(w.component((2, 0)) - curl[1]) == 0
    assert sp.expand(w.component((0, 1)) - curl[2]) == 0
    # d(F . dS) = div F dx^dy^dz
    flux = Form(xyz, 2, {(1, 2): F[0], (0, 2): -F[1], (0, 1): F[2]})
    div = sum(sp.diff(F[i], xyz[i]) for i in range(3))
    assert sp.expand(d(flux).component((0, 1, 2)) - div) == 0


def test_wedge_of_coordinate_forms_is_determinant() -> None:
    rng = random.Random(11)
    M = sp.Matrix(3, 3, lambda i, j: rng.randint(-4, 4))
    forms = [one_form(list(M.row(i)), X[:3]) for i in range(3)]
    top = wedge(wedge(forms[0], forms[1]), forms[2])
    assert top.component((0, 1, 2)) == M.det()


def test_array_roundtrip_and_component_signs() -> None:
    rng = random.Random(5)
    a = random_form(rng, X, 2)
    arr = a.array()
    for i in range(4):
        for j in range(4):
            assert arr[i, j] == -arr[j, i] == a.component((i, j))
    assert zero(from_array(arr, X) - a)
    assert permutation_sign((2, 0, 1)) == 1 and permutation_sign((1, 0, 2)) == -1
    assert permutation_sign((0, 0, 1)) == 0


def test_interior_product() -> None:
    rng = random.Random(9)
    a, b = random_form(rng, X, 1), random_form(rng, X, 1)
    V = [random_poly(rng, X, 1) for _ in range(4)]
    # i_V (a ^ b) = a(V) b - b(V) a   (antiderivation)
    aV = interior(V, a).component(())
    bV = interior(V, b).component(())
    assert zero(interior(V, wedge(a, b)) - (b.scale(aV) - a.scale(bV)))
    assert sp.expand(aV - sum(V[i] * a.component((i,)) for i in range(4))) == 0


def test_wedge_matrix_two_dim_antisymmetric_square_vanishes() -> None:
    # In 2D, omega ^ omega = 0 for any antisymmetric matrix of 1-forms (omega^1_2 = -omega^2_1).
    th, ph = sp.symbols("theta phi")
    a, b = sp.Function("a")(th, ph), sp.Function("b")(th, ph)
    w = one_form([a, b], (th, ph))
    zero1 = Form((th, ph), 1)
    om = [[zero1, w], [-w, zero1]]
    assert all(f.is_zero() for row in wedge_matrix(om, om) for f in row)


def test_latex_and_prime_notation() -> None:
    th, ph = sp.symbols("theta phi")
    w = one_form([0, -sp.cos(th)], (th, ph))
    assert w.latex() == r"- \cos{\left(\theta \right)}\, d\phi"
    assert wedge(dx(0, (th, ph)), dx(1, (th, ph))).latex() == r"d\theta \wedge d\phi"
    r = sp.Symbol("r")
    P = sp.Function("Phi")(r)
    assert sp.latex(prime_notation(sp.diff(P, r, 2) + sp.diff(P, r) ** 2, [P], r)) \
        == r"\Phi'^{2} + \Phi''"


def test_bad_input_errors() -> None:
    x, y = X[:2]
    with pytest.raises(ValueError, match="degree must be an integer in \\[0, 2\\]"):
        Form((x, y), 3)
    with pytest.raises(ValueError, match="strictly increasing"):
        Form((x, y), 2, {(1, 0): x})
    with pytest.raises(ValueError, match="out of range"):
        Form((x, y), 1, {(2,): x})
    with pytest.raises(TypeError, match="sympy Symbols"):
        Form(("x", y), 1)
    with pytest.raises(ValueError, match="distinct"):
        Form((x, x), 1)
    with pytest.raises(TypeError, match="coefficient"):
        Form((x, y), 1, {(0,): "not a number"})
    with pytest.raises(ValueError, match="different coordinates"):
        wedge(dx(0, (x, y)), dx(0, (y, x)))
    with pytest.raises(ValueError, match="cannot add a 1-form and a 2-form"):
        _ = dx(0, (x, y)) + wedge(dx(0, (x, y)), dx(1, (x, y)))
    with pytest.raises(ValueError, match="not antisymmetric"):
        from_array([[0, x], [x, 0]], (x, y))
    with pytest.raises(ValueError, match="shape"):
        from_array([[0, 1, 2], [1, 0, 3], [2, 3, 0]], (x, y))
    with pytest.raises(ValueError, match="needs 2 coefficients"):
        one_form([x], (x, y))
    with pytest.raises(ValueError, match="vector needs 2 components"):
        interior([1], dx(0, (x, y)))
    with pytest.raises(ValueError, match="shape mismatch"):
        wedge_matrix([[dx(0, (x, y))]], [[dx(0, (x, y))], [dx(1, (x, y))]])
    with pytest.raises(TypeError, match="applied undefined functions"):
        prime_notation(x, [sp.sin(x)], x)
