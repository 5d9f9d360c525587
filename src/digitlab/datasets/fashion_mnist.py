"""Fashion-MNIST (Zalando): 28x28 grey images of 10 kinds of clothing, in MNIST's format.

Loaded from Debian's ``dataset-fashion-mnist`` package
(``/usr/share/datasets/fashion-mnist/``) when it is installed, otherwise
downloaded once from the mirrors into the user cache. Data: Han Xiao, Kashif
Rasul, Roland Vollgraf, Zalando Research, MIT license.
"""

from __future__ import annotations

import os
from pathlib import Path

from .base import DatasetSpec, load_arrays

SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")

SPEC = DatasetSpec(
    name="fashion-mnist",
    filenames={
        "train_images": "train-images-idx3-ubyte.gz",
        "train_labels": "train-labels-idx1-ubyte.gz",
        "test_images": "t10k-images-idx3-ubyte.gz",
        "test_labels": "t10k-labels-idx1-ubyte.gz",
    },
    # SHA-256 of the decompressed IDX bytes (as in Debian's package, 0.0~git20200523)
    sha256={
        "train_images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train_labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "test_images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "test_labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    local_dirs=((SYSTEM_DIR, "system"),),
)


def load_data(path: str | os.PathLike | None = None):
    """Load Fashion-MNIST as Keras does: ``(x_train, y_train), (x_test, y_test)``, uint8,
    shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,)."""
    return load_arrays(SPEC, path)
