"""The book's ``common/gradient.py``: central differences, ``f`` called with the array itself.

``numerical_gradient(f, x)`` nudges each element of ``x`` in place by +h and -h (h = 1e-4), calls
``f(x)`` each time, and puts the element back, so ``f`` may ignore its argument and read the array
through a closure, as the book's networks do (``lambda W: net.loss(x, t)``). Every element costs two
calls of ``f``: for a whole network that is slow by design (``digitlab.tutorials.TwoLayerNet`` shows a
faster way to the same numbers).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

H = 1e-4


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """df/dx by central differences, same shape as x (any shape). ``x`` must be a float array; it is
    modified during the call and restored exactly afterwards."""
    if not (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
        raise TypeError(f"numerical_gradient needs a float NumPy array to nudge, got {type(x).__name__}"
                        f"{'' if not isinstance(x, np.ndarray) else ' of ' + str(x.dtype)}")
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        kept = x[index]
        x[index] = kept + H
        above = f(x)
        x[index] = kept - H
        below = f(x)
        x[index] = kept
        grad[index] = (above - below) / (2 * H)
    return grad


__all__ = ["np", "numerical_gradient"]
