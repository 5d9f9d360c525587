"""``keras.datasets.mnist.load_data()``: uint8 (60000, 28, 28), (60000,), (10000, 28, 28), (10000,), offline."""

from ...datasets.mnist import load_data

__all__ = ["load_data"]
