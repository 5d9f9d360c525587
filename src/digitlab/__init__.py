"""digitlab: handwritten digit recognition with a from-scratch NumPy engine, on real MNIST, offline."""

__version__ = "0.1.0"

from . import datasets, idx, utils  # noqa: E402
from .errors import DigitlabError  # noqa: E402

__all__ = ["__version__", "datasets", "idx", "utils", "DigitlabError"]
