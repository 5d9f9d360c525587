"""``keras.datasets``: mnist and fashion_mnist, each with ``load_data()``."""

from .._missing import module_getattr
from . import fashion_mnist, mnist

__all__ = ["mnist", "fashion_mnist"]
__getattr__ = module_getattr(__name__, __all__)
