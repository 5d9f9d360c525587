"""``keras.activations``: the activation functions, by name."""

from ..nn.activations import linear, relu, sigmoid, softmax, tanh
from ._missing import module_getattr

__all__ = ["linear", "relu", "sigmoid", "softmax", "tanh"]
__getattr__ = module_getattr(__name__, __all__)
