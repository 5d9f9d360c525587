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


def load(file) -> dict[str, np.ndarray]:
    """``pickle.load(f)`` for the book's weight files, arrays only, so a tutorial's ``import pickle``
    can become ``from digitlab.tutorials import legacy_pickle as pickle`` and its
    ``with open("sample_weight.pkl", "rb") as f: network = pickle.load(f)`` stays as it is."""
    name = getattr(file, "name", None)
    if not isinstance(name, (str, os.PathLike)):
        raise DigitlabError("legacy_pickle.load needs a file opened from a path (open(path, 'rb')); "
                            f"got {type(file).__name__}")
    return load_pickled_weights(name)
