"""``keras.losses``: the loss classes, and ``get`` for their names ("categorical_crossentropy", ...)."""

from ..nn.losses import (BinaryCrossentropy, CategoricalCrossentropy, Loss, MeanSquaredError,
                         SparseCategoricalCrossentropy, get)
from ._missing import module_getattr

__all__ = ["Loss", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "BinaryCrossentropy",
           "MeanSquaredError", "get"]
__getattr__ = module_getattr(__name__, __all__)
