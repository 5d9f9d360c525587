"""``keras.regularizers``: L1, L2, L1L2 (also as l1, l2, l1_l2, Keras 2's spellings)."""

from ..nn.regularizers import L1, L2, L1L2, get
from ._missing import module_getattr

l1, l2, l1_l2 = L1, L2, L1L2
__all__ = ["L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get"]
__getattr__ = module_getattr(__name__, __all__)
