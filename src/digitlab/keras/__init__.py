"""Keras's layout over digitlab: ``keras.`` and ``tensorflow.keras.`` become ``digitlab.keras.``.

    from digitlab.keras import models, layers          # from keras import models, layers
    from digitlab.keras.models import Sequential        # from tensorflow.keras.models import Sequential
    from digitlab.keras.utils import to_categorical     # from keras.utils import to_categorical
    from digitlab.keras.datasets import mnist           # from keras.datasets import mnist

Everything here is the engine's own (``digitlab.nn``) under Keras's module names. A Keras name that
digitlab does not implement raises ``NotInDigitlab`` naming what the module offers instead.
"""

from .. import __version__  # noqa: F401
from . import activations, callbacks, datasets, initializers, layers, losses, models, optimizers, regularizers, utils
from ._missing import NotInDigitlab, module_getattr
from .models import Sequential, load_model

__all__ = ["__version__", "Sequential", "load_model", "models", "layers", "optimizers", "losses", "callbacks",
           "activations", "initializers", "regularizers", "utils", "datasets", "NotInDigitlab"]
__getattr__ = module_getattr(__name__, __all__)
