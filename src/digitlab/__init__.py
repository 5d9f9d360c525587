"""digitlab: handwritten digit recognition with a from-scratch NumPy engine, on real MNIST, offline.

The package has five parts; imports point one way (apps -> tutorials, vision -> nn -> NumPy):

    nn/          the engine: layers, losses, optimizers, Sequential, model files, gradient checks
    datasets/    MNIST and Fashion-MNIST (idx.py: the IDX file format)
    vision/      photos and drawings -> MNIST-style digits; predicting files; the shipped model
    tutorials/   the five tutorials' own systems, and ``reproduce``
    apps/        the command line (cli/), the web app (web/) and plots

``digitlab.plots`` draws digits, training curves and what a network learned as matplotlib Figures.
"""

__version__ = "0.1.0"

from . import datasets, idx, utils  # noqa: E402
from .errors import DigitlabError  # noqa: E402
from .nn import (  # noqa: E402
    Sequential, activations, callbacks, initializers, layers, load_model, losses, optimizers, regularizers,
)

__all__ = ["__version__", "Sequential", "load_model", "layers", "optimizers", "losses", "activations",
           "initializers", "regularizers", "callbacks", "datasets", "idx", "utils", "DigitlabError"]

_LAZY = {"models", "keras", "nn", "vision", "tutorials", "apps", "plots"}  # imported on first use: `digitlab.models.Sequential`


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'digitlab' has no attribute {name!r}")
