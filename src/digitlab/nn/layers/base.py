"""The layer protocol: each layer stores its config in ``__init__``, creates weights in
``build``, computes in ``forward`` and differentiates in ``backward``, right beside it.

``forward(x)`` caches only what ``backward`` needs; ``backward(dy)`` fills
``grads`` (same keys as ``params``) and returns dL/dx, or None when no layer
below needs it (the model sets ``needs_input_grad``). Incoming arrays are never
modified in place. ``state`` holds non-trainable arrays (BatchNormalization's moving
statistics): saved with the model, never touched by the optimizer.
"""

from __future__ import annotations

import numpy as np

from .. import activations, initializers, regularizers


class Layer:
    def __init__(self, name: str | None = None, input_shape: tuple[int, ...] | None = None):
        self.name = name
        self.input_shape = tuple(input_shape) if input_shape is not None else None
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}
        self.needs_input_grad = True
        self.output_shape: tuple[int, ...] | None = None

    def build(self, input_shape: tuple[int, ...], rng: np.random.Generator, dtype) -> tuple[int, ...]:
        """Create weights for inputs of shape (N, *input_shape); return the output shape (without N)."""
        self.input_shape = tuple(input_shape)
        self.output_shape = self.input_shape
        return self.output_shape

    def weight_shapes(self, input_shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
        """The shapes ``build`` would give ``params`` for this input shape, without allocating them."""
        return {}

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def penalty(self) -> float:
        """This layer's regularization term of the loss."""
        return 0.0

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)


class WeightedLayer(Layer):
    """A layer with a kernel, an optional bias and an activation (Dense, Conv2D): the settings they share."""

    def _set_weight_settings(self, activation, use_bias, kernel_initializer, bias_initializer,
                             kernel_regularizer) -> None:
        self.activation = activation or "linear"
        self._act, self._act_backward = activations.get(self.activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)

