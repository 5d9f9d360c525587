"""``keras.layers``: every layer the engine has, under its Keras name."""

from ..nn.layers import LAYERS, Layer
from ._missing import module_getattr

globals().update(LAYERS)
__all__ = ["Layer", *LAYERS]
__getattr__ = module_getattr(__name__, __all__)
