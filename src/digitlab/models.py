"""``digitlab.models``, as Keras's ``models``: Sequential and load_model.

``from keras import models, layers`` becomes ``from digitlab import models, layers``. The tutorials'
own classes moved to ``digitlab.tutorials``; their old names here still work for this release.
"""

from .keras.models import Sequential, load_model  # noqa: F401
from .tutorials import (  # noqa: F401  (old import path, kept for this release)
    NeuralNetMLP, TwoLayerNet, UnsafePickleError, book_network, load_pickled_weights, presets,
)
