"""Numba, as the compiled training kernels use it (conv_kernels, optimizer_kernels); imported only by them.

    serial(f)     njit: compiled on first call, cached on disk
    parallel(f)   the same with ``prange`` loops on all cores, called from one thread at a time

Parallel loops run on Numba's "workqueue" threads, which sleep as soon as a loop ends. Its OpenMP layer
(the default without TBB) keeps its threads spinning for milliseconds after every loop: on this project's
2-core machine that spinning took a core from the BLAS products between the kernels and made a convnet
training step more than twice as slow. (Setting OMP_WAIT_POLICY instead would also reach PyTorch's OpenMP
in the same process, through the shared libgomp.) A NUMBA_THREADING_LAYER set by the user is kept.

Every kernel uses NumPy's error model: a division by zero gives inf or nan, as in the NumPy rules the
kernels are tested against, instead of raising ZeroDivisionError. Python's model checks every divisor,
and that branch kept LLVM from vectorising the loops: the RMSprop update of a 784x512 kernel took
0.71 ms a step instead of 0.17 ms (the rule and its results are the same; only the check is gone).

Workqueue must not start two parallel loops at once, so a lock serialises calls from different threads.

Numba's disk cache (``__pycache__/*.nbi``) is keyed by the kernel module's modification time and size, not
by the options it was compiled with: a change to ``_OPTIONS`` alone would keep loading kernels compiled
under the old ones. So every kernel module states the options it expects, ``COMPILED_WITH = stamp()``'s
text, written out; tests/nn/test_numba_cache.py checks the two agree, and the edit that makes them agree
again changes each kernel file, which invalidates its cache.
"""

from __future__ import annotations

import functools
import threading
import types

import numba

if numba.config.THREADING_LAYER == "default":
    numba.config.THREADING_LAYER = "workqueue"

_LOCK = threading.Lock()
_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}


def stamp() -> str:
    """The compile options as one line of text, e.g. ``"cache=True nogil=True error_model=numpy"``."""
    return " ".join(f"{key}={value}" for key, value in _OPTIONS.items())


def serial(f=None, **options):
    """``njit(cache=True, nogil=True, **options)``, cached apart from ``parallel(f)`` (see ``_apart``)."""
    if f is None:
        return functools.partial(serial, **options)
    return numba.njit(**_OPTIONS, **options)(_apart(f, "serial"))


def _apart(f, variant: str):
    """A copy of ``f`` under its own qualified name. Numba names a function's cache files after its qualified
    name and keys them by signature, not by compile options: ``serial(f)`` and ``parallel(f)`` would share
    one entry, and a process would load whichever variant was saved last for both (a "serial" kernel
    running parallel loops, or called inside a parallel one: a nested parallel region, which aborts)."""
    copy = types.FunctionType(f.__code__, f.__globals__, f"{f.__name__}__{variant}", f.__defaults__, f.__closure__)
    copy.__qualname__ = f"{f.__qualname__}__{variant}"
    copy.__doc__, copy.__module__ = f.__doc__, f.__module__
    return copy


def parallel(f=None, **options):
    """``njit(parallel=True, cache=True, nogil=True, **options)``, behind a lock shared by all parallel kernels."""
    if f is None:
        return functools.partial(parallel, **options)
    compiled = numba.njit(parallel=True, **_OPTIONS, **options)(f)

    @functools.wraps(f)
    def call(*args):
        with _LOCK:
            return compiled(*args)
    call.compiled = compiled
    return call
