"""A small exterior algebra over a coordinate chart, in sympy.

A k-form on an n-dimensional chart with coordinates x^1..x^n is

    omega = (1/k!) omega_{i_1...i_k} dx^{i_1} ^ ... ^ dx^{i_k}
          = sum_{i_1 < ... < i_k} omega_{i_1...i_k} dx^{i_1} ^ ... ^ dx^{i_k},

with a totally antisymmetric coefficient array omega_{i_1...i_k}.  A :class:`Form` stores only the
independent entries (strictly increasing index tuples, zero entries dropped); :meth:`Form.component`
returns any entry with its permutation sign and :meth:`Form.array` the full antisymmetric array.

Operations:

* ``wedge(a, b)``: (a ^ b) for a p-form and a q-form, so that a ^ b = (-1)^{pq} b ^ a;
* ``d(a)``: the exterior derivative, d(f dx^I) = sum_j (df/dx^j) dx^j ^ dx^I, with d(d a) = 0 and
  d(a ^ b) = da ^ b + (-1)^p a ^ db;
* ``interior(X, a)``: the contraction (i_X a)_{i_2...i_k} = X^j a_{j i_2...i_k};
* ``wedge_matrix(A, B)``: (A ^ B)^i_k = sum_j A^i_j ^ B^j_k for matrices (nested lists) of forms.

>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> w = one_form([y, -x], (x, y))
>>> d(w).component((0, 1))
-2
>>> wedge(w, w).is_zero()
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import combinations, permutations

import sympy as sp

__all__ = [
    "Form",
    "d",
    "dx",
    "forms_matrix_latex",
    "from_array",
    "interior",
    "one_form",
    "permutation_sign",
    "prime_notation",
    "wedge",
    "wedge_matrix",
    "zero_form",
]


def permutation_sign(seq: Sequence[int]) -> int:
    """Sign of the permutation that sorts ``seq`` (0 if an entry repeats)."""
    seq = list(seq)
    if len(set(seq)) != len(seq):
        return 0
    sign = 1
    for i in range(len(seq)):  # count inversions
        for j in range(i + 1, len(seq)):
            if seq[i] > seq[j]:
                sign = -sign
    return sign


def _check_coords(coords: Iterable[sp.Symbol]) -> tuple[sp.Symbol, ...]:
    coords = tuple(coords)
    if not coords:
        raise ValueError("coords must contain at least one coordinate symbol")
    for c in coords:
        if not isinstance(c, sp.Symbol):
            raise TypeError(f"coords must be sympy Symbols, got {c!r} of type {type(c).__name__}")
    if len(set(coords)) != len(coords):
        raise ValueError(f"coords must be distinct, got {coords}")
    return coords


def _sympify(value: object) -> sp.Expr:
    try:
        expr = sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError) as exc:
        raise TypeError(f"a form coefficient must be a sympy expression or a number, "
                        f"got {value!r}") from exc
    if not isinstance(expr, sp.Expr):
        raise TypeError(f"a form coefficient must be a scalar expression, got {value!r}")
    return expr


class Form:
    """A k-form: independent coefficients keyed by strictly increasing index tuples."""

    __slots__ = ("coords", "degree", "comps")

    def __init__(self, coords: Iterable[sp.Symbol], degree: int,
                 comps: Mapping[tuple[int, ...], object] | None = None) -> None:
        self.coords = _check_coords(coords)
        n = len(self.coords)
        if not isinstance(degree, int) or isinstance(degree, bool) or not 0 <= degree <= n:
            raise ValueError(f"degree must be an integer in [0, {n}] for {n} coordinates, "
                             f"got {degree!r}")
        self.degree = degree
        self.comps: dict[tuple[int, ...], sp.Expr] = {}
        for idx, value in (comps or {}).items():
            idx = tuple(idx)
            if len(idx) != degree:
                raise ValueError(f"index {idx} has {len(idx)} entries, a {degree}-form needs "
                                 f"{degree}")
            if any(not isinstance(i, int) or not 0 <= i < n for i in idx):
                raise ValueError(f"index {idx} out of range for {n} coordinates")
            if any(a >= b for a, b in zip(idx, idx[1:], strict=False)):
                raise ValueError(f"index {idx} must be strictly increasing; use from_array for "
                                 f"a full antisymmetric array")
            expr = _sympify(value)
            if expr != 0:
                self.comps[idx] = expr

    # -- access ---------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return len(self.coords)

    def component(self, idx: Sequence[int]) -> sp.Expr:
        """omega_{i_1...i_k} for any index tuple (sign of the sorting permutation applied)."""
        idx = tuple(idx)
        if len(idx) != self.degree:
            raise ValueError(f"a {self.degree}-form has {self.degree} indices, got {idx}")
        sign = permutation_sign(idx)
        if sign == 0:
            return sp.Integer(0)
        return sign * self.comps.get(tuple(sorted(idx)), sp.Integer(0))

    def array(self) -> sp.Array:
        """The full antisymmetric coefficient array, shape (n,)*k (a scalar for k = 0)."""
        if self.degree == 0:
            return sp.Array(self.comps.get((), sp.Integer(0)))
        n = self.dim
        arr = sp.MutableDenseNDimArray.zeros(*([n] * self.degree))
        for idx, val in self.comps.items():
            for perm in permutations(range(self.degree)):
                arr[tuple(idx[p] for p in perm)] = permutation_sign(perm) * val
        return sp.ImmutableDenseNDimArray(arr)

    def is_zero(self) -> bool:
        return not self.comps

    # -- algebra --------------------------------------------------------------------------
    def _same_space(self, other: Form, op: str) -> None:
        if not isinstance(other, Form):
            raise TypeError(f"cannot {op} a Form and {type(other).__name__}")
        if other.coords != self.coords:
            raise ValueError(f"cannot {op} forms on different coordinates: {self.coords} vs "
                             f"{other.coords}")

    def __add__(self, other: Form) -> Form:
        self._same_space(other, "add")
        if other.degree != self.degree:
            raise ValueError(f"cannot add a {self.degree}-form and a {other.degree}-form")
        comps = dict(self.comps)
        for idx, val in other.comps.items():
            comps[idx] = comps.get(idx, 0) + val
        return Form(self.coords, self.degree, comps)

    def __neg__(self) -> Form:
        return Form(self.coords, self.degree, {k: -v for k, v in self.comps.items()})

    def __sub__(self, other: Form) -> Form:
        return self + (-other)

    def scale(self, factor: object) -> Form:
        """factor * omega for a scalar (0-form coefficient) ``factor``."""
        f = _sympify(factor)
        return Form(self.coords, self.degree, {k: f * v for k, v in self.comps.items()})

    __mul__ = scale

    def __rmul__(self, factor: object) -> Form:
        return self.scale(factor)

    def applyfunc(self, fn: Callable[[sp.Expr], sp.Expr]) -> Form:
        """Apply ``fn`` (e.g. ``sympy.simplify``) to every coefficient."""
        return Form(self.coords, self.degree, {k: fn(v) for k, v in self.comps.items()})

    def simplify(self) -> Form:
        return self.applyfunc(sp.simplify)

    def subs(self, *args: object, **kwargs: object) -> Form:
        return self.applyfunc(lambda e: e.subs(*args, **kwargs))

    def equals(self, other: Form) -> bool:
        """True when every coefficient of ``self - other`` simplifies to zero."""
        diff = self - other
        return all(sp.simplify(v) == 0 for v in diff.comps.values())

    def __repr__(self) -> str:
        return f"Form(degree={self.degree}, coords={self.coords}, comps={self.comps})"

    # -- output ---------------------------------------------------------------------------
    def latex(self, fn: Callable[[sp.Expr], sp.Expr] | None = None) -> str:
        """TeX for sum_I c_I dx^I, each coefficient through ``sympy.latex`` (after ``fn``)."""
        if self.degree == 0:
            return sp.latex(self.comps.get((), sp.Integer(0)))
        if not self.comps:
            return "0"
        parts = []
        for idx in sorted(self.comps):
            coef = self.comps[idx] if fn is None else fn(self.comps[idx])
            basis = r" \wedge ".join(rf"d{sp.latex(self.coords[i])}" for i in idx)
            if coef == 1:
                term = basis
            elif coef == -1:
                term = "-" + basis
            else:
                text = sp.latex(coef)
                if isinstance(coef, sp.Add):
                    text = rf"\left({text}\right)"
                term = rf"{text}\, {basis}"
            parts.append(term)
        out = parts[0]
        for p in parts[1:]:
            out += p if p.startswith("-") else " + " + p
        return out


def zero_form(f: object, coords: Iterable[sp.Symbol]) -> Form:
    """The function ``f`` as a 0-form."""
    return Form(coords, 0, {(): f})


def one_form(coeffs: Sequence[object], coords: Iterable[sp.Symbol]) -> Form:
    """sum_i coeffs[i] dx^i."""
    coords = _check_coords(coords)
    if len(coeffs) != len(coords):
        raise ValueError(f"one_form needs {len(coords)} coefficients, got {len(coeffs)}")
    return Form(coords, 1, {(i,): c for i, c in enumerate(coeffs)})


def dx(i: int, coords: Iterable[sp.Symbol]) -> Form:
    """The coordinate 1-form dx^i."""
    coords = _check_coords(coords)
    if not isinstance(i, int) or not 0 <= i < len(coords):
        raise ValueError(f"coordinate index must be in [0, {len(coords)}), got {i!r}")
    return Form(coords, 1, {(i,): 1})


def from_array(arr: object, coords: Iterable[sp.Symbol]) -> Form:
    """A k-form from its full coefficient array (shape (n,)*k), which must be antisymmetric."""
    coords = _check_coords(coords)
    n = len(coords)
    a = sp.Array(arr)
    k = a.rank()
    if a.shape != tuple([n] * k):
        raise ValueError(f"coefficient array must have shape {tuple([n] * k)} for a {k}-form on "
                         f"{n} coordinates, got {a.shape}")
    comps: dict[tuple[int, ...], sp.Expr] = {}
    for idx in combinations(range(n), k):
        base = a[idx] if k else a[()]
        for perm in permutations(range(k)):
            other = a[tuple(idx[p] for p in perm)]
            if sp.simplify(other - permutation_sign(perm) * base) != 0:
                raise ValueError(f"coefficient array is not antisymmetric at index {idx} and its "
                                 f"permutation {tuple(idx[p] for p in perm)}")
        comps[idx] = base
    if k:  # repeated indices must vanish
        for idx in _all_indices(n, k):
            if len(set(idx)) < k and sp.simplify(a[idx]) != 0:
                raise ValueError(f"coefficient array is not antisymmetric: entry {idx} with a "
                                 f"repeated index is {a[idx]}, not 0")
    return Form(coords, k, comps)


def _all_indices(n: int, k: int) -> Iterable[tuple[int, ...]]:
    if k == 0:
        yield ()
        return
    for head in range(n):
        for tail in _all_indices(n, k - 1):
            yield (head, *tail)


def wedge(a: Form, b: Form) -> Form:
    """a ^ b; for a p-form and a q-form the result is a (p+q)-form (zero when p+q > n)."""
    if not isinstance(a, Form) or not isinstance(b, Form):
        raise TypeError(f"wedge takes two Forms, got {type(a).__name__} and {type(b).__name__}")
    a._same_space(b, "wedge")
    k = a.degree + b.degree
    if k > a.dim:
        return Form(a.coords, a.dim, {})  # zero top form stands in for the (vanishing) result
    comps: dict[tuple[int, ...], sp.Expr] = {}
    for ia, va in a.comps.items():
        for ib, vb in b.comps.items():
            idx = ia + ib
            sign = permutation_sign(idx)
            if sign:
                key = tuple(sorted(idx))
                comps[key] = comps.get(key, 0) + sign * va * vb
    return Form(a.coords, k, comps)


def d(a: Form) -> Form:
    """Exterior derivative: d(sum_I c_I dx^I) = sum_I sum_j (dc_I/dx^j) dx^j ^ dx^I."""
    if not isinstance(a, Form):
        raise TypeError(f"d takes a Form, got {type(a).__name__}")
    if a.degree == a.dim:
        return Form(a.coords, a.dim, {})  # d of a top form is zero (returned as a zero top form)
    comps: dict[tuple[int, ...], sp.Expr] = {}
    for idx, val in a.comps.items():
        for j, x in enumerate(a.coords):
            if j in idx:
                continue
            dv = sp.diff(val, x)
            if dv == 0:
                continue
            full = (j, *idx)
            key = tuple(sorted(full))
            comps[key] = comps.get(key, 0) + permutation_sign(full) * dv
    return Form(a.coords, a.degree + 1, comps)


def interior(vector: Sequence[object], a: Form) -> Form:
    """Contraction i_X a with the vector field X = vector[j] d/dx^j."""
    if not isinstance(a, Form):
        raise TypeError(f"interior takes a Form, got {type(a).__name__}")
    if len(vector) != a.dim:
        raise ValueError(f"vector needs {a.dim} components, got {len(vector)}")
    if a.degree == 0:
        raise ValueError("the contraction of a 0-form is not defined")
    X = [_sympify(v) for v in vector]
    comps: dict[tuple[int, ...], sp.Expr] = {}
    for rest in combinations(range(a.dim), a.degree - 1):
        total = sum((X[j] * a.component((j, *rest)) for j in range(a.dim) if j not in rest),
                    sp.Integer(0))
        comps[rest] = total
    return Form(a.coords, a.degree - 1, comps)


def wedge_matrix(A: Sequence[Sequence[Form]], B: Sequence[Sequence[Form]]) -> list[list[Form]]:
    """(A ^ B)[i][k] = sum_j A[i][j] ^ B[j][k] for nested lists of forms (B may be a column)."""
    if not A or not B:
        raise ValueError("wedge_matrix needs non-empty matrices")
    inner = len(A[0])
    if any(len(row) != inner for row in A):
        raise ValueError("the rows of A must all have the same length")
    if len(B) != inner:
        raise ValueError(f"shape mismatch: A has {inner} columns, B has {len(B)} rows")
    cols = len(B[0])
    if any(len(row) != cols for row in B):
        raise ValueError("the rows of B must all have the same length")
    out = []
    for i in range(len(A)):
        row = []
        for k in range(cols):
            terms = [wedge(A[i][j], B[j][k]) for j in range(inner)]
            acc = terms[0]
            for t in terms[1:]:
                acc = acc + t
            row.append(acc)
        out.append(row)
    return out


def prime_notation(expr: sp.Expr, funcs: Sequence[sp.Function], var: sp.Symbol,
                   order: int = 2) -> sp.Expr:
    """Replace f(var), f'(var), f''(var)... by plain symbols ``f``, ``f'``, ``f''`` for display.

    ``funcs`` are applied functions such as ``Phi(r)``; the result is only meant for
    ``sympy.latex`` (it is no longer differentiable in ``var``).
    """
    expr = sp.sympify(expr)
    for f in funcs:
        if not isinstance(f, sp.core.function.AppliedUndef):
            raise TypeError(f"funcs must be applied undefined functions like Phi(r), got {f!r}")
        name = sp.latex(f.func)
        for k in range(order, 0, -1):
            expr = expr.subs(sp.Derivative(f, (var, k)), sp.Symbol(name + "'" * k))
        expr = expr.subs(f, sp.Symbol(name))
    return sp.factor_terms(expr)


def forms_matrix_latex(rows: Sequence[Sequence[Form]],
                       fn: Callable[[sp.Expr], sp.Expr] | None = None) -> str:
    """A ``pmatrix`` of forms (nested lists, e.g. connection or curvature forms) as TeX."""
    if not rows or any(len(row) != len(rows[0]) for row in rows):
        raise ValueError("rows must be a non-empty rectangular nested list of forms")
    body = r" \\ ".join(" & ".join(f.latex(fn) for f in row) for row in rows)
    return rf"\begin{{pmatrix}} {body} \end{{pmatrix}}"
