"""blogcode.device: the compute device, with the BLOGCODE_DEVICE override."""

import subprocess
import sys

import pytest
import torch

from blogcode.device import ENV_VAR, device_kind, pick_device


def test_device_override(monkeypatch):
    monkeypatch.setenv("BLOGCODE_DEVICE", "cpu")
    assert pick_device().type == "cpu"
    monkeypatch.setenv("BLOGCODE_DEVICE", "gpu")
    with pytest.raises(ValueError, match="not a valid torch device"):
        pick_device()


def test_default_follows_cuda_availability(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    monkeypatch.setenv(ENV_VAR, "   ")  # blank counts as unset
    assert pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv(ENV_VAR)
    assert pick_device() == torch.device("cpu")


def test_prefer_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "gpu")  # would raise if it were read
    assert pick_device("cpu") == torch.device("cpu")
    assert device_kind("cpu") == "cpu"
    monkeypatch.setenv(ENV_VAR, "cpu")
    assert device_kind() == "cpu"


def test_cuda_requested_without_cuda_raises(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for want in ("cuda", "cuda:1"):
        monkeypatch.setenv(ENV_VAR, want)
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            pick_device()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # no GPU is touched
    assert pick_device("cuda:1") == torch.device("cuda", 1)


def test_unsupported_device_types_raise():
    with pytest.raises(ValueError, match="unsupported device type 'meta'"):
        pick_device("meta")
    with pytest.raises(ValueError, match="not a valid torch device"):
        pick_device("cpu:x")


def test_importing_the_module_does_not_import_torch():
    code = "import sys, blogcode.device; assert 'torch' not in sys.modules, 'torch imported'"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
