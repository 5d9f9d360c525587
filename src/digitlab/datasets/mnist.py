"""MNIST handwritten digits: Keras-style ``load_data`` and the book's ``load_mnist``.

The four real MNIST files ship inside the package (``datasets/data/mnist``), so
loading works offline. Data: Yann LeCun, Corinna Cortes and Christopher J.C.
Burges, licensed CC BY-SA 3.0.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..utils import to_categorical
from .base import DatasetSpec, load_arrays

SPEC = DatasetSpec(
    name="mnist",
    filenames={
        "train_images": "train-images-idx3-ubyte.gz",
        "train_labels": "train-labels-idx1-ubyte.gz",
        "test_images": "t10k-images-idx3-ubyte.gz",
        "test_labels": "t10k-labels-idx1-ubyte.gz",
    },
    sha256={
        "train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    class_names=tuple(str(d) for d in range(10)),
    local_dirs=((Path(__file__).resolve().parent / "data" / "mnist", "bundled"),),
)


def load_data(path: str | os.PathLike | None = None):
    """Load MNIST as Keras does.

    Returns ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
    (60000, 28, 28), (60000,), (10000, 28, 28), (10000,). ``path`` is a
    directory holding the four .gz (or raw IDX) files; see
    :mod:`digitlab.datasets.base` for where files are looked for otherwise.
    """
    return load_arrays(SPEC, path)


def load_mnist(normalize: bool = True, flatten: bool = True, one_hot_label: bool = False,
               path: str | os.PathLike | None = None):
    """Load MNIST as "Deep Learning from Scratch" (``dataset/mnist.py``) does.

    - ``normalize``: float32 pixels in [0, 1] (pixel / 255); else uint8 0-255.
    - ``flatten``: images as (N, 784); else (N, 1, 28, 28).
    - ``one_hot_label``: labels as (N, 10) one-hot float32; else (N,) uint8.

    Returns ``(x_train, t_train), (x_test, t_test)``.
    """
    (x_train, t_train), (x_test, t_test) = load_data(path)

    def images(x: np.ndarray) -> np.ndarray:
        x = x.reshape(len(x), -1) if flatten else x.reshape(len(x), 1, 28, 28)
        return x.astype(np.float32) / np.float32(255.0) if normalize else x

    def labels(t: np.ndarray) -> np.ndarray:
        return to_categorical(t, 10) if one_hot_label else t

    return (images(x_train), labels(t_train)), (images(x_test), labels(t_test))


# ---- the `mnist` package on PyPI (seed 003: ``import mnist; mnist.train_images()``) -------------------------


def train_images() -> np.ndarray:
    """The 60,000 training images, uint8 (60000, 28, 28), as ``mnist.train_images()``."""
    return load_data()[0][0]


def train_labels() -> np.ndarray:
    """The 60,000 training labels, uint8 (60000,), as ``mnist.train_labels()``."""
    return load_data()[0][1]


def test_images() -> np.ndarray:
    """The 10,000 test images, uint8 (10000, 28, 28), as ``mnist.test_images()``."""
    return load_data()[1][0]


def test_labels() -> np.ndarray:
    """The 10,000 test labels, uint8 (10000,), as ``mnist.test_labels()``."""
    return load_data()[1][1]
