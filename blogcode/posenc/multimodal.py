"""RoPE-2D and RoPE-Tie positions for mixed text--image sequences.

Glossary (the article's symbols):

* ``d``       -- head dimension of ``q``, ``k`` (a multiple of 4 for RoPE-2D: two halves, each
  rotated in pairs);
* ``(x, y)``  -- a 2D position; for an image patch ``x`` is the row ``i = 1..h`` and ``y`` the
  column ``j = 1..w`` (a ``w x h`` image has ``w`` columns and ``h`` rows);
* ``L``       -- position of the last text token before an image (text token ``n`` sits at
  ``(n, n)``);
* ``s, t``    -- scales of the image's row and column indices; ``K`` -- position of the first
  text token after the image.

RoPE-2D rotates the first half of a vector by ``x`` and the second half by ``y``:
``R_{x,y} = diag(R_x, R_y)``, so ``(R_{x,y} q)^T (R_{x',y'} k) = q^T R_{x'-x, y'-y} k``.
With ``freqs="split"`` the two halves take the even- and odd-indexed frequencies of the
``d``-dimensional RoPE-1D, so ``R_{n,n}`` *is* ``R_n^{(d x d)}`` up to a fixed permutation of
coordinates (:func:`rope1d_permutation`): text at ``(n, n)`` reproduces RoPE-1D exactly.

RoPE-Tie places a ``w x h`` image after text ending at ``(L, L)`` at
``(L + i s, L + j t)`` and the next text token at ``(K, K)``.  Requiring the step into the
image, ``(s, t)``, to equal the step out of it, ``(K - L - h s, K - L - w t)``, gives

    (h + 1) s = (w + 1) t = K - L,

solved by ``s = w + 1, t = h + 1`` (integers, ``K = L + (w+1)(h+1)``) or by
``s = (wh+1)/(h+1), t = (wh+1)/(w+1)`` (``K = L + wh + 1``: the image counts as ``wh`` tokens).

Example::

    >>> from blogcode.posenc.multimodal import Image, rope_tie_positions
    >>> p = rope_tie_positions([2, Image(w=3, h=2), 1])
    >>> p.positions[:3].tolist()
    [[1.0, 1.0], [2.0, 2.0], [6.0, 5.0]]
    >>> p.positions[-1].tolist()
    [14.0, 14.0]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .rope import apply_rope, rope_frequencies

__all__ = [
    "FREQS",
    "SCALES",
    "Image",
    "Positions",
    "flatten_positions",
    "grid_order_stretch",
    "rope1d_permutation",
    "rope2d_apply",
    "rope2d_frequencies",
    "rope_scores",
    "rope_tie_positions",
    "tie_scales",
    "typesetting_positions",
]

FREQS = ("split", "shared")
SCALES = ("integer", "area", "unit")

#: Codes in :attr:`Positions.kinds`.
TEXT, PATCH, SEPARATOR = 0, 1, 2


@dataclass(frozen=True)
class Image:
    """A ``w x h`` grid of patches: ``w`` columns (width), ``h`` rows (height)."""

    w: int
    h: int

    def __post_init__(self) -> None:
        for name in ("w", "h"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"Image.{name} must be a positive int, got {v!r}")


@dataclass(frozen=True)
class Positions:
    """Positions of a mixed sequence, one row per token or patch, in sequence order.

    ``positions``: float64 ``[N, 2]``; ``kinds``: int ``[N]`` (0 text, 1 patch, 2 separator);
    ``segment``: int ``[N]``, index of the input segment each unit came from (separators belong
    to their image); ``grid``: int ``[N, 2]``, ``(i, j)`` (1-based row, column) for patches and
    ``(0, 0)`` otherwise; ``scales``: ``(s, t)`` of each image, in input order.
    """

    positions: np.ndarray
    kinds: np.ndarray
    segment: np.ndarray
    grid: np.ndarray
    scales: tuple[tuple[float, float], ...]

    def __len__(self) -> int:
        return int(self.positions.shape[0])


def _check_segments(segments: Any) -> list[int | Image]:
    if isinstance(segments, (str, bytes)) or not isinstance(segments, Sequence):
        raise TypeError("segments must be a sequence of ints (text lengths) and Image objects, "
                        f"got {type(segments).__name__}")
    out: list[int | Image] = []
    for k, seg in enumerate(segments):
        if isinstance(seg, Image):
            out.append(seg)
        elif isinstance(seg, (int, np.integer)) and not isinstance(seg, bool):
            if seg < 1:
                raise ValueError(f"segments[{k}]: a text segment needs >= 1 token, got {seg}")
            out.append(int(seg))
        else:
            raise TypeError(f"segments[{k}] must be an int (number of text tokens) or an Image, "
                            f"got {seg!r}")
    if not out:
        raise ValueError("segments is empty")
    return out


def tie_scales(w: int, h: int, scale: str = "integer") -> tuple[float, float, float]:
    """``(s, t, K - L)`` for a ``w x h`` image under RoPE-Tie.

    ``"integer"``: ``s = w+1, t = h+1``, ``K - L = (w+1)(h+1)``;
    ``"area"``: ``s = (wh+1)/(h+1), t = (wh+1)/(w+1)``, ``K - L = wh + 1``;
    ``"unit"``: ``s = t = 1`` and ``K - L = max(w, h) + 1`` (the unscaled first attempt, not
    symmetric when ``w != h``).
    """
    img = Image(w, h)
    w, h = int(img.w), int(img.h)
    if scale == "integer":
        return float(w + 1), float(h + 1), float((w + 1) * (h + 1))
    if scale == "area":
        a = float(w * h + 1)
        return a / (h + 1), a / (w + 1), a
    if scale == "unit":
        return 1.0, 1.0, float(max(w, h) + 1)
    raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")


def rope_tie_positions(segments: Sequence[int | Image], *, scale: str = "integer",
                       separators: bool = False, start: float = 1.0) -> Positions:
    """RoPE-Tie 2D positions of a sequence of text runs and images.

    ``segments``: ints (a run of that many text tokens) and :class:`Image` objects, in order.
    Text token ``n`` is at ``(n, n)``, the first one at ``(start, start)``.  An image after
    text ending at ``(L, L)`` puts patch ``(i, j)`` at ``(L + i s, L + j t)`` (``s, t`` from
    :func:`tie_scales`) and moves the text cursor so that the next text token is at
    ``(K, K)``.  ``separators=True`` wraps each image in ``[IMG]`` / ``[/IMG]`` tokens that are
    positioned as text, so no two images are ever adjacent.  A sequence that starts with an
    image behaves as if text ended at ``start - 1``.
    """
    segs = _check_segments(segments)
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    if not math.isfinite(float(start)):
        raise ValueError(f"start must be finite, got {start}")
    pos: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    seg_id: list[np.ndarray] = []
    grid: list[np.ndarray] = []
    scales: list[tuple[float, float]] = []
    last = float(start) - 1.0  # position of the last text token so far

    def add_text(n: int, k: int, kind: int) -> None:
        nonlocal last
        p = last + np.arange(1, n + 1, dtype=np.float64)
        pos.append(np.stack([p, p], axis=1))
        kinds.append(np.full(n, kind))
        seg_id.append(np.full(n, k))
        grid.append(np.zeros((n, 2), dtype=np.int64))
        last = float(p[-1])

    for k, seg in enumerate(segs):
        if isinstance(seg, int):
            add_text(seg, k, TEXT)
            continue
        if separators:
            add_text(1, k, SEPARATOR)
        s, t, gap = tie_scales(seg.w, seg.h, scale)
        i, j = np.meshgrid(np.arange(1, seg.h + 1), np.arange(1, seg.w + 1), indexing="ij")
        i, j = i.ravel(), j.ravel()  # row-major: row i, then column j
        pos.append(np.stack([last + i * s, last + j * t], axis=1))
        kinds.append(np.full(i.size, PATCH))
        seg_id.append(np.full(i.size, k))
        grid.append(np.stack([i, j], axis=1))
        scales.append((s, t))
        last = last + gap - 1.0  # so the next text token lands on K = L + gap
        if separators:
            add_text(1, k, SEPARATOR)
    return Positions(np.concatenate(pos), np.concatenate(kinds), np.concatenate(seg_id),
                     np.concatenate(grid), tuple(scales))


def typesetting_positions(segments: Sequence[int | Image], *,
                          separators: bool = False) -> Positions:
    """The "typesetting" 2D positions (the scheme the article rejects).

    Images split the text into lines: each maximal text run is one line ``x`` with in-line
    index ``y = 1, 2, ...``; a ``w x h`` image occupies the next ``h`` lines, patch ``(i, j)`` at
    ``(x + i - 1, j)``.  Pure text is then ``(1, n)``: the first coordinate never changes.
    """
    segs = _check_segments(segments)
    pos: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    seg_id: list[np.ndarray] = []
    grid: list[np.ndarray] = []
    line = 1
    prev_text = False  # whether the current line already holds text

    def add_text(n: int, k: int, kind: int) -> None:
        nonlocal line, prev_text
        start = 1
        if prev_text:  # continue the current line
            start = int(pos[-1][-1, 1]) + 1
        y = np.arange(start, start + n, dtype=np.float64)
        pos.append(np.stack([np.full(n, float(line)), y], axis=1))
        kinds.append(np.full(n, kind))
        seg_id.append(np.full(n, k))
        grid.append(np.zeros((n, 2), dtype=np.int64))
        prev_text = True

    for k, seg in enumerate(segs):
        if isinstance(seg, int):
            add_text(seg, k, TEXT)
            continue
        if separators:
            add_text(1, k, SEPARATOR)
        if prev_text:
            line += 1
        i, j = np.meshgrid(np.arange(1, seg.h + 1), np.arange(1, seg.w + 1), indexing="ij")
        i, j = i.ravel(), j.ravel()
        pos.append(np.stack([line + i - 1.0, j.astype(np.float64)], axis=1))
        kinds.append(np.full(i.size, PATCH))
        seg_id.append(np.full(i.size, k))
        grid.append(np.stack([i, j], axis=1))
        line += seg.h
        prev_text = False
        if separators:
            add_text(1, k, SEPARATOR)
    return Positions(np.concatenate(pos), np.concatenate(kinds), np.concatenate(seg_id),
                     np.concatenate(grid), ())


def flatten_positions(w: int, h: int, *, start: int = 0, row_separator: bool = False,
                      order: str = "row") -> np.ndarray:
    """1D positions of a ``w x h`` patch grid flattened into a sequence, as int ``[h, w]``.

    ``order="row"`` (rows one after another): patch ``(i, j)`` (0-based) gets
    ``start + i * (w + sep) + j``, where ``sep = 1`` if a ``[SEP]`` token ends each row;
    ``order="column"``: ``start + j * (h + sep) + i``.  Right neighbours are then 1 apart and
    lower neighbours ``w + sep`` apart (for row order), although both are at 2D distance 1.
    """
    img = Image(w, h)
    if order not in ("row", "column"):
        raise ValueError(f"order must be 'row' or 'column', got {order!r}")
    sep = int(bool(row_separator))
    i, j = np.meshgrid(np.arange(img.h), np.arange(img.w), indexing="ij")
    if order == "row":
        return int(start) + i * (img.w + sep) + j
    return int(start) + j * (img.h + sep) + i


def grid_order_stretch(w: int, h: int) -> tuple[int, int, int]:
    """Brute force over all orderings of a small ``w x h`` grid (``w * h <= 9``).

    Each ordering maps the grid's cells to positions ``0 .. wh-1``.  Returns
    ``(n_edges, best_unit, best_max)``: the number of grid-adjacent pairs (2D distance 1),
    the largest number of them any ordering puts at 1D distance 1, and the smallest possible
    largest 1D distance between adjacent cells (the grid's bandwidth).
    """
    img = Image(w, h)
    n = img.w * img.h
    if n > 9:
        raise ValueError(f"brute force needs w * h <= 9 ({n}! orderings otherwise), got {w}x{h}")
    cells = [(i, j) for i in range(img.h) for j in range(img.w)]
    index = {c: k for k, c in enumerate(cells)}
    edges = [(index[(i, j)], index[(i + di, j + dj)]) for (i, j) in cells
             for di, dj in ((0, 1), (1, 0)) if (i + di, j + dj) in index]
    a, b = np.array(edges).T
    perms = np.array(list(itertools.permutations(range(n))), dtype=np.int8)  # [n!, n]
    dist = np.abs(perms[:, a].astype(np.int16) - perms[:, b])  # [n!, n_edges]
    return len(edges), int((dist == 1).sum(1).max()), int(dist.max(1).min())


def rope2d_frequencies(dim: int, base: float = 10000.0,
                       freqs: str = "split") -> tuple[np.ndarray, np.ndarray]:
    """Frequencies ``(theta_x, theta_y)``, each ``dim/4`` long, of RoPE-2D on ``dim`` dims.

    ``"split"``: the even- and odd-indexed frequencies ``base^(-2i/dim)`` of the
    ``dim``-dimensional RoPE-1D (so that ``(n, n)`` is RoPE-1D); ``"shared"``: both halves use
    the RoPE-1D frequencies of ``dim/2`` dimensions (the article's symmetric ``R_{x,y}``).
    """
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if dim <= 0 or dim % 4:
        raise ValueError(f"dim must be a positive multiple of 4 for RoPE-2D (two halves of "
                         f"rotated pairs), got {dim}")
    if freqs == "split":
        theta = rope_frequencies(int(dim), base)
        return theta[0::2].copy(), theta[1::2].copy()
    if freqs == "shared":
        theta = rope_frequencies(int(dim) // 2, base)
        return theta, theta.copy()
    raise ValueError(f"freqs must be one of {FREQS}, got {freqs!r}")


def _as_float_array(x: Any, name: str) -> np.ndarray:
    if type(x).__module__.startswith("torch"):
        raise TypeError(f"{name} must be a numpy array (call .numpy() on the tensor)")
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must be a floating-point array, got dtype {x.dtype}")
    return x


def rope2d_apply(x: Any, positions_2d: Any, base: float = 10000.0,
                 freqs: str = "split") -> np.ndarray:
    """RoPE-2D: rotate ``x[..., N, d]`` by ``R_{x_l, y_l}`` row by row.

    The first half ``x[..., :d/2]`` is rotated in interleaved pairs ``(2m, 2m+1)`` by angles
    ``x_l * theta_x``, the second half by ``y_l * theta_y`` (see :func:`rope2d_frequencies`).
    ``positions_2d``: real ``[N, 2]``.  Returns an array of ``x``'s dtype (angles in float64).
    """
    x = _as_float_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have shape [..., N, d], got shape {x.shape}")
    n, dim = x.shape[-2], x.shape[-1]
    theta_x, theta_y = rope2d_frequencies(int(dim), base, freqs)
    pos = np.asarray(positions_2d, dtype=np.float64)
    if pos.shape != (n, 2):
        raise ValueError(f"positions_2d must have shape ({n}, 2) to match x's length axis, "
                         f"got shape {pos.shape}")
    if not np.isfinite(pos).all():
        raise ValueError("positions_2d contains NaN or infinite values")
    angle = np.concatenate([pos[:, :1] * theta_x, pos[:, 1:] * theta_y], axis=1)  # [N, d/2]
    cos, sin = np.cos(angle).astype(x.dtype), np.sin(angle).astype(x.dtype)
    out = np.empty_like(x)
    x0, x1 = x[..., 0::2], x[..., 1::2]  # pair m of the whole vector: (2m, 2m+1)
    out[..., 0::2] = x0 * cos - x1 * sin
    out[..., 1::2] = x1 * cos + x0 * sin
    return out


def rope1d_permutation(dim: int) -> np.ndarray:
    """Permutation ``perm`` with ``rope2d_apply(x, (n, n))[..., perm] ==
    apply_rope(x[..., perm], n)`` (``freqs="split"``, interleaved RoPE-1D of ``dim`` dims).

    RoPE-1D pair ``2m`` (frequency ``theta_{2m}``) is RoPE-2D pair ``m`` of the first half,
    RoPE-1D pair ``2m+1`` is pair ``m`` of the second half.
    """
    rope2d_frequencies(dim)  # validates dim
    q = dim // 4
    m = np.arange(q)
    pairs = np.empty((dim // 2, 2), dtype=np.int64)
    pairs[0::2] = np.stack([2 * m, 2 * m + 1], axis=1)
    pairs[1::2] = np.stack([dim // 2 + 2 * m, dim // 2 + 2 * m + 1], axis=1)
    return pairs.ravel()


def rope_scores(q: Any, k: Any, positions: Any, base: float = 10000.0,
                freqs: str = "split") -> np.ndarray:
    """Raw attention scores ``S[a, b] = (R_{p_a} q_a)^T (R_{p_b} k_b)`` of a sequence.

    ``q``, ``k``: float ``[N, d]``.  ``positions``: ``[N]`` for RoPE-1D (interleaved
    :func:`~blogcode.posenc.rope.apply_rope`) or ``[N, 2]`` for RoPE-2D
    (:func:`rope2d_apply`).  No scaling, mask or softmax: these are the logits before them.
    """
    q, k = _as_float_array(q, "q"), _as_float_array(k, "k")
    if q.ndim != 2 or q.shape != k.shape:
        raise ValueError(f"q and k must both have shape [N, d], got {q.shape} and {k.shape}")
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim == 1:
        qr, kr = apply_rope(q, pos, base), apply_rope(k, pos, base)
    elif pos.ndim == 2:
        qr, kr = rope2d_apply(q, pos, base, freqs), rope2d_apply(k, pos, base, freqs)
    else:
        raise ValueError(f"positions must have shape [N] or [N, 2], got shape {pos.shape}")
    return qr @ kr.T
