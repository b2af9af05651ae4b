"""HiPPO matrices written out from their definitions, independently of blogcode.ssm.hippo:
the reference the discretisation tests compare against."""

from __future__ import annotations

import numpy as np


def legs_ref(N: int):
    """The blog's LegS pair, written out independently of blogcode.ssm.hippo."""
    A = np.zeros((N, N))
    for n in range(N):
        for k in range(n):
            A[n, k] = -np.sqrt((2 * n + 1) * (2 * k + 1))
        A[n, n] = -(n + 1)
    B = np.array([np.sqrt(2 * (2 * n + 1)) for n in range(N)])
    return A, B


def legt_ref(N: int):
    A = np.zeros((N, N))
    for n in range(N):
        for k in range(N):
            s = 1.0 if k < n else (-1.0) ** (n - k)
            A[n, k] = -s * np.sqrt((2 * n + 1) * (2 * k + 1))
    return A, np.sqrt(2 * (2 * np.arange(N) + 1.0))
