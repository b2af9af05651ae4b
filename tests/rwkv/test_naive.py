"""wkv_unstabilised: the formula as written agrees with the stable one until it overflows."""

import pytest
import torch

from blogcode.rwkv import wkv_direct
from blogcode.rwkv.wkv.naive import wkv_unstabilised


def inputs(kscale, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = torch.rand(5, generator=g, dtype=torch.float64) * 8 - 5
    u = torch.randn(5, generator=g, dtype=torch.float64)
    k = torch.randn(2, 30, 5, generator=g, dtype=torch.float64) * kscale
    v = torch.randn(2, 30, 5, generator=g, dtype=torch.float64)
    return w, u, k, v


def test_unstabilised_matches_the_stable_formula_for_moderate_keys():
    w, u, k, v = inputs(1.0)
    assert torch.allclose(wkv_unstabilised(w, u, k, v), wkv_direct(w, u, k, v)[0], atol=1e-12)


def test_unstabilised_breaks_for_large_keys():
    w, u, k, v = inputs(1.0)
    k[0, 3, 1] = 1000.0  # e^1000 overflows float64
    y = wkv_unstabilised(w, u, k, v)
    assert not torch.isfinite(y).all()
    assert torch.isfinite(wkv_direct(w, u, k, v)[0]).all()


def test_bad_inputs_raise():
    w, u, k, v = inputs(1.0)
    with pytest.raises(ValueError, match="need"):
        wkv_unstabilised(w, u, k[0], v)
    with pytest.raises(TypeError, match="torch.Tensor"):
        wkv_unstabilised(w, u, k.tolist(), v)
