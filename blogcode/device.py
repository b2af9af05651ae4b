"""Pick the compute device for torch code, honouring an environment override.

``BLOGCODE_DEVICE`` may be ``cpu``, ``cuda`` or ``cuda:N``.  Without it, CUDA is
used when available and the CPU otherwise.  Importing this module does not
import torch; the functions do.
"""

from __future__ import annotations

import os

ENV_VAR = "BLOGCODE_DEVICE"


def pick_device(prefer: str | None = None):
    """Return a ``torch.device``.

    Order: the ``prefer`` argument, then ``$BLOGCODE_DEVICE``, then ``cuda`` if
    available, else ``cpu``.  Asking for CUDA where there is none raises a
    ``RuntimeError`` instead of silently falling back.
    """
    import torch

    want = prefer or os.environ.get(ENV_VAR, "").strip() or None
    if want is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(want)
    except RuntimeError as exc:  # e.g. "gpu"
        raise ValueError(
            f"{ENV_VAR}/prefer={want!r} is not a valid torch device (use 'cpu', 'cuda' or 'cuda:N')"
        ) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {want!r} was requested but CUDA is not available on this machine")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"unsupported device type {dev.type!r}; use 'cpu' or 'cuda'")
    return dev


def device_kind(prefer: str | None = None) -> str:
    """A short, stable description of the device: ``cpu`` or ``cuda:<GPU name>``."""
    dev = pick_device(prefer)
    if dev.type == "cuda":
        import torch

        return f"cuda:{torch.cuda.get_device_name(dev)}"
    return "cpu"


def describe(prefer: str | None = None) -> str:
    """Human-readable device line for provenance blocks."""
    dev = pick_device(prefer)
    if dev.type == "cuda":
        import torch

        return f"CUDA · {torch.cuda.get_device_name(dev)}"
    import platform

    cpu = platform.processor() or platform.machine()
    return f"CPU · {cpu} · {os.cpu_count()} cores"
