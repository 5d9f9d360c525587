"""Reading legacy pickled weights (the book's ``sample_weight.pkl``) without running pickle code.

The book's three weight files ship in ``data/dlfs/`` (MIT, Copyright (c) 2016
Koki Saitoh; the notice is beside them). ``bundled_weights(name)`` gives the
path of one after checking its SHA-256; ``load_pickled_weights`` reads it.

A pickle is a small program: loading it calls whatever callables it names. The
unpickler here resolves exactly the names NumPy pickles arrays with, and each
to a stand-in of ours that checks its arguments before anything is allocated:

- ``_reconstruct(ndarray, ...)`` gives a placeholder whose state must be a shape,
  a numeric dtype (bool, integer, float, complex; never object, string or
  structured) and exactly the raw bytes that shape needs;
- ``dtype(code)`` accepts only such numeric type codes and a byte order;
- ``_codecs.encode(text, "latin1")`` (how protocol 2 stores bytes) only latin-1.

The file must be a regular file of at most ``MAX_FILE_BYTES``, with at most
``MAX_OPCODES`` pickle instructions, and the arrays built from it may total at
most twice its size, so memory stays proportional to the file. Every failure is
a ``LegacyPickleError`` naming the file.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import pickle
import pickletools
from pathlib import Path

import numpy as np

from .._io import read_regular
from ..errors import DigitlabError

MAX_FILE_BYTES = 64 * 1024 * 1024  # the book's sample_weight.pkl is 182 kB
MAX_OPCODES = 10_000               # it has 178
NUMERIC_KINDS = "biufc"            # bool, signed, unsigned, float, complex

_RECONSTRUCT = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}
_SCALAR = {("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")}
_ALLOWED = _RECONSTRUCT | _SCALAR | {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}
BOOK_SHAPES = {"W1": (784, 50), "b1": (50,), "W2": (50, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)}


class LegacyPickleError(DigitlabError):
    """A legacy pickle that cannot be read as plain NumPy arrays: damaged, too large, or not arrays."""


class UnsafePickleError(LegacyPickleError):
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


class _Refused(Exception):
    """Raised inside the unpickler; ``load_pickled_weights`` adds the file name."""


_NDARRAY = object()  # what "numpy.ndarray" resolves to: an argument for _reconstruct, never callable


class _Dtype:
    """A numeric dtype being unpickled: ``dtype(code, align, copy)`` then its state (byte order)."""

    def __init__(self, code, align=False, copy=True):
        if not isinstance(code, str) or len(code) > 4:
            raise _Refused(f"dtype {code!r} (expected a numeric type code such as 'f4')")
        try:
            self.dtype = np.dtype(code)
        except TypeError:
            raise _Refused(f"unknown dtype {code!r}") from None
        if self.dtype.kind not in NUMERIC_KINDS or self.dtype.fields is not None or self.dtype.subdtype is not None:
            raise _Refused(f"dtype {self.dtype} (only numeric arrays are read, never object, string or structured)")

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) < 2 or state[1] not in ("<", ">", "|", "=") \
                or any(s is not None for s in state[2:5]):
            raise _Refused("dtype state is not a plain byte order")
        if state[1] in "<>":
            self.dtype = self.dtype.newbyteorder(state[1])


class _Budget:
    """Bytes that the arrays of one file may still take."""

    def __init__(self, total: int):
        self.left = total

    def take(self, n: int) -> None:
        if n > self.left:
            raise _Refused("its arrays take more memory than its size can hold (repeated or inflated data)")
        self.left -= n


def _raw_bytes(raw) -> bytes:
    if isinstance(raw, str):  # a Python 2 pickle's str
        raw = raw.encode("latin-1")
    if not isinstance(raw, (bytes, bytearray)):
        raise _Refused(f"array data is {type(raw).__name__}, expected bytes")
    return bytes(raw)


class _Array:
    """An ndarray being unpickled: ``_reconstruct(ndarray, ...)`` then its state."""

    def __init__(self, budget: _Budget):
        self.budget, self.array = budget, None

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise _Refused("array state is not (version, shape, dtype, fortran, data)")
        shape, dtype, fortran, raw = state[-4:]
        if not isinstance(shape, tuple) or len(shape) > 32 or \
                not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape):
            raise _Refused(f"array shape {shape!r} is not a tuple of sizes")
        if not isinstance(dtype, _Dtype):
            raise _Refused("array dtype is not a numeric dtype")
        raw = _raw_bytes(raw)
        needed = math.prod(shape) * dtype.dtype.itemsize
        if needed != len(raw):
            raise _Refused(f"array of shape {shape} and dtype {dtype.dtype} needs {needed:,} bytes, has {len(raw):,}")
        self.budget.take(needed)
        flat = np.frombuffer(raw, dtype=dtype.dtype)
        self.array = flat.reshape(shape, order="F" if fortran else "C").copy()


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def __init__(self, file, source: str, budget: _Budget):
        super().__init__(file)
        self.source, self.budget = source, budget

    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise UnsafePickleError(f"{self.source}: refused to load: the pickle references {module}.{name} "
                                    "(only NumPy arrays and dtypes are allowed)")
        if (module, name) in _RECONSTRUCT:
            return self._reconstruct
        if (module, name) in _SCALAR:
            return self._scalar
        return {"ndarray": _NDARRAY, "dtype": _Dtype, "encode": self._encode}[name]

    def _reconstruct(self, cls, shape=(0,), typecode=b"b"):
        if cls is not _NDARRAY:
            raise _Refused("_reconstruct of something other than numpy.ndarray")
        return _Array(self.budget)

    def _scalar(self, dtype, raw=b""):
        if not isinstance(dtype, _Dtype):
            raise _Refused("scalar of a non-numeric dtype")
        raw = _raw_bytes(raw)
        if len(raw) != dtype.dtype.itemsize:
            raise _Refused(f"scalar of dtype {dtype.dtype} with {len(raw)} bytes")
        return np.frombuffer(raw, dtype=dtype.dtype)[0]

    def _encode(self, text, encoding="utf-8", errors="strict"):
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise _Refused(f"_codecs.encode of {type(text).__name__} as {encoding!r} (only latin-1 text)")
        self.budget.take(len(text))
        return text.encode("latin-1")


def _check_opcodes(data: bytes) -> None:
    """Walk the instructions without running them: their number is bounded, and so are memo indices
    (the unpickler grows its memo table to the largest index it sees: LONG_BINPUT 2**31 would take 16 GB)."""
    for n, (op, arg, _) in enumerate(pickletools.genops(data)):
        if n >= MAX_OPCODES:
            raise _Refused(f"more than {MAX_OPCODES:,} pickle instructions (arrays of weights need a few hundred)")
        if op.name in ("PUT", "BINPUT", "LONG_BINPUT") and not 0 <= int(arg) < MAX_OPCODES:
            raise _Refused(f"memo index {arg} (at most {MAX_OPCODES - 1:,})")


def load_pickled_weights(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a pickled ``{name: ndarray}`` dict, refusing anything that is not plain numeric NumPy data."""
    path = Path(path)
    try:
        data = read_regular(path, MAX_FILE_BYTES, LegacyPickleError, "pickle of NumPy arrays")
    except FileNotFoundError:
        raise LegacyPickleError(f"{path}: no such file; expected a pickled dict of NumPy arrays (.pkl)") from None
    try:
        _check_opcodes(data)
        obj = _ArraysOnlyUnpickler(io.BytesIO(data), str(path), _Budget(2 * len(data))).load()
    except UnsafePickleError:
        raise
    except _Refused as e:
        raise LegacyPickleError(f"{path}: refused to load: {e}") from None
    except Exception as e:  # whatever a damaged stream makes the unpickler raise: it is data, not our fault
        raise LegacyPickleError(f"{path}: not a readable pickle of NumPy arrays ({type(e).__name__}: "
                                f"{str(e)[:200]})") from None
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, _Array) and v.array is not None
                                            for k, v in obj.items()):
        raise LegacyPickleError(f"{path}: expected a dict of name -> NumPy array, got {type(obj).__name__}")
    return {k: v.array for k, v in obj.items()}


def book_network(weights: dict[str, np.ndarray], source: str | os.PathLike = "the weights"):
    """The book's pretrained 784-50-100-10 network (sigmoid, sigmoid, softmax) from its W1..b3 arrays."""
    from ..nn import Sequential, layers

    missing = [k for k in BOOK_SHAPES if k not in weights]
    if missing:
        raise LegacyPickleError(f"{source}: lacks {', '.join(missing)} (the book's network needs "
                                f"{', '.join(BOOK_SHAPES)}; found {', '.join(sorted(weights)) or 'nothing'})")
    wrong = [f"{k} is {np.shape(weights[k])}, expected {s}" for k, s in BOOK_SHAPES.items() if np.shape(weights[k]) != s]
    wrong += [f"{k} is {weights[k].dtype}, expected floats" for k in BOOK_SHAPES if weights[k].dtype.kind != "f"]
    if wrong:
        raise LegacyPickleError(f"{source}: does not fit the book's 784-50-100-10 network: {'; '.join(wrong)}")
    model = Sequential([layers.Dense(50, activation="sigmoid", input_shape=(784,)),
                        layers.Dense(100, activation="sigmoid"), layers.Dense(10, activation="softmax")],
                       name="dlfs_pretrained")
    model.build()
    model.set_weights([weights[k] for k in BOOK_SHAPES])
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
def load(file) -> dict[str, np.ndarray]:
    """``pickle.load(f)`` for the book's weight files, arrays only, so a tutorial's ``import pickle``
    can become ``from digitlab.tutorials import legacy_pickle as pickle`` and its
    ``with open("sample_weight.pkl", "rb") as f: network = pickle.load(f)`` stays as it is."""
    name = getattr(file, "name", None)
    if not isinstance(name, (str, os.PathLike)):
        raise DigitlabError("legacy_pickle.load needs a file opened from a path (open(path, 'rb')); "
                            f"got {type(file).__name__}")
    return load_pickled_weights(name)
