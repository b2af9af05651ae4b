"""Attention: the FlashAttention-style op (``blogcode.attention.flash``) and, later, the maths
the attention posts compute."""

from .flash import attention

__all__ = ["attention"]
