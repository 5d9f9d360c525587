"""``keras.utils``: to_categorical (also as ``keras.utils.np_utils.to_categorical``, Keras 1 and 2)."""

from ...utils import to_categorical
from .._missing import module_getattr
from . import np_utils

__all__ = ["to_categorical", "np_utils"]
__getattr__ = module_getattr(__name__, __all__)
