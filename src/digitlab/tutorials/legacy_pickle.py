"""Reading legacy pickled weights (the book's ``sample_weight.pkl``) without running pickle code.

The book's three weight files ship in ``data/dlfs/`` (MIT, Copyright (c) 2016
Koki Saitoh; the notice is beside them). ``bundled_weights(name)`` gives the
path of one after checking its SHA-256; ``load_pickled_weights`` reads it.

A pickle is a small program: loading it calls whatever callables it names. The
unpickler here admits exactly the names NumPy needs to rebuild arrays and
dtypes; a pickle that names anything else (``os.system``, ``builtins.eval``...)
is refused before anything is called.
"""

from __future__ import annotations

import codecs
import hashlib
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


BUNDLED_DIR = Path(__file__).resolve().parent / "data" / "dlfs"

# the book's weight files shipped in BUNDLED_DIR: name -> SHA-256 of the file
BUNDLED_SHA256 = {
    "sample_weight": "b7f55a27988ba34c3777b0f1bbd464817c8a4db855723e6ff26f703501917a13",
    "simple_convnet_params": "a5da99cffddafcfe5e686e79dc0ec3a7cc993b58e64f483b50960511e5e85344",
    "deep_convnet_params": "4b7a27baee2037605afa94d3f514ca9fa9cc96623739328609765073cfd5f802",
}


def bundled_weights(name: str) -> Path:
    """The path of one of the book's weight files shipped with digitlab, its SHA-256 checked.

    ``name`` is "sample_weight" (ch03's 784-50-100-10 network), "simple_convnet_params"
    (ch07's SimpleConvNet) or "deep_convnet_params" (ch08's DeepConvNet). Read the
    file with ``load_pickled_weights``.
    """
    if name not in BUNDLED_SHA256:
        raise DigitlabError(f"unknown bundled weights {name!r} (expected one of: {', '.join(BUNDLED_SHA256)})")
    path = BUNDLED_DIR / f"{name}.pkl"
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        raise DigitlabError(f"{path}: the book's {name}.pkl is missing from this installation; "
                            "reinstall digitlab") from None
    if digest != BUNDLED_SHA256[name]:
        raise DigitlabError(f"{path}: SHA-256 {digest} does not match the book's {name}.pkl "
                            f"({BUNDLED_SHA256[name]}); the file was altered or damaged, reinstall digitlab")
    return path


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
        raise DigitlabError(f"{path}: no such file; expected a pickled dict of NumPy arrays (.pkl)") from None
    except IsADirectoryError:
        raise DigitlabError(f"{path}: is a directory; expected a pickled dict of NumPy arrays (.pkl)") from None
    try:
        obj = _ArraysOnlyUnpickler(io.BytesIO(data), str(path)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as e:
        raise DigitlabError(f"{path}: not a readable pickle of NumPy arrays ({type(e).__name__}: {e}); "
                            "expected a .pkl like the book's sample_weight.pkl") from None
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, np.ndarray) for k, v in obj.items()):
        raise DigitlabError(f"{path}: expected a dict of name -> NumPy array, got {type(obj).__name__}")
    return obj


def book_network(weights: dict[str, np.ndarray], source: str = "weights"):
    """The book's pretrained 784-50-100-10 network (sigmoid, sigmoid, softmax) from its W1..b3 arrays.

    ``source`` names the weights in the error if an array is missing or the wrong shape."""
    from ..nn import Sequential, layers

    expected = {"W1": (784, 50), "b1": (50,), "W2": (50, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)}
    wrong = [f"{k} {tuple(weights[k].shape) if k in weights else 'missing'}" for k, shape in expected.items()
             if k not in weights or tuple(weights[k].shape) != shape]
    if wrong:
        raise DigitlabError(f"{source}: not the book's sample_weight.pkl: {', '.join(wrong)}; expected "
                            + ", ".join(f"{k} {s}" for k, s in expected.items()))
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
