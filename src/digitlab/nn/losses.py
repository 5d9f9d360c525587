"""Losses: the value averaged (or summed) over a batch, and its gradient.

Shapes: predictions y and targets t are (N, K); targets are one-hot or
probabilities for the cross-entropies. ``gradient(y, t)`` is dL/dy.

A loss may name the output activation it ``fuses_with``: then
``fused_gradient(y, t)`` gives dL/dz for the pre-activation z directly. For
softmax + categorical cross-entropy this is ``(y - t) / N``: one stable step
instead of dividing by y and multiplying by the softmax Jacobian.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .activations import softmax
from ._registry import resolve
from ..errors import InvalidValueError

EPSILON = 1e-7  # Keras's fuzz factor: probabilities are clipped to [eps, 1 - eps] before log


class Loss:
    name = "loss"
    fuses_with: str | None = None

    def __call__(self, y: np.ndarray, t: np.ndarray) -> float:
        raise NotImplementedError

    def gradient(self, y: np.ndarray, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def fused_gradient(self, y: np.ndarray, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{self.name} has no fused gradient")

    def get_config(self) -> dict:
        return {"class_name": type(self).__name__, "config": asdict(self)}


@dataclass
class CategoricalCrossentropy(Loss):
    """-sum(t * log p) per sample, averaged over the batch. ``from_logits``: y are logits."""

    from_logits: bool = False
    name = "categorical_crossentropy"

    def __post_init__(self):
        self.fuses_with = None if self.from_logits else "softmax"

    def __call__(self, y, t):
        if self.from_logits:
            m = y.max(axis=-1, keepdims=True)
            log_z = m[:, 0] + np.log(np.exp(y - m).sum(axis=-1))
            return float(np.mean(log_z - (t * y).sum(axis=-1)))
        p = np.clip(y, EPSILON, 1 - EPSILON)
        return float(-np.mean((t * np.log(p)).sum(axis=-1)))

    def gradient(self, y, t):
        if self.from_logits:
            return (softmax(y) - t) / len(y)
        return -t / np.clip(y, EPSILON, 1 - EPSILON) / len(y)

    def fused_gradient(self, y, t):
        return (y - t) / y.dtype.type(len(y))


@dataclass
class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """The same loss, for integer labels (the model one-hot encodes them once)."""

    name = "sparse_categorical_crossentropy"


@dataclass
class BinaryCrossentropy(Loss):
    """-(t log p + (1-t) log(1-p)) per output unit; ``reduction`` "mean" (Keras) or
    "sum" (the logistic cost in Raschka's NeuralNetMLP)."""

    reduction: str = "mean"
    name = "binary_crossentropy"
    fuses_with = "sigmoid"

    def __post_init__(self):
        if self.reduction not in ("mean", "sum"):
            raise InvalidValueError(f"reduction must be 'mean' or 'sum', got {self.reduction!r}")

    def _scale(self, y) -> float:
        return 1.0 if self.reduction == "sum" else 1.0 / y.size

    def __call__(self, y, t):
        p = np.clip(y, EPSILON, 1 - EPSILON)
        return float(-(t * np.log(p) + (1 - t) * np.log(1 - p)).sum() * self._scale(y))

    def gradient(self, y, t):
        p = np.clip(y, EPSILON, 1 - EPSILON)
        return ((p - t) / (p * (1 - p)) * self._scale(y)).astype(y.dtype, copy=False)

    def fused_gradient(self, y, t):
        return ((y - t) * self._scale(y)).astype(y.dtype, copy=False)


@dataclass
class MeanSquaredError(Loss):
    """mean((y - t)**2) over all outputs."""

    name = "mean_squared_error"

    def __call__(self, y, t):
        return float(np.mean(np.square(y - t)))

    def gradient(self, y, t):
        return (2.0 / y.size) * (y - t)


LOSSES = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "logistic": lambda: BinaryCrossentropy(reduction="sum"),
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
}
_BY_CLASS = {c.__name__: c for c in (CategoricalCrossentropy, SparseCategoricalCrossentropy,
                                     BinaryCrossentropy, MeanSquaredError)}


def get(spec) -> Loss:
    """A Loss from a name, an instance, or a saved config dict."""
    return resolve(spec, "loss", Loss, LOSSES, _BY_CLASS)
