"""Numbers written for TeX: the one way post code puts a number inside ``$...$``.

Python's ``f"{x:.1e}"`` gives ``1.4e-13``, which MathJax sets as the product of
1.4, an italic variable *e* and -13.  Every block that prints a number in math
goes through :func:`sci` (always scientific) or :func:`num` (plain decimal in a
readable range, scientific outside it); a site test fails on ``1.4e-13`` inside
math on any page.

>>> sci(1.4e-13)
'1.4\\\\times10^{-13}'
>>> sci(3.8e20, 3)
'3.80\\\\times10^{20}'
>>> sci(1e-5)
'10^{-5}'
>>> sci(-2.5e-3, 2)
'-2.5\\\\times10^{-3}'
>>> num(0.0123), num(12345.6), num(7)
('0.012', '1.2\\\\times10^{4}', '7')
>>> sci(0.0), sci(float("inf")), sci(float("nan"))
('0', '\\\\infty', '\\\\text{NaN}')
"""

from __future__ import annotations

import math
from decimal import Decimal

__all__ = ["num", "sci"]


def _mantissa_exponent(x: float, digits: int) -> tuple[str, int]:
    if digits < 1:
        raise ValueError(f"digits must be >= 1, got {digits}")
    d = Decimal(repr(float(x))) if not isinstance(x, int) else Decimal(x)
    text = f"{abs(d):.{digits - 1}e}"  # e.g. '1.40e-13' (rounded to `digits` significant)
    mant, _, exp = text.partition("e")
    return mant, int(exp)


def sci(x: float, digits: int = 2) -> str:
    """``x`` as TeX in scientific notation with ``digits`` significant digits.

    ``1.4\\times10^{-13}``; a mantissa of exactly 1 is dropped (``10^{-5}``); an
    exponent of 0 gives the bare mantissa.  Zero, infinities and NaN are written
    ``0``, ``\\infty`` and ``\\text{NaN}``.
    """
    x = float(x) if not isinstance(x, int) else x
    if isinstance(x, float) and math.isnan(x):
        return "\\text{NaN}"
    if isinstance(x, float) and math.isinf(x):
        return "\\infty" if x > 0 else "-\\infty"
    if x == 0:
        return "0"
    mant, exp = _mantissa_exponent(x, digits)
    sign = "-" if x < 0 else ""
    if exp == 0:
        return sign + mant
    if float(mant) == 1.0:
        return f"{sign}10^{{{exp}}}"
    return f"{sign}{mant}\\times10^{{{exp}}}"


def num(x: float, digits: int = 2, low: float = 1e-3, high: float = 1e4) -> str:
    """``x`` as a plain decimal with ``digits`` significant digits when
    ``low <= |x| < high`` (integers as they are), else as :func:`sci`."""
    if isinstance(x, int) and abs(x) < high:
        return str(x)
    x = float(x)
    if x == 0 or (math.isfinite(x) and low <= abs(x) < high):
        if x == 0:
            return "0"
        exp = math.floor(math.log10(abs(x)))
        decimals = max(0, digits - 1 - exp)
        return f"{x:.{decimals}f}"
    return sci(x, digits)
