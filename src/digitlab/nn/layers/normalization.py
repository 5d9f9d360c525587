"""Batch normalization, forward beside backward.

    batch_norm(x, gamma, beta, eps)          training: normalize by the batch's own mean and variance
    batch_norm_backward(dy, xhat, inv_std, gamma)
    BatchNormalization                       the layer; moving statistics for inference, saved with the model

Statistics are per feature: over every axis but the last, so (N, F) after a Dense
layer and (N, H, W, C) after a convolution both work (C features).
"""

from __future__ import annotations

import numpy as np

from ...errors import InvalidValueError
from .base import Layer


def batch_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float):
    """x (..., F), gamma and beta (F,) -> (y (..., F), xhat (..., F), inv_std (F,), mean (F,), var (F,))
    with the biased batch variance, as Keras normalizes."""
    axes = tuple(range(x.ndim - 1))
    mean = x.mean(axis=axes)
    xc = x - mean
    var = np.mean(np.square(xc), axis=axes)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = xc
    xhat *= inv_std  # in place: xc is ours
    return xhat * gamma + beta, xhat, inv_std, mean, var


def batch_norm_backward(dy: np.ndarray, xhat: np.ndarray, inv_std: np.ndarray, gamma: np.ndarray):
    """dy (..., F) -> (dx (..., F), dgamma (F,), dbeta (F,)), through the batch's mean and variance too:
    dx = inv_std / m * (m * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)), m samples per feature."""
    axes = tuple(range(dy.ndim - 1))
    m = dy.size // dy.shape[-1]
    dbeta = dy.sum(axis=axes)
    dgamma = (dy * xhat).sum(axis=axes)
    # dxhat = dy * gamma, so sum(dxhat) = gamma * dbeta and sum(dxhat * xhat) = gamma * dgamma
    dx = dy * (gamma * inv_std)
    dx -= (gamma * inv_std / m) * (dbeta + xhat * dgamma)
    return dx, dgamma, dbeta


class BatchNormalization(Layer):
    """Training: y = gamma * (x - batch mean) / sqrt(batch var + epsilon) + beta, and the moving averages
    move by (1 - momentum) towards the batch's statistics. Inference: the moving averages instead.
    Keras's defaults: momentum 0.99, epsilon 1e-3. The moving statistics are non-trainable state."""

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 name=None, input_shape=None):
        super().__init__(name, input_shape)
        if not 0 <= momentum < 1 or not epsilon > 0:
            raise InvalidValueError(f"BatchNormalization needs 0 <= momentum < 1 and epsilon > 0, "
                                    f"got {momentum} and {epsilon}")
        self.momentum, self.epsilon, self.center, self.scale = float(momentum), float(epsilon), bool(center), bool(scale)

    def build(self, input_shape, rng, dtype):
        f = int(input_shape[-1])
        self.input_shape = self.output_shape = tuple(input_shape)
        self.params = {}
        if self.scale:
            self.params["gamma"] = np.ones(f, dtype)
        if self.center:
            self.params["beta"] = np.zeros(f, dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.state = {"moving_mean": np.zeros(f, dtype), "moving_variance": np.ones(f, dtype)}
        self._one, self._zero = np.ones(f, dtype), np.zeros(f, dtype)
        return self.output_shape

    def forward(self, x, training=False, rng=None):
        gamma, beta = self.params.get("gamma", self._one), self.params.get("beta", self._zero)
        if not training:
            inv_std = 1.0 / np.sqrt(self.state["moving_variance"] + self.epsilon)
            shift = beta - self.state["moving_mean"] * gamma * inv_std
            y = x * (gamma * inv_std).astype(x.dtype, copy=False)  # one scale and one shift, in x's dtype
            y += shift.astype(x.dtype, copy=False)
            return y
        y, self.xhat, self.inv_std, mean, var = batch_norm(x, gamma, beta, self.epsilon)
        for key, batch in (("moving_mean", mean), ("moving_variance", var)):
            moving = self.state[key]
            moving += (1 - self.momentum) * (batch - moving)
        return y

    def backward(self, dy):
        gamma = self.params.get("gamma", self._one)
        dx, dgamma, dbeta = batch_norm_backward(dy, self.xhat, self.inv_std, gamma)
        if self.scale:
            self.grads["gamma"][...] = dgamma
        if self.center:
            self.grads["beta"][...] = dbeta
        return dx if self.needs_input_grad else None

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale}
