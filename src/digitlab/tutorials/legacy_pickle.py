"""Reading legacy pickled weights (the book's ``sample_weight.pkl``) without running pickle code.

A pickle is a small program: loading it calls whatever callables it names. The
unpickler here admits exactly the names NumPy needs to rebuild arrays and
dtypes; a pickle that names anything else (``os.system``, ``builtins.eval``...)
is refused before anything is called.
"""

from __future__ import annotations

import codecs
import io
import os
import pickle
from pathlib import Path

import numpy as np

from ..errors import DigitlabError

# (module, name) pairs NumPy arrays pickle themselves with, across NumPy 1.x and 2.x module paths
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("_codecs", "encode"),  # protocol 2 stores array bytes as a latin-1 string to re-encode: pure data
}


def _multiarray():
    try:
        from numpy._core import multiarray  # NumPy >= 2
    except ImportError:  # pragma: no cover - NumPy 1.x
        from numpy.core import multiarray
    return multiarray


class UnsafePickleError(DigitlabError):
    """A pickle names something other than NumPy's array reconstruction."""


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def __init__(self, file, source: str):
        super().__init__(file)
        self.source = source

    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise UnsafePickleError(f"{self.source}: refused to load: the pickle references {module}.{name} "
                                    "(only NumPy arrays and dtypes are allowed)")
        if module == "numpy":
            return getattr(np, name)
        if module == "_codecs":
            return codecs.encode
        return getattr(_multiarray(), name)  # the same function, wherever this NumPy keeps it


def load_pickled_weights(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a pickled ``{name: ndarray}`` dict, refusing anything that is not plain NumPy data."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DigitlabError(f"{path}: no such file") from None
    try:
        obj = _ArraysOnlyUnpickler(io.BytesIO(data), str(path)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as e:
        raise DigitlabError(f"{path}: not a readable pickle of NumPy arrays ({type(e).__name__}: {e})") from None
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, np.ndarray) for k, v in obj.items()):
        raise DigitlabError(f"{path}: expected a dict of name -> NumPy array, got {type(obj).__name__}")
    return obj


def book_network(weights: dict[str, np.ndarray]):
    """The book's pretrained 784-50-100-10 network (sigmoid, sigmoid, softmax) from its W1..b3 arrays."""
    from ..nn import Sequential, layers

    model = Sequential([layers.Dense(50, activation="sigmoid", input_shape=(784,)),
                        layers.Dense(100, activation="sigmoid"), layers.Dense(10, activation="softmax")],
                       name="dlfs_pretrained")
    model.build()
    model.set_weights([weights[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3")])
    return model


def channels_last_kernel(w: np.ndarray) -> np.ndarray:
    """The book's convolution kernel (F, C, KH, KW) as digitlab's (KH, KW, C, F)."""
    return np.ascontiguousarray(w.transpose(2, 3, 1, 0))


def channels_last_rows(w: np.ndarray, image_shape: tuple[int, int, int]) -> np.ndarray:
    """The rows of the first affine layer after the book's flatten, which reads (C, H, W) in C-major
    order, reordered for digitlab's Flatten of (H, W, C). w (C * H * W, out) -> (H * W * C, out)."""
    c, h, wd = image_shape
    return np.ascontiguousarray(w.reshape(c, h, wd, -1).transpose(1, 2, 0, 3).reshape(c * h * wd, -1))


def _book_weights(weights: dict[str, np.ndarray], count: int, flatten_at: int, image_shape) -> list[np.ndarray]:
    """W1, b1, ..., W<count>, b<count> in digitlab's layouts: 4-D kernels channels-last, and the rows of
    W<flatten_at> (the first affine layer) reordered for a channels-last Flatten."""
    missing = [k for i in range(1, count + 1) for k in (f"W{i}", f"b{i}") if k not in weights]
    if missing:
        raise DigitlabError(f"the book's convnet weights lack {', '.join(missing)} (got {', '.join(sorted(weights))})")
    out = []
    for i in range(1, count + 1):
        w = weights[f"W{i}"]
        w = channels_last_kernel(w) if w.ndim == 4 else channels_last_rows(w, image_shape) if i == flatten_at else w
        out += [w, weights[f"b{i}"]]
    return out


def simple_convnet(weights: dict[str, np.ndarray], dtype="float64"):
    """The book's ch07 SimpleConvNet with its trained weights: conv 30 5x5 - relu - 2x2 max pool -
    affine 100 - relu - affine 10 (softmax), taking (N, 784) pixels in [0, 1]."""
    from ..nn import Sequential, layers

    model = Sequential([layers.Reshape((28, 28, 1), input_shape=(784,)),
                        layers.Conv2D(30, 5, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                        layers.Dense(100, activation="relu"), layers.Dense(10, activation="softmax")],
                       name="dlfs_simple_convnet", dtype=dtype)
    model.build()
    model.set_weights(_book_weights(weights, 3, 2, (30, 12, 12)))
    return model


def deep_convnet(weights: dict[str, np.ndarray], dtype="float64"):
    """The book's ch08 DeepConvNet with its trained weights: six 3x3 convolutions (16, 16, 32, 32, 64, 64;
    pad 1, the fourth pad 2: ZeroPadding2D(2) then a 'valid' convolution), relu, a 2x2 max pool after
    every second; affine 50 - relu - dropout 0.5 - affine 10 - dropout 0.5 - softmax. (N, 784) pixels
    in [0, 1].

    The book's dropout scales by 0.5 at test time, digitlab's (inverted) dropout in training instead,
    so the book's test-time network is h -> 0.5 * (0.5 * h @ W8 + b8): the scales are folded into the
    last layer (0.25 * W8, 0.5 * b8), which gives the book's outputs exactly. (The first scale matters:
    it shrinks h @ W8 but not b8, and so changes some predictions.)"""
    from ..nn import Sequential, layers

    def conv(filters, padding="same"):
        return layers.Conv2D(filters, 3, padding=padding, activation="relu")
    model = Sequential([layers.Reshape((28, 28, 1), input_shape=(784,)),
                        conv(16), conv(16), layers.MaxPooling2D(2),
                        conv(32), layers.ZeroPadding2D(2), conv(32, "valid"), layers.MaxPooling2D(2),
                        conv(64), conv(64), layers.MaxPooling2D(2), layers.Flatten(),
                        layers.Dense(50, activation="relu"), layers.Dropout(0.5), layers.Dense(10),
                        layers.Dropout(0.5), layers.Activation("softmax")], name="dlfs_deep_convnet", dtype=dtype)
    model.build()
    converted = _book_weights(weights, 8, 7, (64, 4, 4))
    converted[-2], converted[-1] = 0.25 * converted[-2], 0.5 * converted[-1]  # W8, b8: the test-time scales
    model.set_weights(converted)
    return model
