"""The timing helper: agreement check, shape of the result, slope fit."""

import pytest

from blogcode.transforms import bench


def test_time_multiplications_rows():
    rows = bench.time_multiplications([4, 33], repeat=1, seed=3)
    assert [r["n"] for r in rows] == [4, 33]
    for r in rows:
        assert set(r) == {"n", *bench.METHODS}
        assert all(r[m] > 0 for m in bench.METHODS)


def test_loglog_slope_recovers_power_law():
    ns = [10, 100, 1000]
    assert bench.loglog_slope(ns, [3 * n**2 for n in ns]) == pytest.approx(2.0)
    assert bench.loglog_slope(ns, [n**1.0 for n in ns]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        bench.loglog_slope([1], [1.0])


def test_best_time_rejects_bad_repeat():
    with pytest.raises(ValueError):
        bench.best_time(lambda: None, repeat=0)
    assert "Python" in bench.environment_line()
