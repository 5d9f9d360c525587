"""The book's ``common/layers.py``: each layer has ``forward`` and ``backward`` and keeps what
backward needs; parameter layers expose their gradients (``Affine.dW``, ``Affine.db``).

Unlike the book, no incoming array is modified in place (``Relu.backward`` returns a new array).
"""

from __future__ import annotations

import numpy as np

from .functions import *  # noqa: F401,F403  (the book's layers module re-exports its functions)
from .functions import __all__ as _functions
from .functions import cross_entropy_error, sigmoid, softmax


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x <= 0
        return np.where(self.mask, 0, x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return np.where(self.mask, 0, dout)


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (1.0 - self.out) * self.out


class Affine:
    """out = x @ W + b. x (N, ...) is flattened to (N, D); W (D, M), b (M,), out (N, M)."""

    def __init__(self, W: np.ndarray, b: np.ndarray):
        self.W, self.b = W, b
        self.x = self.original_x_shape = None
        self.dW = self.db = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.original_x_shape)


class SoftmaxWithLoss:
    """Softmax then cross-entropy; backward is (y - t) / N, the fused gradient."""

    def __init__(self):
        self.loss = self.y = self.t = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, t)
        return self.loss

    def backward(self, dout: float = 1) -> np.ndarray:
        y = self.y.reshape(1, -1) if self.y.ndim == 1 else self.y
        n = y.shape[0]
        t = np.asarray(self.t)
        if t.size == y.size:
            dx = y - t.reshape(y.shape)
        else:
            dx = y.copy()
            dx[np.arange(n), t.reshape(n).astype(int)] -= 1
        return (dx * dout / n).reshape(self.y.shape)


class Dropout:
    """In training, zero each unit with probability ``dropout_ratio``; at test time, scale by
    ``1 - dropout_ratio`` (the book's convention, not inverted dropout)."""

    def __init__(self, dropout_ratio: float = 0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.mask


__all__ = [*_functions, "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss", "Dropout"]
