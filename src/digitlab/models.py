"""Old import path of the tutorials' systems, kept for this release: use ``digitlab.tutorials``."""

from .tutorials import (  # noqa: F401
    NeuralNetMLP, TwoLayerNet, UnsafePickleError, book_network, load_pickled_weights, presets,
)
