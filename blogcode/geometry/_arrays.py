"""One input check for the geometry modules: finite real arrays of a given trailing shape."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["real_array"]


def real_array(a: Any, name: str, last: int | None = None, layout: str = "") -> np.ndarray:
    """``a`` as a float64 array, or a clear ``TypeError`` / ``ValueError`` naming ``name``.

    Refuses non-numbers, complex numbers, NaN and infinity; with ``last``, the trailing axis
    must have that length (``layout`` names its entries in the message, e.g. ``"[x, y, z]"``).
    """
    try:
        arr = np.asarray(a)
    except Exception as exc:  # pragma: no cover - numpy raises many things
        raise TypeError(f"{name}: cannot convert {type(a).__name__} to an array") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name}: expected real numbers, got complex dtype {arr.dtype}")
    if last is not None and (arr.ndim == 0 or arr.shape[-1] != last):
        names = f" ({layout})" if layout else ""
        raise ValueError(f"{name}: expected shape (..., {last}){names}, got shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinity")
    return arr
