"""Layers, Keras names: ``layers.Dense(512, activation="relu")``.

    base.py      Layer: config in __init__, weights in build, forward beside backward
    core.py      Dense, Activation, Dropout, Flatten
    augment.py   Augment (random distortions in training) and its array functions
"""

from __future__ import annotations

from ...errors import InvalidValueError
from .augment import Augment
from .base import Layer
from .core import Activation, Dense, Dropout, Flatten

LAYERS = {cls.__name__: cls for cls in (Dense, Activation, Dropout, Flatten, Augment)}


def from_config(spec: dict) -> Layer:
    """Rebuild a layer from ``{"class_name": ..., "config": ...}`` as saved in a model file."""
    cls = LAYERS.get(spec.get("class_name"))
    if cls is None:
        raise InvalidValueError(f"unknown layer class {spec.get('class_name')!r} (expected one of: {', '.join(LAYERS)})")
    return cls.from_config(spec["config"])


__all__ = ["Layer", *LAYERS, "from_config", "LAYERS"]
