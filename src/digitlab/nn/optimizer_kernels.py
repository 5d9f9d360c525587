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

# Elements: below this one thread is faster than waking the others. Numba's workqueue threads sleep between
# loops, and waking them costs 0.1-0.3 ms on this project's 2-core machine (measured on a quiet 2026-12-03:
# RMSprop on a 784x512 kernel took 0.13 ms on one thread and 0.28-0.56 ms on two; 2M elements 0.98 and
# 0.68 ms). At 1 << 15 the MLP's kernel ran on two threads, and seed 002's epoch was 1.6 s instead of 0.86 s.
PARALLEL_MIN = 1 << 20


# Each rule once, on element i of a parameter (inlined into the loops below, which LLVM then vectorises).

@serial(inline="always")
def _sgd_at(i, p, g, lr):
    p[i] -= lr * g[i]


@serial(inline="always")
def _sgd_momentum_at(i, p, g, v, momentum, lr, nesterov):
    step = lr * g[i]
    vi = v[i] * momentum - step
    v[i] = vi
    if nesterov:
        p[i] += momentum * vi - step
    else:
        p[i] += vi


@serial(inline="always")
def _rmsprop_at(i, p, g, v, one_minus_rho, eps, lr):
    gi = g[i]
    vi = v[i] + (gi * gi - v[i]) * one_minus_rho
    v[i] = vi
    p[i] -= gi / np.sqrt(vi + eps) * lr


@serial(inline="always")
def _adam_at(i, p, g, m, v, one_minus_b1, one_minus_b2, eps, lr_t):
    gi = g[i]
    mi = m[i] + (gi - m[i]) * one_minus_b1
    vi = v[i] + (gi * gi - v[i]) * one_minus_b2
    m[i] = mi
    v[i] = vi
    p[i] -= mi / (np.sqrt(vi) + eps) * lr_t


# Dense: p, g and the state as 1-D arrays of one size.

def _sgd(p, g, lr):
    for i in prange(p.size):
        _sgd_at(i, p, g, lr)


def _sgd_momentum(p, g, v, momentum, lr, nesterov):
    for i in prange(p.size):
        _sgd_momentum_at(i, p, g, v, momentum, lr, nesterov)


def _rmsprop(p, g, v, one_minus_rho, eps, lr):
    for i in prange(p.size):
        _rmsprop_at(i, p, g, v, one_minus_rho, eps, lr)


def _adam(p, g, m, v, one_minus_b1, one_minus_b2, eps, lr_t):
    for i in prange(p.size):
        _adam_at(i, p, g, m, v, one_minus_b1, one_minus_b2, eps, lr_t)


_KERNELS = {name: (serial(f), parallel(f))
            for name, f in (("sgd", _sgd), ("sgd_momentum", _sgd_momentum), ("rmsprop", _rmsprop),
                            ("adam", _adam))}


# Row-sparse gradients: a kernel p (R, C) whose gradient is zero outside some rows, given as those rows'
# gradient g (k, C) and at (R,): the row of g that belongs to row r of p, or -1. Every row is updated as
# the dense rule updates it (a row without gradient runs the same arithmetic on ``zero``, (C,) zeros, so
# its state decays alike, bit for bit); the full-size gradient is never written.

def _sgd_rows(p, g, at, zero, lr):
    for r in prange(p.shape[0]):
        if at[r] >= 0:  # plain SGD leaves a row without gradient as it is
            pr, gr = p[r], g[at[r]]
            for i in range(p.shape[1]):
                _sgd_at(i, pr, gr, lr)


def _sgd_momentum_rows(p, g, at, zero, v, momentum, lr, nesterov):
    for r in prange(p.shape[0]):
        pr, gr, vr = p[r], (g[at[r]] if at[r] >= 0 else zero), v[r]
        for i in range(p.shape[1]):
            _sgd_momentum_at(i, pr, gr, vr, momentum, lr, nesterov)


def _rmsprop_rows(p, g, at, zero, v, one_minus_rho, eps, lr):
    for r in prange(p.shape[0]):
        pr, gr, vr = p[r], (g[at[r]] if at[r] >= 0 else zero), v[r]
        for i in range(p.shape[1]):
            _rmsprop_at(i, pr, gr, vr, one_minus_rho, eps, lr)


def _adam_rows(p, g, at, zero, m, v, one_minus_b1, one_minus_b2, eps, lr_t):
    for r in prange(p.shape[0]):
        pr, gr, mr, vr = p[r], (g[at[r]] if at[r] >= 0 else zero), m[r], v[r]
        for i in range(p.shape[1]):
            _adam_at(i, pr, gr, mr, vr, one_minus_b1, one_minus_b2, eps, lr_t)


_ROW_KERNELS = {name: (serial(f), parallel(f))
                for name, f in (("sgd", _sgd_rows), ("sgd_momentum", _sgd_momentum_rows), ("rmsprop", _rmsprop_rows),
                                ("adam", _adam_rows))}


def run(name: str, arrays: tuple, scalars: tuple) -> None:
    """The kernel ``name`` on a parameter, its gradient and state (``arrays``, all of one shape and
    C-contiguous: updated in place), then the rule's scalars; on all cores if the parameter is large."""
    one_thread, all_cores = _KERNELS[name]
    dtype = arrays[0].dtype.type
    flat = [a.reshape(-1) for a in arrays]
    (all_cores if flat[0].size >= PARALLEL_MIN else one_thread)(*flat, *(dtype(s) if isinstance(s, float) else s
                                                                     for s in scalars))


def run_rows(name: str, p: np.ndarray, g: np.ndarray, rows: np.ndarray, state: tuple, scalars: tuple) -> None:
    """The kernel ``name`` on a 2-D parameter p (R, C) whose gradient is zero but in ``rows`` (k,) (sorted,
    distinct), given as g (k, C): the same result as ``run`` on the full gradient, without writing it.
    p, g and the state arrays (each (R, C)) are C-contiguous and of one dtype."""
    at = np.full(p.shape[0], -1, np.int64)
    at[rows] = np.arange(len(rows))
    dtype = p.dtype.type
    one_thread, all_cores = _ROW_KERNELS[name]
    (all_cores if p.size >= PARALLEL_MIN else one_thread)(p, g, at, np.zeros(p.shape[1], p.dtype), *state,
                                                          *(dtype(s) if isinstance(s, float) else s for s in scalars))
