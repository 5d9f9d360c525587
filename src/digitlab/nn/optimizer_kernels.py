"""Compiled (Numba) optimizer updates: each rule in one pass over a parameter, its gradient and its state.

The NumPy rules in optimizers.py make six to eleven passes, each streaming whole arrays through
memory; these read every element once, apply the same float operations in the same order and
precision (no fused multiply-adds, no reassociation), so the result is equal bit for bit
(tests/nn/test_optimizer_threads.py). Arrays are 1-D contiguous views; scalars come in the
parameters' dtype, as NumPy casts a Python float against a float32 array (``run`` casts them). Imported only when
training: ``Optimizer.apply`` loads this module on first use.

    sgd(p, g, lr)                                   p -= lr * g
    sgd_momentum(p, g, v, momentum, lr, nesterov)   v = momentum v - lr g; p += v (or momentum v - lr g)
    rmsprop(p, g, v, one_minus_rho, eps, lr)        v += (1 - rho)(g**2 - v); p -= lr g / sqrt(v + eps)
    adam(p, g, m, v, one_minus_b1, one_minus_b2, eps, lr_t)
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._numba import parallel, serial

# The options these kernels were compiled (and cached) with; see _numba on why it is written out here.
COMPILED_WITH = "cache=True nogil=True error_model=numpy"

PARALLEL_MIN = 1 << 15  # elements: below this one thread is faster than waking the others


def _sgd(p, g, lr):
    for i in prange(p.size):
        p[i] -= lr * g[i]


def _sgd_momentum(p, g, v, momentum, lr, nesterov):
    for i in prange(p.size):
        step = lr * g[i]
        vi = v[i] * momentum - step
        v[i] = vi
        if nesterov:
            p[i] += momentum * vi - step
        else:
            p[i] += vi


def _rmsprop(p, g, v, one_minus_rho, eps, lr):
    for i in prange(p.size):
        gi = g[i]
        vi = v[i] + (gi * gi - v[i]) * one_minus_rho
        v[i] = vi
        p[i] -= gi / np.sqrt(vi + eps) * lr


def _adam(p, g, m, v, one_minus_b1, one_minus_b2, eps, lr_t):
    for i in prange(p.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_b1
        vi = v[i] + (gi * gi - v[i]) * one_minus_b2
        m[i] = mi
        v[i] = vi
        p[i] -= mi / (np.sqrt(vi) + eps) * lr_t


_KERNELS = {name: (serial(f), parallel(f))
            for name, f in (("sgd", _sgd), ("sgd_momentum", _sgd_momentum), ("rmsprop", _rmsprop),
                            ("adam", _adam))}


def run(name: str, arrays: tuple, scalars: tuple) -> None:
    """The kernel ``name`` on a parameter, its gradient and state (``arrays``, all of one shape and
    C-contiguous: updated in place), then the rule's scalars; on all cores if the parameter is large."""
    one_thread, all_cores = _KERNELS[name]
    dtype = arrays[0].dtype.type
    flat = [a.reshape(-1) for a in arrays]
    (all_cores if flat[0].size >= PARALLEL_MIN else one_thread)(*flat, *(dtype(s) if isinstance(s, float) else s
                                                                     for s in scalars))
