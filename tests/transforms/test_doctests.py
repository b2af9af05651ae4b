"""The runnable examples in the docstrings stay correct."""

import doctest

import pytest

from blogcode import transforms
from blogcode.transforms import _common, bench, fft, fmt, fwt, naive, ntt


@pytest.mark.parametrize("module", [transforms, _common, bench, fft, fmt, fwt, naive, ntt])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
