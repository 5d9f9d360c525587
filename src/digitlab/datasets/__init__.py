"""Datasets: MNIST (bundled) and Fashion-MNIST (Debian package or download)."""

import numpy as np

from ..errors import DigitlabError
from . import fashion_mnist, mnist
from .base import DatasetSpec, cache_dir, load_files

DATASETS: dict[str, DatasetSpec] = {"mnist": mnist.SPEC, "fashion": fashion_mnist.SPEC}


def get(name: str) -> DatasetSpec:
    """Look a dataset up by its CLI name ("mnist" or "fashion")."""
    try:
        return DATASETS[name]
    except KeyError:
        raise DigitlabError(f"unknown dataset {name!r} (expected one of: {', '.join(DATASETS)})") from None


def load_flat(name: str = "mnist", scale: bool = True):
    """``((x_train, y_train), (x_test, y_test))`` with images flattened to (N, 784): float32 in [0, 1],
    or the raw uint8 pixels with ``scale=False``."""
    get(name)  # a clear error for an unknown name
    (x, y), (xt, yt) = {"mnist": mnist, "fashion": fashion_mnist}[name].load_data()
    x, xt = x.reshape(len(x), -1), xt.reshape(len(xt), -1)
    if scale:
        x, xt = x.astype(np.float32) / 255, xt.astype(np.float32) / 255
    return (x, y), (xt, yt)


__all__ = ["mnist", "fashion_mnist", "DATASETS", "DatasetSpec", "cache_dir", "get", "load_files", "load_flat"]
