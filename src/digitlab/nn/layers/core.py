"""Core layers: Dense, Activation, Dropout, Flatten, each forward beside backward."""

from __future__ import annotations

import numpy as np

from .. import activations
from ...errors import InvalidValueError
from .base import Layer, WeightedLayer


SPARSE_ROWS_BELOW = 0.8  # skip a batch's all-zero inputs when at most this share of the inputs is left


class Dense(WeightedLayer):
    """y = activation(x @ kernel + bias). x (N, in), kernel (in, units), bias (units,), y (N, units)."""

    def __init__(self, units: int, activation: str | None = None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 input_shape=None, name=None):
        super().__init__(name, input_shape)
        if not (isinstance(units, (int, np.integer)) and units > 0):
            raise InvalidValueError(f"Dense units must be a positive integer, got {units!r}")
        self.units = int(units)
        self._set_weight_settings(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer)
        self.input_columns: np.ndarray | None = None  # set by fit: training inputs hold only these features
        self.row_sparse = False  # set by fit on a first layer: a batch's all-zero inputs are skipped (see forward)
        self.sparse_grads: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # {"kernel": (rows (k,), dL/dW[rows] (k, units))}

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 1:
            raise InvalidValueError(
                f"Dense {self.name} expects inputs of shape (N, features), got (N, {', '.join(map(str, input_shape))}); "
                "flatten them first (layers.Flatten or x.reshape(len(x), -1))")
        self.input_shape = tuple(input_shape)
        shapes = self.weight_shapes(input_shape)
        self.params = {"kernel": self.kernel_initializer(shapes["kernel"], rng, dtype)}
        if self.use_bias:
            self.params["bias"] = self.bias_initializer(shapes["bias"], rng, dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.output_shape = (self.units,)
        return self.output_shape

    def weight_shapes(self, input_shape):
        shapes = {"kernel": (int(input_shape[-1]), self.units)}  # (in, units)
        if self.use_bias:
            shapes["bias"] = (self.units,)
        return shapes

    def forward(self, x, training=False, rng=None):
        kernel = self.params["kernel"]
        self.rows = None
        if training and self.input_columns is not None:
            kernel = kernel[self.input_columns]
        elif training and self.row_sparse:
            x, kernel = self._active_inputs(x, kernel)
        z = x @ kernel  # (N, units)
        if self.use_bias:
            z += self.params["bias"]
        self.x, self.y = x, self._act(z)
        return self.y

    def _active_inputs(self, x: np.ndarray, kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x (N, in), kernel (in, units) -> x (N, k), kernel (k, units) without the inputs that are zero in
        every sample of this batch (a third of MNIST's pixels in a batch of 128), which change neither the
        output nor the kernel's gradient: both products shrink, and the optimizer updates the kernel from
        the k rows' gradient (``sparse_grads``). Unchanged if too few inputs are zero for that to pay."""
        rows = np.flatnonzero(x.any(axis=0))  # (k,)
        if len(rows) > SPARSE_ROWS_BELOW * x.shape[1]:
            return x, kernel
        self.rows = rows
        return x[:, rows], kernel[rows]  # (fancy indexing copies rows faster than np.take into a buffer)

    def backward(self, dy):
        return self.backward_preactivation(self._act_backward(self.y, dy))

    def backward_preactivation(self, dz: np.ndarray) -> np.ndarray | None:
        """Backward from dL/dz, z = x @ kernel + bias (N, units); also used when the
        loss has already differentiated through this layer's activation (fused)."""
        self.sparse_grads = {}
        if self.rows is not None:  # the rows of the kernel's gradient that are not zero: (k, units)
            self.sparse_grads["kernel"] = (self.rows, self.x.T @ dz)
        elif self.input_columns is None:
            np.matmul(self.x.T, dz, out=self.grads["kernel"])  # (in, units)
        else:  # the other inputs are zero in every training sample
            self.grads["kernel"].fill(0)
            self.grads["kernel"][self.input_columns] = self.x.T @ dz
        if self.kernel_regularizer:
            self.kernel_regularizer.add_gradient(self.params["kernel"], self.grads["kernel"])
        if self.use_bias:
            np.sum(dz, axis=0, out=self.grads["bias"])
        return dz @ self.params["kernel"].T if self.needs_input_grad else None  # (N, in)

    def penalty(self):
        return self.kernel_regularizer.penalty(self.params["kernel"]) if self.kernel_regularizer else 0.0

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation, "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer.get_config(),
                "bias_initializer": self.bias_initializer.get_config(),
                "kernel_regularizer": self.kernel_regularizer.get_config() if self.kernel_regularizer else None}


class Activation(Layer):
    """y = activation(x), element-wise (softmax: per row)."""

    def __init__(self, activation: str, name=None, input_shape=None):
        super().__init__(name, input_shape)
        self.activation = activation
        self._act, self._act_backward = activations.get(activation)

    def forward(self, x, training=False, rng=None):
        self.y = self._act(x)
        return self.y

    def backward(self, dy):
        return self._act_backward(self.y, dy)

    def backward_preactivation(self, dz):
        return dz

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}


class Dropout(Layer):
    """During training, zero each input with probability ``rate`` and scale the rest by
    1 / (1 - rate) ("inverted dropout"), so inference needs no change."""

    def __init__(self, rate: float, name=None, input_shape=None):
        super().__init__(name, input_shape)
        if not 0 <= rate < 1:
            raise InvalidValueError(f"Dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)

    def forward(self, x, training=False, rng=None):
        if not training or self.rate == 0:
            self.mask = None
            return x
        keep = rng.random(x.shape, dtype=x.dtype) >= self.rate
        self.mask = keep.astype(x.dtype) / x.dtype.type(1 - self.rate)
        return x * self.mask

    def backward(self, dy):
        return dy if self.mask is None else dy * self.mask

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1 * d2 * ...)."""

    def build(self, input_shape, rng, dtype):
        self.input_shape = tuple(input_shape)
        self.output_shape = (int(np.prod(input_shape)),)
        return self.output_shape

    def forward(self, x, training=False, rng=None):
        return x.reshape(len(x), -1)

    def backward(self, dy):
        return dy.reshape(len(dy), *self.input_shape)
