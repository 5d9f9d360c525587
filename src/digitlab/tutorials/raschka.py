"""Seed 000 (Raschka, "Python Machine Learning", ch. 12) under its own names:

    from digitlab.tutorials.raschka import load_mnist, NeuralNetMLP

    X_train, y_train = load_mnist('data/mnist', kind='train')   # uint8 (60000, 784), uint8 (60000,)
    X_test, y_test = load_mnist('data/mnist', kind='t10k')      # uint8 (10000, 784), uint8 (10000,)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .. import idx
from ..datasets import mnist
from ..errors import DataNotFoundError, InvalidValueError
from .neuralnet_mlp import NeuralNetMLP

KINDS = {"train": "train", "t10k": "test"}


def load_mnist(path: str | os.PathLike | None = None, kind: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The book's loader: ``(images, labels)`` as raw pixels, uint8 (N, 784), and uint8 (N,).

    ``path`` is a directory holding ``{kind}-images-idx3-ubyte`` and ``{kind}-labels-idx1-ubyte``
    (as the book unpacks them, or still gzipped with ``.gz``); without it, the MNIST bundled in
    digitlab is used (checked against its SHA-256). ``kind`` is ``'train'`` or ``'t10k'``.
    """
    if kind not in KINDS:
        raise InvalidValueError(f"load_mnist: kind must be 'train' or 't10k', got {kind!r}")
    if path is None:
        images, labels = mnist.load_data()[0 if kind == "train" else 1]
    else:
        images = idx.read_idx(_find(Path(path), f"{kind}-images-idx3-ubyte"))
        labels = idx.read_idx(_find(Path(path), f"{kind}-labels-idx1-ubyte"))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise InvalidValueError(f"{path}: {kind} images {images.shape} and labels {labels.shape} do not match; "
                                    "expected (N, rows, cols) images and N labels")
    return images.reshape(len(images), -1), labels


def _find(directory: Path, name: str) -> Path:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise DataNotFoundError(f"{directory / name}: no such file (nor {name}.gz); expected the MNIST files "
                            "unpacked in that directory, as the book does, or call load_mnist() without a path "
                            "for the bundled copy")


__all__ = ["load_mnist", "NeuralNetMLP"]
