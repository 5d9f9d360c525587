"""Numerical gradients by central differences, and checking backprop against them.

    numerical_gradient(f, x)        dF/dx for any scalar function f of an array x
    gradient_check(model, x, y)     relative error of backprop, per parameter array

``gradient_check`` always works on a float64 copy of the model: in float32 the
differences drown in rounding error (relative errors of several percent on a
correct network), and the model itself is left untouched.
"""

from __future__ import annotations

import copy
from typing import Callable

import numpy as np


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central differences (f(x + eps) - f(x - eps)) / 2 eps, one element of x at a time.

    ``f`` takes no arguments and reads ``x``, which is perturbed in place and
    restored exactly. Returns an array shaped like x.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat, g = x.reshape(-1), grad.reshape(-1)  # views: writing flat[i] perturbs x
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        plus = f()
        flat[i] = saved - eps
        minus = f()
        flat[i] = saved
        g[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / max(||a|| + ||b||, tiny): 0 when equal, ~1 when unrelated."""
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denom) if denom > 1e-300 else 0.0


def float64_copy(model):
    """A copy of ``model`` computing in float64: same layers, weights, loss and regularizers."""
    twin = copy.deepcopy(model)
    twin.dtype = np.dtype(np.float64)
    for layer in twin.layers:
        layer.params = {k: v.astype(np.float64) for k, v in layer.params.items()}
        layer.grads = {k: np.zeros_like(v) for k, v in layer.params.items()}
        if hasattr(layer, "row_sparse"):  # copied during fit: the twin sees every input and fills grads
            layer.row_sparse, layer.input_columns, layer.sparse_grads = False, None, {}
    return twin


def gradient_check(model, x, y, eps: float = 1e-5, seed: int = 0) -> dict[str, float]:
    """Compare ``model``'s backprop gradients with numerical ones on (x, y), in float64.

    The check runs on a float64 copy (``float64_copy``), whatever the model's
    dtype, so a float32 model is checked as precisely as a float64 one and is
    not modified. The loss includes regularization. Training mode is used, with
    the random generator reset before every evaluation so dropout keeps one
    fixed mask. Returns ``{"<layer>.<param>": relative error}``.
    """
    model = float64_copy(model)
    x = model._inputs(x)
    t = model._targets(y, len(x))

    def loss() -> float:
        model.rng = np.random.default_rng(seed)
        return model.loss(model.forward(x, training=True), t) + model.penalty()

    model.rng = np.random.default_rng(seed)
    model.compute_gradients(x, t, training=True)
    analytic = {name: g.copy() for name, g in zip(model.named_params(), model.grads)}
    return {name: relative_error(analytic[name], numerical_gradient(loss, p, eps))
            for name, p in model.named_params().items()}
