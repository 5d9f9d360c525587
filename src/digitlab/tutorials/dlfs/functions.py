"""The book's ``common/functions.py``: activation and loss functions on plain arrays.

Shapes follow the book: ``x`` is one sample (K,) or a batch (N, K); labels ``t`` are one-hot
(N, K) or class indices (N,). Sigmoid and softmax never overflow (softmax is the engine's).
"""

from __future__ import annotations

import numpy as np

from ...nn import activations

DELTA = 1e-7  # the book adds this inside log() so that log(0) never happens


def identity_function(x: np.ndarray) -> np.ndarray:
    return x


def step_function(x: np.ndarray) -> np.ndarray:
    """1 where x > 0, else 0, as integers."""
    return np.asarray(np.asarray(x) > 0, dtype=int)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), elementwise, without overflow for large |x| (as exp(-log(1 + exp(-x))))."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    """d sigmoid / dx at x."""
    y = sigmoid(x)
    return (1.0 - y) * y


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(0, x)


def relu_grad(x: np.ndarray) -> np.ndarray:
    """1 where x >= 0, else 0 (the book's convention at 0)."""
    return np.asarray(np.asarray(x) >= 0, dtype=float)


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis: of the whole vector for (K,), of each row for (N, K)."""
    return activations.softmax(np.asarray(x, dtype=float))


def mean_squared_error(y: np.ndarray, t: np.ndarray) -> float:
    """0.5 * sum((y - t)^2), as the book defines it (a sum, not a mean over the batch)."""
    return 0.5 * float(np.sum((np.asarray(y) - np.asarray(t)) ** 2))


def cross_entropy_error(y: np.ndarray, t: np.ndarray) -> float:
    """Mean over the batch of -log(probability of the true class). y (K,) or (N, K) probabilities;
    t one-hot of the same size, or class indices (N,)."""
    y, t = np.asarray(y), np.asarray(t)
    if y.ndim == 1:
        y, t = y.reshape(1, -1), t.reshape(1, -1) if t.size == y.size else t.reshape(1)
    if t.size == y.size:  # one-hot -> indices
        t = t.argmax(axis=1)
    n = y.shape[0]
    return float(-np.sum(np.log(y[np.arange(n), t.astype(int)] + DELTA)) / n)


def softmax_loss(x: np.ndarray, t: np.ndarray) -> float:
    """cross_entropy_error(softmax(x), t)."""
    return cross_entropy_error(softmax(x), t)


__all__ = ["np", "identity_function", "step_function", "sigmoid", "sigmoid_grad", "relu", "relu_grad", "softmax",
           "mean_squared_error", "cross_entropy_error", "softmax_loss"]
