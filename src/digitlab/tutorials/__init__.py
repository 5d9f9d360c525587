"""The five tutorials' own systems, under their own names, built on the engine.

    neuralnet_mlp.py   Raschka's NeuralNetMLP (seed 000)
    legacy_pickle.py   the book's pickled weights, read by an arrays-only unpickler (seed 001)
    two_layer_net.py   the book's TwoLayerNet with fast numerical gradients (seed 003)
    presets.py         the Keras notebooks' networks (seeds 002, 004) and the shipped model's recipe
    reproduce.py       all of them run side by side: a table and JSON
"""

from . import presets
from .legacy_pickle import LegacyPickleError, UnsafePickleError, book_network, bundled_weights, load_pickled_weights
from .neuralnet_mlp import NeuralNetMLP
from .two_layer_net import TwoLayerNet

__all__ = ["load_pickled_weights", "bundled_weights", "book_network", "UnsafePickleError", "LegacyPickleError",
           "NeuralNetMLP", "TwoLayerNet", "presets"]
