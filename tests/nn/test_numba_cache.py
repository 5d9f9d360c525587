"""Numba's disk cache does not know the compile options: each kernel module states them, and must agree."""

import pytest

from digitlab.nn import _numba, optimizer_kernels
from digitlab.nn.layers import conv_kernels


@pytest.mark.parametrize("module", [optimizer_kernels, conv_kernels], ids=lambda m: m.__name__)
def test_each_kernel_module_states_the_options_it_is_compiled_with(module):
    # On a change to _numba._OPTIONS, edit COMPILED_WITH in each kernel module: the edit changes the
    # file, and with it the key of Numba's cache, so no kernel compiled under the old options is loaded.
    assert module.COMPILED_WITH == _numba.stamp()



def test_serial_and_parallel_variants_are_cached_under_different_names():
    # Numba's cache keys an entry by the function's qualified name and signature, not by its options:
    # under one name a process would load whichever variant was saved last for both.
    def rule(p):
        for i in range(p.size):
            p[i] += 1
    one, many = _numba.serial(rule), _numba.parallel(rule)
    assert one.py_func.__qualname__ != many.compiled.py_func.__qualname__
    assert one.py_func.__code__ is many.compiled.py_func.__code__  # the same rule, compiled twice
