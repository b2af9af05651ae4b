"""The lower bound on RoPE's base ``b`` for a context length ``L`` ("semantic aggregation").

With frequencies ``theta_i = b^(-2i/d)`` (``i = 0 .. d/2 - 1``) and ``q``'s coordinates i.i.d. with
variance ``sigma^2``, a key ``k~ = q + eps`` close to ``q`` beats an independent key ``k`` on
average by

    E[q^T R_{n-m} k~ - q^T R_{n-m} k] = 2 sigma^2 f_b(n - m),   f_b(m) = sum_i cos(m theta_i).

Asking this to be ``>= 0`` for every distance ``0 <= m < L`` defines the feasible set
``B(L) = {b > 1 : f_b(m) >= 0 for all integers 0 <= m < L}`` and the bound
``b*(L) = inf B(L)``.  ``B(L)`` is *not* an interval (``b`` feasible does not make every larger
``b`` feasible), so bisection on ``b`` is wrong; :func:`b_star_search` scans a geometric grid
upwards and refines the first feasible grid cell (its docstring states what that guarantees).

Glossary: ``m`` relative distance (integer, or fractional under position interpolation), ``b``
the base, ``d`` the head size (even), ``L`` the context length, ``x0`` the first zero of the
cosine integral ``Ci`` (the ``d -> inf`` limit gives ``b*(L) ~ L / x0``).

>>> bool(is_feasible(10_000.0, 1024)), bool(is_feasible(1_000.0, 1024))
(True, False)
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "BaseSearch", "b_bisect", "b_star", "b_star_asymptotic", "b_star_coarse_to_fine",
    "b_star_search", "ci_first_zero", "f", "f_asymptotic", "f_min", "f_partial",
    "feasibility_profile", "first_negative", "is_feasible", "render_results_table",
]

_CHUNK = 4096  # distances per block in the chunked checks: 4096 x 64 float64 = 2 MiB


# --------------------------------------------------------------------------- validation
def _check_d(d: Any) -> int:
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
        raise TypeError(f"d must be an int (the head size), got {type(d).__name__}")
    if d <= 0 or d % 2:
        raise ValueError(f"d must be a positive even number (RoPE rotates pairs), got {d}")
    return int(d)


def _check_L(L: Any) -> int:
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)):
        raise TypeError(f"L must be an int (the context length), got {type(L).__name__}")
    if L < 1:
        raise ValueError(f"L must be >= 1, got {L}")
    return int(L)


def _check_b_scalar(b: Any, name: str = "b") -> float:
    try:
        b = float(b)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {type(b).__name__}") from None
    if not (math.isfinite(b) and b > 1.0):
        raise ValueError(f"{name} must be a finite number > 1, got {b}")
    return b


def _as_float64(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.integer)
                                   or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"{name} must be real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, got non-finite values")
    return arr


def _thetas(b: np.ndarray, d: int) -> np.ndarray:
    """``theta_i = b^(-2i/d)`` for every entry of ``b``: shape ``b.shape + (d/2,)``, float64."""
    s = np.arange(d // 2, dtype=np.float64) * (2.0 / d)
    return np.exp(-np.log(b)[..., None] * s)


# --------------------------------------------------------------------------- the function
def f(m: Any, b: Any, d: int = 128) -> np.ndarray:
    """``f_b(m) = sum_{i=0}^{d/2-1} cos(m b^(-2i/d))`` in float64, broadcasting ``m`` against ``b``.

    ``m`` may be fractional (position interpolation) or negative (``f`` is even in ``m``);
    ``b`` must be ``> 1``.  ``f_b(0) = d/2``.

    >>> float(f(0, 10_000.0))
    64.0
    """
    d = _check_d(d)
    m = _as_float64(m, "m")
    b = _as_float64(b, "b")
    if (b <= 1.0).any():
        raise ValueError(f"b must be > 1, got min(b) = {b.min()}")
    mb, bb = np.broadcast_arrays(m, b)
    return np.cos(mb[..., None] * _thetas(bb, d)).sum(axis=-1)


def f_partial(m: Any, b: Any, d: int = 128, rotary_fraction: float = 0.5) -> np.ndarray:
    """``f`` for partial rotation: only the first ``rotary_fraction * d`` dimensions rotate.

    The ``r = rotary_fraction * d / 2`` rotating pairs use ``theta_i = b^(-2i/(2r))`` (a RoPE of
    head size ``2r``), the other ``d/2 - r`` pairs have ``theta_i = 0`` and contribute 1 each:
    ``f = (d/2 - r) + sum_{i<r} cos(m theta_i)``, which is ``>= 0`` whenever ``r <= d/4``.
    """
    d = _check_d(d)
    frac = float(rotary_fraction)
    r2 = frac * d
    if not (0.0 < frac <= 1.0) or abs(r2 - round(r2)) > 1e-9 or round(r2) % 2:
        raise ValueError(f"rotary_fraction * d must be an even number of dimensions in (0, d], "
                         f"got {frac} * {d} = {r2}")
    r2 = int(round(r2))
    return (d - r2) / 2 + f(m, b, r2)


def f_asymptotic(m: Any, b: Any, d: int = 128) -> np.ndarray:
    """The ``d -> inf`` approximation ``f_b(m) ~ (d/2) (Ci(m) - Ci(m/b)) / ln b`` for ``m > 0``.

    From ``sum_i cos(m b^(-2i/d)) ~ (d/2) int_0^1 cos(m b^(-s)) ds`` and ``t = m b^(-s)``:
    ``int_{m/b}^{m} cos(t) / (t ln b) dt``.  At ``m = 0`` the limit ``d/2`` is returned.
    """
    from scipy.special import sici

    d = _check_d(d)
    m = np.abs(_as_float64(m, "m"))
    b = _as_float64(b, "b")
    if (b <= 1.0).any():
        raise ValueError(f"b must be > 1, got min(b) = {b.min()}")
    mb, bb = np.broadcast_arrays(m, b)
    safe = np.where(mb > 0, mb, 1.0)
    val = (sici(safe)[1] - sici(safe / bb)[1]) / np.log(bb)
    return (d / 2) * np.where(mb > 0, val, 1.0)


@lru_cache(maxsize=1)
def ci_first_zero() -> float:
    """The first positive zero ``x0 = 0.6165...`` of ``Ci(x) = -int_x^inf cos(t)/t dt``.

    ``Ci`` increases from ``-inf`` on ``(0, pi/2]``, so the zero is bracketed by ``[0.1, pi/2]``
    and found with Brent's method to machine precision.
    """
    from scipy.optimize import brentq
    from scipy.special import sici

    return float(brentq(lambda x: sici(x)[1], 0.1, math.pi / 2, xtol=1e-15, rtol=1e-15))


def b_star_asymptotic(L: int) -> float:
    """``L / x0``: the smallest ``b`` with ``m / b <= x0`` for all ``m < L`` -- i.e. ``(L-1)/x0``
    -- rounded up to the article's form ``L / x0`` (``d -> inf``, ``Ci(m)`` dropped)."""
    L = _check_L(L)
    return L / ci_first_zero()


# --------------------------------------------------------------------------- feasibility
def first_negative(b: float, L: int, d: int = 128, chunk: int = _CHUNK) -> int:
    """The smallest integer ``0 <= m < L`` with ``f_b(m) < 0``, or ``-1`` if there is none.

    Chunked over ``m`` (``chunk`` distances at a time, float64) with an exit at the first chunk
    that contains a negative value, so an infeasible ``b`` usually costs far less than ``L * d/2``
    cosines.  ``L_max(b) = first_negative(b, inf)`` is the "inverse function" of ``b*``.
    """
    b = _check_b_scalar(b)
    L, d = _check_L(L), _check_d(d)
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    theta = _thetas(np.asarray(b), d)
    for start in range(0, L, chunk):
        m = np.arange(start, min(start + chunk, L), dtype=np.float64)
        vals = np.cos(m[:, None] * theta).sum(axis=1)
        neg = np.flatnonzero(vals < 0)
        if neg.size:
            return int(start + neg[0])
    return -1


def is_feasible(b: float, L: int, d: int = 128, chunk: int = _CHUNK) -> bool:
    """Whether ``f_b(m) >= 0`` for every integer ``0 <= m < L`` (chunked, early exit)."""
    return first_negative(b, L, d, chunk) < 0


def f_min(b: float, L: int, d: int = 128, chunk: int = _CHUNK) -> tuple[float, int]:
    """``(min_{0<=m<L} f_b(m), argmin)`` by a full chunked pass (no early exit)."""
    b = _check_b_scalar(b)
    L, d = _check_L(L), _check_d(d)
    theta = _thetas(np.asarray(b), d)
    best, arg = math.inf, -1
    for start in range(0, L, chunk):
        m = np.arange(start, min(start + chunk, L), dtype=np.float64)
        vals = np.cos(m[:, None] * theta).sum(axis=1)
        j = int(np.argmin(vals))
        if vals[j] < best:
            best, arg = float(vals[j]), start + j
    return best, arg


class _Witnesses:
    """Distances at which recent bases failed: a cheap, exact way to reject nearby bases.

    A base is rejected only by an actual negative ``f_b(m)`` at a witness ``m``, so the cache
    changes the cost of the search, never its answer.
    """

    def __init__(self, d: int, cap: int = 256) -> None:
        self.d, self.cap = d, cap
        self.ms: list[int] = []

    def add(self, ms: Any) -> None:
        for m in np.atleast_1d(ms).tolist():
            if m in self.ms:
                self.ms.remove(m)
            self.ms.insert(0, int(m))
        del self.ms[self.cap:]

    def rejects(self, bs: np.ndarray) -> np.ndarray:
        """Boolean ``[len(bs)]``: True where some witness has ``f_b(m) < 0``."""
        if not self.ms:
            return np.zeros(bs.shape, dtype=bool)
        w = np.asarray(self.ms, dtype=np.float64)
        vals = np.cos(w[None, :, None] * _thetas(bs, self.d)[:, None, :]).sum(axis=-1)
        return (vals < 0).any(axis=1)


def _full_check(b: float, L: int, d: int, wit: _Witnesses, chunk: int) -> bool:
    # Descending chunks: near the threshold the failures sit at large distances.
    theta = _thetas(np.asarray(b), d)
    for start in reversed(range(0, L, chunk)):
        m = np.arange(start, min(start + chunk, L), dtype=np.float64)
        vals = np.cos(m[:, None] * theta).sum(axis=1)
        neg = np.flatnonzero(vals < 0)
        if neg.size:
            worst = neg[np.argsort(vals[neg])[:8]]
            wit.add(start + worst)
            return False
    return True


def feasibility_profile(bs: Any, L: int, d: int = 128, chunk: int = _CHUNK) -> np.ndarray:
    """``is_feasible(b, L, d)`` for every ``b`` in ``bs`` (exact; witnesses only cut the cost)."""
    L, d = _check_L(L), _check_d(d)
    bs = _as_float64(bs, "bs")
    if bs.ndim != 1 or (bs <= 1.0).any():
        raise ValueError(f"bs must be a 1-D array of bases > 1, got shape {bs.shape}")
    wit = _Witnesses(d)
    out = np.zeros(bs.shape, dtype=bool)
    for j, b in enumerate(bs):
        if not wit.rejects(np.asarray([b]))[0]:
            out[j] = _full_check(float(b), L, d, wit, chunk)
    return out


# --------------------------------------------------------------------------- the search
@dataclass(frozen=True)
class BaseSearch:
    """What :func:`b_star_search` found.

    ``b`` is feasible and ``b / (1 + rtol)`` is not; ``bracket`` is the grid cell
    ``(g_{k-1}, g_k)`` that was refined (``g_{k-1}`` infeasible, ``g_k`` feasible); every grid
    point below ``g_k`` is infeasible.
    """

    b: float
    L: int
    d: int
    rel_step: float
    bracket: tuple[float, float]
    grid_points: int
    full_checks: int
    extra: dict[str, Any] = field(default_factory=dict)


def b_star_search(L: int, d: int = 128, *, rel_step: float = 1e-3, b_lo: float = 2.0,
                  b_hi: float | None = None, rtol: float = 1e-7, chunk: int = _CHUNK,
                  batch: int = 512) -> BaseSearch:
    """``b*(L) = inf {b : f_b(m) >= 0 for all integers 0 <= m < L}``, by scan + refinement.

    1. Scan the geometric grid ``g_j = b_lo (1 + rel_step)^j`` upwards to ``b_hi`` (default
       ``1000 L``) and stop at the first feasible point ``g_k``.  Each point is first tested on a
       small set of "witness" distances where earlier bases failed (vectorised over a batch of
       bases); only survivors get the full chunked check, which adds new witnesses on failure.
    2. Refine the cell ``(g_{k-1}, g_k)`` by bisection (lo infeasible, hi feasible) until
       ``hi / lo - 1 <= rtol``; return ``hi``.

    Guarantee (exact arithmetic up to float64 rounding of ``f``): the returned ``b`` is feasible;
    ``b / (1 + rtol)`` is infeasible; no grid point in ``[b_lo, b)`` is feasible.  A feasible
    window of relative width below ``rel_step`` lying between two grid points can be missed, so
    the result is an upper bound on ``b*(L)`` over ``[b_lo, b_hi]`` that tightens (never
    loosens, for nested grids) as ``rel_step`` shrinks.  Raises ``ValueError`` if no grid point
    is feasible.
    """
    L, d = _check_L(L), _check_d(d)
    b_lo = _check_b_scalar(b_lo, "b_lo")
    b_hi = 1000.0 * L if b_hi is None else _check_b_scalar(b_hi, "b_hi")
    if not b_hi > b_lo:
        raise ValueError(f"need b_hi > b_lo, got b_lo={b_lo}, b_hi={b_hi}")
    if not (0 < rel_step < 1):
        raise ValueError(f"rel_step must be in (0, 1), got {rel_step}")
    if not (0 < rtol < rel_step):
        raise ValueError(f"rtol must be in (0, rel_step), got {rtol}")
    n = int(math.ceil(math.log(b_hi / b_lo) / math.log1p(rel_step))) + 1
    wit = _Witnesses(d)
    full = 0
    found = -1
    for start in range(0, n, batch):
        js = np.arange(start, min(start + batch, n))
        bs = b_lo * np.exp(js * math.log1p(rel_step))
        alive = ~wit.rejects(bs)
        for j in np.flatnonzero(alive):
            b = float(bs[j])
            if wit.rejects(np.asarray([b]))[0]:  # witnesses found since the batch test
                continue
            full += 1
            if _full_check(b, L, d, wit, chunk):
                found = int(js[j])
                break
        if found >= 0:
            break
    if found < 0:
        raise ValueError(f"no feasible base on the grid [{b_lo:g}, {b_hi:g}] for L={L}, d={d}")
    hi = b_lo * math.exp(found * math.log1p(rel_step))
    if found == 0:
        raise ValueError(f"b_lo={b_lo:g} is already feasible for L={L}; lower b_lo")
    lo = b_lo * math.exp((found - 1) * math.log1p(rel_step))
    cell = (lo, hi)
    while hi / lo - 1 > rtol:
        mid = math.sqrt(lo * hi)
        if wit.rejects(np.asarray([mid]))[0]:
            lo = mid
            continue
        full += 1
        if _full_check(mid, L, d, wit, chunk):
            hi = mid
        else:
            lo = mid
    return BaseSearch(b=hi, L=L, d=d, rel_step=rel_step, bracket=cell, grid_points=found + 1,
                      full_checks=full)


def b_star(L: int, d: int = 128, **kw: Any) -> float:
    """:func:`b_star_search`'s ``b`` (see there for the options and the guarantee)."""
    return b_star_search(L, d, **kw).b


def b_bisect(L: int, lo: float, hi: float, d: int = 128, rtol: float = 1e-7) -> float:
    """Plain bisection on ``b`` (the *wrong* method: it assumes feasibility is monotone in ``b``).

    Needs ``lo`` infeasible and ``hi`` feasible; returns *a* point where feasibility switches,
    which need not be the infimum when the feasible set has gaps.
    """
    L, d = _check_L(L), _check_d(d)
    lo, hi = _check_b_scalar(lo, "lo"), _check_b_scalar(hi, "hi")
    if is_feasible(lo, L, d) or not is_feasible(hi, L, d):
        raise ValueError("b_bisect needs an infeasible lo and a feasible hi")
    while hi / lo - 1 > rtol:
        mid = math.sqrt(lo * hi)
        if is_feasible(mid, L, d):
            hi = mid
        else:
            lo = mid
    return hi


def b_star_coarse_to_fine(L: int, d: int = 128, levels: int = 5, start: float | None = None
                          ) -> float:
    """The article's search: ``B = 1000 L``; for ``k = 1..levels`` split ``[0, B]`` into ``10^k``
    equal parts and set ``B`` to the smallest feasible division point.

    Each level only looks at a grid of spacing ``B / 10^k``, so a feasible window narrower than
    that is skipped; the answer is a grid point, an upper bound on ``b*``.
    """
    L, d = _check_L(L), _check_d(d)
    if not (isinstance(levels, int) and levels >= 1):
        raise ValueError(f"levels must be an int >= 1, got {levels!r}")
    B = 1000.0 * L if start is None else _check_b_scalar(start, "start")
    wit = _Witnesses(d)
    for k in range(1, levels + 1):
        bs = np.linspace(0.0, 1.0, 10**k + 1)[1:] * B
        bs = bs[bs > 1.0]
        for s0 in range(0, bs.size, 512):
            blk = bs[s0:s0 + 512]
            alive = np.flatnonzero(~wit.rejects(blk))
            hit = next((float(blk[j]) for j in alive
                        if not wit.rejects(blk[j:j + 1])[0]
                        and _full_check(float(blk[j]), L, d, wit, _CHUNK)), None)
            if hit is not None:
                B = hit
                break
    return B


# --------------------------------------------------------------------------- results file
def render_results_table(path: Path | str, sources: list[str] | tuple[str, ...],
                         root: Path | str | None = None, paper: dict[str, float] | None = None,
                         article: dict[str, float] | None = None) -> str:
    """Markdown for the long-``L`` results file: stale notice (if any), table, provenance.

    ``sources`` are the files whose hash the file records (relative to ``root``, default the
    repository root); when the recorded ``source_hash`` differs from today's, the table is shown
    under :func:`blogcode.publish.results.stale_banner`'s notice.  ``paper`` / ``article`` map a
    length label (``"128k"``) to the published values, shown beside ours.
    """
    import json

    from blogcode.publish import results as res
    from blogcode.publish.deps import depends_on
    from blogcode.publish.fmt import sci

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"results file {path} does not exist; run "
                                "`nox -s bench_rope_base` to produce it")
    depends_on(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in ("rows", "source_hash", "date", "machine", "numpy", "python", "command",
                "wall_s", "rel_step"):
        if key not in data:
            raise ValueError(f"{path}: missing key {key!r}")
    root = res.REPO_ROOT if root is None else Path(root)
    current = res.source_hash(list(sources), root)
    parts = []
    banner = res.stale_banner(path.name, data["source_hash"], current,
                              command="nox -s bench_rope_base")
    if banner:
        parts.append(banner.rstrip("\n"))
    paper, article = paper or {}, article or {}
    head = ["$L$", "论文", "原文", "粗网格", "细网格", "细化后", "全量检查次数", "用时 (s)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in data["rows"]:
        lab = row["label"]
        cells = [lab,
                 f"${sci(paper[lab])}$" if lab in paper else "—",
                 f"${sci(article[lab])}$" if lab in article else "—",
                 f"${sci(row['coarse_b'], 3)}$" if "coarse_b" in row else "—",
                 f"${sci(row['grid_b'], 3)}$", f"${sci(row['b'], 4)}$",
                 str(row["full_checks"]), f"{row['wall_s']:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    parts.append("\n".join(lines))
    when = _dt.datetime.fromisoformat(data["date"]).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(
        f"结果文件 `{path.name}`：{when} 在 {data['machine']} 上由 `{data['command']}` 算出"
        f"（单核，总用时 {data['wall_s']:.0f} s；numpy {data['numpy']}，Python {data['python']}；"
        f"细网格相对步长 ${sci(data['rel_step'])}$，粗网格 "
        f"${sci(data.get('coarse_rel_step', float('nan')))}$）；源码哈希 `{data['source_hash']}`"
        + ("，与当前源码一致。" if not banner else "。"))
    return "\n\n".join(parts) + "\n"
