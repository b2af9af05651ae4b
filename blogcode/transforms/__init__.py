"""Fast transforms that turn convolutions into pointwise products.

==========  ======================  ===========================  =======================
module      transform               convolution                  public functions
==========  ======================  ===========================  =======================
``fft``     complex DFT (radix 2)   ``c[i + j] += a[i] b[j]``    ``fft, ifft, multiply``
``ntt``     DFT in ``Z_998244353``  same, modulo ``P``           ``ntt, intt, multiply,
                                                                 bigint_multiply``
``fwt``     Walsh–Hadamard          ``c[i ^ j] += a[i] b[j]``    ``fwt, ifwt, xor_conv``
``fmt``     subset / superset zeta  ``c[i | j]``, ``c[i & j]``   ``or_conv, and_conv``
``naive``   the definitions         all of the above, O(n^2)     test oracles
==========  ======================  ===========================  =======================

All share one identity, the convolution theorem ``T(a * b) = T(a) . T(b)``.  The names
``fft``, ``ntt``, ``fwt`` and ``fmt`` are the modules; the forward transforms are
``fft.fft``, ``ntt.ntt``, ``fwt.fwt`` (also exported as ``walsh_hadamard``), and the two
polynomial products ``fft.multiply`` / ``ntt.multiply`` are exported as ``fft_multiply`` /
``ntt_multiply``.

Example::

    >>> from blogcode.transforms import fft_multiply, xor_conv
    >>> fft_multiply([1, 1], [1, 1]).tolist(), xor_conv([0, 1], [0, 1]).tolist()
    ([1, 2, 1], [1, 0])
"""

from . import fft, fmt, fwt, naive, ntt
from .fft import fft_recursive, float_product, ifft, max_rounding_error
from .fft import multiply as fft_multiply
from .fmt import and_conv, or_conv, subset_mobius, subset_zeta, superset_mobius, superset_zeta
from .fwt import fwt as walsh_hadamard
from .fwt import ifwt, xor_conv
from .naive import (
    naive_and_conv,
    naive_multiply,
    naive_or_conv,
    naive_xor_conv,
    schoolbook_multiply,
)
from .ntt import G, P, bigint_multiply, intt, primitive_root_of_unity
from .ntt import multiply as ntt_multiply

__all__ = [
    "G",
    "P",
    "and_conv",
    "bigint_multiply",
    "fft",
    "fft_multiply",
    "fft_recursive",
    "float_product",
    "fmt",
    "fwt",
    "ifft",
    "ifwt",
    "intt",
    "max_rounding_error",
    "naive",
    "naive_and_conv",
    "naive_multiply",
    "naive_or_conv",
    "naive_xor_conv",
    "ntt",
    "ntt_multiply",
    "or_conv",
    "primitive_root_of_unity",
    "schoolbook_multiply",
    "subset_mobius",
    "subset_zeta",
    "superset_mobius",
    "superset_zeta",
    "walsh_hadamard",
    "xor_conv",
]
