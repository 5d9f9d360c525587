"""Layers, Keras names: ``layers.Dense(512, activation="relu")``.

    base.py            Layer: config in __init__, weights in build, forward beside backward
    core.py            Dense, Activation, Dropout, Flatten
    conv.py            Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, ZeroPadding2D, Reshape
    normalization.py   BatchNormalization
    augment.py         Augment (random distortions in training) and its array functions
"""

from __future__ import annotations

from ...errors import InvalidValueError
from .augment import Augment
from .base import Layer
from .conv import AveragePooling2D, Conv2D, GlobalAveragePooling2D, MaxPooling2D, Reshape, ZeroPadding2D
from .core import Activation, Dense, Dropout, Flatten
from .normalization import BatchNormalization

LAYERS = {cls.__name__: cls for cls in (Dense, Activation, Dropout, Flatten, Augment, Conv2D, MaxPooling2D,
                                        AveragePooling2D, GlobalAveragePooling2D, ZeroPadding2D, Reshape,
                                        BatchNormalization)}


def from_config(spec: dict) -> Layer:
    """Rebuild a layer from ``{"class_name": ..., "config": ...}`` as saved in a model file."""
    cls = LAYERS.get(spec.get("class_name"))
    if cls is None:
        raise InvalidValueError(f"unknown layer class {spec.get('class_name')!r} (expected one of: {', '.join(LAYERS)})")
    return cls.from_config(spec["config"])


__all__ = ["Layer", *LAYERS, "from_config", "LAYERS"]
