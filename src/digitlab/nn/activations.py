"""Activation functions and their derivatives, as plain array functions.

Each entry of ``ACTIVATIONS`` maps a name to ``(forward, backward)``:
``forward(z) -> y`` and ``backward(y, dy) -> dz``. The backward rules are
written in terms of the *output* y, so a layer caches only what it returned.
Shapes: z, y, dy, dz are (N, units).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import InvalidValueError


def linear(z: np.ndarray) -> np.ndarray:
    return z


def linear_backward(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    return dy


def sigmoid(z: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(-z)) overflows exp for z < -88 in float32; the tanh form never does.
    y = np.multiply(z, 0.5)
    np.tanh(y, out=y)
    y += 1
    y *= 0.5
    return y


def sigmoid_backward(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    return dy * y * (1 - y)


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def relu_backward(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    return dy * (y > 0)


def tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def tanh_backward(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    return dy * (1 - y * y)


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of logits z (N, K); subtracting the row max keeps exp from overflowing."""
    y = z - z.max(axis=-1, keepdims=True)
    np.exp(y, out=y)
    y /= y.sum(axis=-1, keepdims=True)
    return y


def softmax_backward(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    # Jacobian-vector product of softmax: y * (dy - <dy, y>) per row.
    return y * (dy - (dy * y).sum(axis=-1, keepdims=True))


ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "linear": (linear, linear_backward),
    "sigmoid": (sigmoid, sigmoid_backward),
    "relu": (relu, relu_backward),
    "tanh": (tanh, tanh_backward),
    "softmax": (softmax, softmax_backward),
}


def get(name: str | None) -> tuple[Callable, Callable]:
    """Look up an activation by name (None means linear)."""
    if name is None:
        name = "linear"
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise InvalidValueError(f"unknown activation {name!r} (expected one of: {', '.join(ACTIVATIONS)})") from None
