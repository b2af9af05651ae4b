"""Position encodings: RoPE and its relatives, as the attention posts compute them.

Submodules (each the code of one post):

* :mod:`blogcode.posenc.rope` -- rotary position embedding: frequencies, the block-diagonal
  matrix, the fast elementwise form, the long-range decay bound, RoPE in linear attention;
* :mod:`blogcode.posenc.encodings` -- sinusoidal, T5 buckets, Shaw clipping, the "fusion" 2D
  encoding and the other absolute/relative schemes of the position-encoding survey;
* :mod:`blogcode.posenc.multimodal` -- RoPE-2D and RoPE-Tie positions for text--image sequences;
* :mod:`blogcode.posenc.base_bound` -- the lower bound on RoPE's base for a context length.
"""

from .encodings import fusion_2d, shaw_clip, sinusoidal, sinusoidal_rotation, t5_bucket
from .rope import apply_rope, rope_frequencies, rope_matrix

__all__ = ["apply_rope", "fusion_2d", "rope_frequencies", "rope_matrix", "shaw_clip",
           "sinusoidal", "sinusoidal_rotation", "t5_bucket"]
