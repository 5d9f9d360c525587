"""The engine: a from-scratch NumPy neural network library with the Keras API.

It imports nothing from the rest of digitlab but ``errors``, ``utils`` and ``_io``.

    layers/          Layer, Dense, Activation, Dropout, Flatten, Augment
    activations.py   activation functions and their derivatives
    initializers.py  Glorot, He, normal, uniform
    regularizers.py  L1, L2, L1L2
    losses.py        losses and their (fused) gradients
    optimizers.py    SGD, RMSprop, Adam
    callbacks.py     History, EarlyStopping, ModelCheckpoint, EpochSnapshot
    progress.py      Keras-style progress lines and bars
    metrics.py       confusion matrix, per-class accuracy
    model.py         Sequential, load_model
    saving.py        the safetensors model file
    gradcheck.py     numerical gradients and gradient_check
"""

from . import (activations, callbacks, gradcheck, initializers, layers, losses, metrics, optimizers,
               regularizers, saving)
from .model import Sequential, TrainingDivergedError, load_model
from .saving import ModelFileError

__all__ = ["Sequential", "load_model", "ModelFileError", "TrainingDivergedError", "layers", "activations",
           "initializers", "regularizers", "losses", "optimizers", "callbacks", "metrics", "gradcheck", "saving"]
