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
        raise RuntimeError(
            f"device {want!r} was requested but CUDA is not available on this machine"
        )
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


def where_it_ran(prefer: str | None = None, *, threads: int | None = None,
                 versions: bool = True) -> str:
    """One line saying where a computation or a timing ran, for posts and benchmarks.

    The device (GPU name, or CPU architecture and logical cores), the threads a timing was
    pinned to (``threads``), and with ``versions`` the Python, torch and numpy versions.

    Example::

        >>> line = where_it_ran("cpu", threads=1)
        >>> line.startswith("CPU · ") and "计时用 1 个线程" in line and "torch " in line
        True
    """
    dev = pick_device(prefer)
    if dev.type == "cuda":
        import torch

        parts = [f"GPU · {torch.cuda.get_device_name(dev)}"]
    else:
        import platform

        cpu = platform.processor() or platform.machine() or "unknown"
        parts = [f"CPU · {cpu} · {os.cpu_count()} 个逻辑核"]
    if threads is not None:
        parts.append(f"计时用 {threads} 个线程")
    if versions:
        import platform

        import numpy
        import torch

        parts += [f"Python {platform.python_version()}", f"torch {torch.__version__}",
                  f"numpy {numpy.__version__}"]
    return " · ".join(parts)
