"""``keras.datasets.fashion_mnist.load_data()``: Fashion-MNIST, from Debian's package or a mirror."""

from ...datasets.fashion_mnist import load_data

__all__ = ["load_data"]
