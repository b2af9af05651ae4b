"""The WKV timing table: agreement checked first, rows, skips, threads restored."""

import pytest
import torch

from blogcode.rwkv import timing as timing_mod
from blogcode.rwkv.timing import time_wkv


def test_time_wkv_rows_and_skips():
    threads = torch.get_num_threads()
    rows = time_wkv([(1, 8, 3), (1, 40, 3)], min_repeats=1, max_repeats=1, max_direct_T=10,
                    threads=1)
    assert torch.get_num_threads() == threads  # restored
    assert [r["T"] for r in rows] == [8, 40]
    assert rows[0]["direct"] > 0 and rows[1]["direct"] is None
    assert all(r["naive"] > 0 and r["chunked"] > 0 for r in rows)


def test_disagreeing_backends_are_not_timed(monkeypatch):
    real = timing_mod.wkv

    def broken(*a, backend):
        y = real(*a, backend=backend)
        return y + 1e-2 if backend == "chunked" else y

    monkeypatch.setattr(timing_mod, "wkv", broken)
    with pytest.raises(AssertionError, match="'chunked' disagrees with 'naive'"):
        time_wkv([(1, 8, 3)], min_repeats=1, max_repeats=1)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="backend"):
        time_wkv([(1, 4, 2)], backends=())
