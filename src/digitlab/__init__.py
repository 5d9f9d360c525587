"""digitlab: handwritten digit recognition with a from-scratch NumPy engine, on real MNIST, offline."""

__version__ = "0.1.0"

from . import (  # noqa: E402
    activations, callbacks, datasets, idx, initializers, layers, losses, optimizers, regularizers, utils,
)
from .errors import DigitlabError  # noqa: E402
from .model import Sequential  # noqa: E402
from .saving import load_model  # noqa: E402

__all__ = ["__version__", "Sequential", "load_model", "layers", "optimizers", "losses", "activations",
           "initializers", "regularizers", "callbacks", "datasets", "idx", "utils", "DigitlabError"]
