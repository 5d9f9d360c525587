"""Kernel regularizers, as in Keras: a penalty added to the loss and its gradient.

L1: ``l1 * sum(|W|)``, gradient ``l1 * sign(W)``.
L2: ``l2 * sum(W**2)``, gradient ``2 * l2 * W``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import InvalidValueError


@dataclass(frozen=True)
class L1L2:
    l1: float = 0.0
    l2: float = 0.0

    def __post_init__(self):
        if self.l1 < 0 or self.l2 < 0:
            raise InvalidValueError(f"regularization factors must be >= 0, got l1={self.l1}, l2={self.l2}")

    def penalty(self, w: np.ndarray) -> float:
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.abs(w).sum())
        if self.l2:
            total += self.l2 * float(np.square(w).sum())
        return total

    def add_gradient(self, w: np.ndarray, dw: np.ndarray) -> None:
        """dw += d penalty / dw, in place (dw is the layer's own gradient buffer)."""
        if self.l1:
            dw += self.l1 * np.sign(w)
        if self.l2:
            dw += (2 * self.l2) * w

    def get_config(self) -> dict:
        return asdict(self)


def L1(l1: float = 0.01) -> L1L2:  # noqa: N802 - Keras's names
    return L1L2(l1=l1)


def L2(l2: float = 0.01) -> L1L2:  # noqa: N802
    return L1L2(l2=l2)


l1, l2, l1_l2 = L1, L2, L1L2


def get(spec) -> L1L2 | None:
    """A regularizer from None, an instance, "l1"/"l2", or a saved config dict."""
    if spec is None or isinstance(spec, L1L2):
        return spec
    if isinstance(spec, dict):
        return L1L2(**spec)
    if spec in ("l1", "l2", "l1_l2"):
        return {"l1": L1(), "l2": L2(), "l1_l2": L1L2(0.01, 0.01)}[spec]
    raise InvalidValueError(f"unknown regularizer {spec!r} (expected 'l1', 'l2', 'l1_l2' or a regularizers.L1L2)")
