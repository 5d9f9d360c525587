"""``keras.callbacks``: Callback, History, EarlyStopping, ModelCheckpoint."""

from ..nn.callbacks import Callback, EarlyStopping, History, ModelCheckpoint
from ._missing import module_getattr

__all__ = ["Callback", "History", "EarlyStopping", "ModelCheckpoint"]
__getattr__ = module_getattr(__name__, __all__)
