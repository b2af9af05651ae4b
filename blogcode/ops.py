"""Plumbing shared by the kernel ops (``blogcode.ssm.selective_scan``, ``blogcode.rwkv.wkv``, ...).

Every op is a folder in the layout of flash-linear-attention's ``fla/ops/<op>/``:

* ``__init__.py`` -- the one public function: validates its inputs, picks a backend, dispatches;
* ``naive.py``    -- the definition, step by step, float64-friendly: the test oracle;
* ``chunked.py``  -- the fallback (``backend="chunked"``): vectorised PyTorch, any device;
* ``triton.py``   -- the GPU kernel (imported lazily; runs on CPU tensors under
  ``TRITON_INTERPRET=1``), forward only.

Conventions shared by the ops:

* backends are named by algorithm (``"naive"``, ``"chunked"``, ``"triton"``); ``"auto"`` is Triton
  on CUDA and ``"chunked"`` elsewhere; an explicit backend that cannot run raises;
* recurrent state follows fla: ``initial_state=None`` (the empty past) in, and
  ``output_final_state=True`` returns ``(out, final_state)`` instead of ``out``;
* inputs are real floating tensors on one device; computation is in float64 when any input is
  float64, else float32 (half-precision inputs are upcast), and outputs come back in the dtype of
  the op's main input.

Importing this module does not import triton.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

import torch

__all__ = ["FLOATS", "interpret_mode", "triton_available", "check_float", "check_floats",
           "check_sequence", "one_device", "compute_dtype", "resolve_backend", "forward_only"]

#: The floating dtypes an op accepts.
FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)

R = TypeVar("R")


def interpret_mode() -> bool:
    """Whether Triton runs in its CPU interpreter (``TRITON_INTERPRET=1`` before importing it)."""
    return os.environ.get("TRITON_INTERPRET") == "1"


def triton_available(device: torch.device | str) -> tuple[bool, str]:
    """Whether a Triton backend can run on ``device``, and why not if it cannot.

    Example::

        >>> ok, why = triton_available("cpu")
        >>> ok or "TRITON_INTERPRET" in why or "not installed" in why
        True
    """
    device = torch.device(device)
    try:
        found = importlib.util.find_spec("triton") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return False, "the 'triton' package is not installed"
    if device.type == "cuda" or interpret_mode():
        return True, ""
    return False, (
        f"tensors are on {device.type!r}; Triton needs CUDA tensors, or TRITON_INTERPRET=1 set "
        "before triton is imported to run its interpreter on the CPU"
    )


def check_float(name: str, t: object) -> None:
    """Raise ``TypeError`` unless ``t`` is a real floating ``torch.Tensor``."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.is_complex():
        raise TypeError(f"{name} is complex ({t.dtype}); only real inputs are supported")
    if t.dtype not in FLOATS:
        raise TypeError(f"{name} must be a floating tensor (float16/bfloat16/float32/float64), "
                        f"got {t.dtype}")


def check_floats(named: Mapping[str, object | None]) -> None:
    """:func:`check_float` on every tensor of ``named`` that is not ``None``."""
    for name, t in named.items():
        if t is not None:
            check_float(name, t)


def check_sequence(name: str, t: torch.Tensor, layout: str) -> tuple[int, int, int]:
    """The sizes of a non-empty 3-d tensor, or a ``ValueError`` quoting ``layout``.

    Example::

        >>> check_sequence("k", torch.zeros(2, 5, 3), "[batch, T, C]")
        (2, 5, 3)
    """
    if t.dim() != 3:
        raise ValueError(f"{name} must have shape {layout}, got {tuple(t.shape)}")
    a, b, c = t.shape
    if min(a, b, c) < 1:
        raise ValueError(f"{name} must have non-empty dimensions, got {tuple(t.shape)}")
    return a, b, c


def one_device(named: Mapping[str, torch.Tensor | None]) -> torch.device:
    """The device of the given tensors (``None`` entries skipped); ``ValueError`` if several."""
    devices = {t.device for t in named.values() if t is not None}
    if len(devices) > 1:
        raise ValueError(f"all tensors must be on one device, got {sorted(map(str, devices))}")
    (device,) = devices
    return device


def compute_dtype(*tensors: torch.Tensor | None) -> torch.dtype:
    """float64 if any input is float64, else float32 (half inputs are computed in float32).

    Example::

        >>> compute_dtype(torch.ones(1, dtype=torch.float16), None)
        torch.float32
    """
    if any(t is not None and t.dtype == torch.float64 for t in tensors):
        return torch.float64
    return torch.float32


def resolve_backend(op: str, backend: str, backends: Sequence[str], device: torch.device,
                    tensors: Iterable[torch.Tensor | None]) -> str:
    """Check ``backend`` against ``backends`` and resolve ``"auto"``.

    ``"auto"`` is ``"triton"`` on CUDA when triton is installed and ``"chunked"`` otherwise.  An
    explicit ``"triton"`` raises ``RuntimeError`` when it cannot run and ``TypeError`` for float64
    inputs (the kernels compute in float32).

    Example::

        >>> resolve_backend("op", "auto", ("auto", "naive", "chunked"), torch.device("cpu"), [])
        'chunked'
    """
    if backend not in backends:
        raise ValueError(f"{op}: backend must be one of {tuple(backends)}, got {backend!r}")
    if backend == "auto":
        use_triton = "triton" in backends and device.type == "cuda"
        return "triton" if use_triton and triton_available(device)[0] else "chunked"
    if backend == "triton":
        ok, why = triton_available(device)
        if not ok:
            raise RuntimeError(f"{op}: backend='triton' is unavailable: {why}")
        if compute_dtype(*tensors) == torch.float64:
            others = ", ".join(repr(b) for b in backends if b not in ("auto", "triton"))
            raise TypeError(f"{op}: backend='triton' computes in float32; use backend={others} "
                            "for float64 inputs")
    return backend


class _NoBackward(torch.autograd.Function):
    """Runs a forward-only kernel; its backward raises instead of returning wrong gradients."""

    @staticmethod
    def forward(ctx, run, what, *tensors):
        ctx.what = what
        return run()

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(f"{ctx.what} has no backward pass; use backend='chunked' or 'naive' "
                           "to differentiate")


def forward_only(run: Callable[[], R], tensors: Iterable[torch.Tensor | None], what: str) -> R:
    """``run()``, made non-differentiable: autograd through its outputs raises ``RuntimeError``.

    ``tensors`` are the inputs ``run`` reads; the guard is only installed when one of them
    requires a gradient (so inference pays nothing).

    Example::

        >>> x = torch.ones(2, requires_grad=True)
        >>> y = forward_only(lambda: x.detach() * 2, [x], "the doubling kernel")
        >>> try:
        ...     y.sum().backward()
        ... except RuntimeError as err:
        ...     print(err)
        the doubling kernel has no backward pass; use backend='chunked' or 'naive' to differentiate
    """
    inputs = [t for t in tensors if t is not None]
    if torch.is_grad_enabled() and any(t.requires_grad for t in inputs):
        return _NoBackward.apply(run, what, *inputs)
    return run()
