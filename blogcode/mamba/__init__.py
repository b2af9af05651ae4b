"""Mamba, read from ``mamba_simple.py``: a pure-PyTorch block, its parameter count, discretisations.

* :class:`MambaConfig` -- the block's hyper-parameters, with ``mamba_simple.py``'s defaults;
* :class:`MambaBlock` -- ``forward`` (the slow path, through
  :func:`blogcode.ssm.selective_scan.selective_scan`) and ``step`` (one-token decoding);
* :func:`param_count`, :func:`param_breakdown` -- the exact parameter count in closed form;
* :func:`zoh`, :func:`euler` -- exact zero-order hold vs the ``B_bar = delta B`` Mamba uses;
* :func:`lti_kernel`, :func:`causal_conv` -- the time-invariant special case as a convolution;
* :func:`time_scan` -- small CPU timings of the scan's backends.

Names: ``batch`` is the batch size, ``d_inner`` the channels, ``N`` the state size, ``L`` the
length; ``B``, ``C`` are always the SSM vectors and ``D`` the skip parameter.
"""

from .block import MambaBlock, MambaConfig, param_breakdown, param_count
from .discretize import causal_conv, euler, lti_kernel, zoh
from .timing import scan_inputs, time_scan

__all__ = ["MambaConfig", "MambaBlock", "param_count", "param_breakdown", "zoh", "euler",
           "lti_kernel", "causal_conv", "scan_inputs", "time_scan"]
