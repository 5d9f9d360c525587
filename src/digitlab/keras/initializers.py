"""``keras.initializers``: Glorot, He, normal, uniform, zeros, ones."""

from ..nn.initializers import (GlorotNormal, GlorotUniform, HeNormal, HeUniform, Initializer, Ones, RandomNormal,
                               RandomUniform, Zeros, get)
from ._missing import module_getattr

__all__ = ["Initializer", "Zeros", "Ones", "RandomNormal", "RandomUniform", "GlorotUniform", "GlorotNormal",
           "HeNormal", "HeUniform", "get"]
__getattr__ = module_getattr(__name__, __all__)
