"""``keras.optimizers``: SGD, RMSprop, Adam (Keras's defaults), and ``get``."""

from ..nn.optimizers import SGD, Adam, Optimizer, RMSprop, get
from ._missing import module_getattr

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "get"]
__getattr__ = module_getattr(__name__, __all__)
