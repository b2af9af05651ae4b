"""The timing protocol (blogcode.timing), checked against a fake clock with known durations."""

from __future__ import annotations

import statistics

import numpy as np
import pytest
import torch

from blogcode import timing


class FakeClock:
    """``perf_counter`` that advances only when the timed function says so."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = FakeClock()
    monkeypatch.setattr(timing.time, "perf_counter", c)
    return c


def test_median_of_known_durations(clock):
    durations = iter([5.0, 1.0, 3.0, 2.0, 4.0, 100.0, 6.0])  # warm-up, then samples

    def fn():
        clock.now += next(durations)

    m = timing.measure(fn, warmup=1, min_repeats=5, max_repeats=5, min_sample=0, rel_spread=0)
    assert m.repeats == 5 and m.number == 1
    assert m.seconds == statistics.median([1.0, 3.0, 2.0, 4.0, 100.0]) == 3.0
    q1, _, q3 = statistics.quantiles([1.0, 3.0, 2.0, 4.0, 100.0], n=4, method="inclusive")
    assert m.spread == pytest.approx((q3 - q1) / 3.0)


def test_stops_as_soon_as_the_spread_is_small(clock):
    calls = []

    def fn():
        calls.append(1)
        clock.now += 1.0  # perfectly steady

    m = timing.measure(fn, warmup=2, min_repeats=4, max_repeats=40, min_sample=0)
    assert m.repeats == 4 and m.spread == 0.0 and m.seconds == 1.0
    assert len(calls) == 2 + 4


def test_noisy_function_runs_to_max_repeats_or_budget(clock):
    state = {"i": 0}

    def fn():  # alternating 1 s and 3 s: the spread never falls below 5 %
        state["i"] += 1
        clock.now += 1.0 if state["i"] % 2 else 3.0

    m = timing.measure(fn, warmup=0, min_repeats=3, max_repeats=9, min_sample=0, budget=1e9)
    assert m.repeats == 9
    m = timing.measure(fn, warmup=0, min_repeats=3, max_repeats=99, min_sample=0, budget=10.0)
    assert 3 <= m.repeats < 99  # the budget of 10 fake seconds stopped it


def test_fast_calls_are_batched_and_reported_per_call(clock):
    def fn():
        clock.now += 1e-6

    m = timing.measure(fn, warmup=0, min_repeats=3, max_repeats=3, min_sample=1e-3)
    assert m.number * 1e-6 >= 1e-3  # one sample lasts at least min_sample
    assert m.seconds == pytest.approx(1e-6)


def test_threads_are_pinned_and_restored():
    before = torch.get_num_threads()
    seen = []
    timing.measure(lambda: seen.append(torch.get_num_threads()), threads=1, min_repeats=1,
                   max_repeats=1, min_sample=0)
    assert set(seen) == {1} and torch.get_num_threads() == before
    from threadpoolctl import threadpool_info

    with timing.pinned_threads(1):
        assert all(p["num_threads"] == 1 for p in threadpool_info())


def test_sync_is_called_before_each_reading(clock):
    log = []

    def fn():
        log.append("call")
        clock.now += 1.0

    timing.measure(fn, warmup=1, min_repeats=2, max_repeats=2, min_sample=0,
                   sync=lambda: log.append("sync"))
    assert log == ["call", "sync", "call", "sync", "call", "sync"]


@pytest.mark.parametrize("kw", [dict(min_repeats=0), dict(max_repeats=2, min_repeats=3),
                                dict(warmup=-1), dict(threads=0), dict(rel_spread=-1),
                                dict(min_repeats=True)])
def test_bad_parameters_raise(kw):
    with pytest.raises(ValueError):
        timing.measure(lambda: None, **kw)


def test_time_table_checks_before_timing_and_skips():
    rows = timing.time_table(
        [{"n": 3}, {"n": 5}], lambda n: np.arange(n),
        {"sum": np.sum, "loop": lambda a: sum(a.tolist()), "slow": lambda a: a.sum()},
        check=lambda name, got, ref: got == ref, skip=lambda name, case: name == "slow"
        and case["n"] > 3, min_repeats=1, max_repeats=1)
    assert [r["n"] for r in rows] == [3, 5]
    assert rows[0]["slow"] > 0 and rows[1]["slow"] is None
    assert set(rows[1]["_measurements"]) == {"sum", "loop"}
    with pytest.raises(AssertionError, match=r"'bad' disagrees with 'sum' at \{'n': 3\}"):
        timing.time_table([{"n": 3}], lambda n: np.arange(n),
                          {"sum": np.sum, "bad": lambda a: a.sum() + 1},
                          check=lambda name, got, ref: got == ref, min_repeats=1, max_repeats=1)
    with pytest.raises(ValueError, match="at least one method"):
        timing.time_table([{"n": 3}], lambda n: n, {})


def test_loglog_slope_recovers_power_laws():
    ns = [10, 100, 1000]
    assert timing.loglog_slope(ns, [3 * n**2 for n in ns]) == pytest.approx(2.0)
    assert timing.loglog_slope(ns, [n**0.5 for n in ns]) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        timing.loglog_slope([1], [1.0])
    with pytest.raises(ValueError, match="positive"):
        timing.loglog_slope([1, 2], [0.0, 1.0])


def test_where_it_ran_names_device_threads_and_versions():
    from blogcode.device import where_it_ran

    line = where_it_ran("cpu", threads=1)
    assert line.startswith("CPU · ") and "计时用 1 个线程" in line
    assert f"torch {torch.__version__}" in line and f"numpy {np.__version__}" in line
    assert "torch" not in where_it_ran("cpu", versions=False)


def test_table_cells_are_interleaved_so_drift_does_not_bend_a_curve(clock):
    """Two identical cells on a machine that slows down steadily: interleaved rounds give them
    the same median; timing one after the other would make the second look ~20 % slower."""
    calls = {"n": 0}

    def work(_):
        calls["n"] += 1
        clock.now += 1.0 + 0.01 * calls["n"]  # each call 1 % slower than the one before

    opts = dict(warmup=0, min_repeats=9, max_repeats=9, min_sample=0, budget=1e9)
    rows = timing.time_table([{"x": 0}], lambda x: None, {"a": work, "b": work}, **opts)
    a, b = rows[0]["a"], rows[0]["b"]
    assert abs(a - b) / a < 0.011  # one call's worth of drift at most
    calls["n"] = 0
    seq_a = timing.measure(work, None, **opts).seconds
    seq_b = timing.measure(work, None, **opts).seconds
    assert (seq_b - seq_a) / seq_a > 0.05  # what interleaving avoids


def test_time_table_rejects_unknown_options():
    with pytest.raises(TypeError, match="unknown timing options"):
        timing.time_table([{"n": 1}], lambda n: n, {"id": lambda x: x}, repeat=3)
