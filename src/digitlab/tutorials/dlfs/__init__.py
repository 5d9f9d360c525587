"""The helpers of "Deep Learning from Scratch" (``common/``), with the book's names and calling
conventions, in one line: ``from digitlab.tutorials.dlfs import *``.

    functions.py   sigmoid, softmax, relu, cross_entropy_error, mean_squared_error, ...
    gradient.py    numerical_gradient(f, x): central differences, f called with x
    layers.py      Relu, Sigmoid, Affine, SoftmaxWithLoss, Dropout: forward and backward

Like the book's modules, a star import also brings ``np``. A tutorial's ``from layers import *`` and
``from gradient import *`` become ``from digitlab.tutorials.dlfs.layers import *`` and
``from digitlab.tutorials.dlfs.gradient import *``; the book's ``from dataset.mnist import load_mnist``
becomes ``from digitlab.datasets.mnist import load_mnist``.
"""

from . import functions, gradient, layers
from .functions import *  # noqa: F401,F403
from .gradient import numerical_gradient
from .layers import *  # noqa: F401,F403
from .layers import __all__ as _layers

__all__ = [*_layers, "numerical_gradient"]
