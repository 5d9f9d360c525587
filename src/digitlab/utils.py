"""Small helpers: those the seeds' users know from Keras, and a JSON nesting check."""

from __future__ import annotations

import re

import numpy as np

from .errors import InvalidValueError


def to_categorical(y, num_classes: int | None = None, dtype=np.float32) -> np.ndarray:
    """One-hot encode integer labels, as ``keras.utils.to_categorical``.

    ``y`` of shape (N,) (or (N, 1)) with values in [0, num_classes) becomes
    (N, num_classes). ``num_classes`` defaults to ``max(y) + 1``.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or (y.size and y.dtype.kind not in "iu" and not np.all(np.mod(y, 1) == 0)):
        raise InvalidValueError(f"to_categorical: expected a 1-D array of integer labels, got shape {y.shape} dtype {y.dtype}")
    y = y.astype(np.int64)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise InvalidValueError(f"to_categorical: labels must be in [0, {num_classes}), got range [{y.min()}, {y.max()}]")
    out = np.zeros((len(y), num_classes), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)


def json_depth(text: str | bytes) -> int:
    """How deep brackets nest in JSON ``text`` (strings skipped), found without parsing it, so a
    document too deep for a recursive parser can be refused first. Linear in the length."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    codes = np.frombuffer(_JSON_STRING.sub(b'""', data), dtype=np.uint8)
    step = np.isin(codes, (ord("["), ord("{"))).astype(np.int64) - np.isin(codes, (ord("]"), ord("}")))
    return int(np.cumsum(step).max()) if step.size else 0
