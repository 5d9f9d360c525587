"""``keras.models``: Sequential and load_model."""

from ..nn import Sequential, load_model
from ._missing import module_getattr

__all__ = ["Sequential", "load_model"]
__getattr__ = module_getattr(__name__, __all__)
