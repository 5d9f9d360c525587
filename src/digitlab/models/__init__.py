"""The tutorials' own systems, built on the engine."""

from .legacy_pickle import UnsafePickleError, book_network, load_pickled_weights
from .neuralnet_mlp import NeuralNetMLP
from .two_layer_net import TwoLayerNet

__all__ = ["load_pickled_weights", "book_network", "UnsafePickleError", "NeuralNetMLP", "TwoLayerNet"]
