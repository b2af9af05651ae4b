"""Mamba, read from ``mamba_simple.py``: a pure-PyTorch block, its parameter count, discretisations.

* :class:`MambaBlock` -- ``forward`` (the slow path, through
  :func:`blogcode.ssm.selective_scan.selective_scan`) and ``step`` (one-token decoding);
* :func:`param_count`, :func:`param_breakdown` -- the exact parameter count in closed form;
* :func:`zoh`, :func:`euler` -- exact zero-order hold vs the ``B_bar = delta B`` Mamba uses;
* :func:`lti_kernel`, :func:`causal_conv` -- the time-invariant special case as a convolution;
* :func:`time_scan` -- small CPU timings of the scan's backends.

Names: ``batch`` is the batch size, ``d_inner`` the channels, ``N`` the state size, ``L`` the
length; ``B``, ``C`` are always the SSM vectors and ``D`` the skip parameter.
"""

from .block import MambaBlock, param_breakdown, param_count, resolve_dims
from .discretize import causal_conv, euler, lti_kernel, zoh
from .timing import best_time, scan_inputs, time_scan

__all__ = ["MambaBlock", "param_count", "param_breakdown", "resolve_dims", "zoh", "euler",
           "lti_kernel", "causal_conv", "best_time", "scan_inputs", "time_scan"]
