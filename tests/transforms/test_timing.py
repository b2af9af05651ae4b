"""The polynomial-product timing table: agreement check first, one row per size."""

import numpy as np
import pytest

from blogcode.transforms import timing


def test_time_multiplications_rows():
    rows = timing.time_multiplications([4, 33], min_repeats=1, max_repeats=1, seed=3)
    assert [r["n"] for r in rows] == [4, 33]
    for r in rows:
        assert {k for k in r if not k.startswith("_")} == {"n", *timing.METHODS}
        assert all(r[m] > 0 for m in timing.METHODS)


def test_a_wrong_product_is_not_timed(monkeypatch):
    wrong = dict(timing.METHODS, fft=lambda a, b: np.convolve(a, b) + 1)
    monkeypatch.setattr(timing, "METHODS", wrong)
    with pytest.raises(AssertionError, match="'fft' disagrees with 'schoolbook'"):
        timing.time_multiplications([8], min_repeats=1, max_repeats=1)
