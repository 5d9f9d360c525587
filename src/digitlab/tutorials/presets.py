"""The Keras models of seeds 002 and 004, as named presets: architecture, optimizer and training settings.

    keras-512      784-512(relu)-10(softmax), RMSprop, batch 128, 5 epochs   (Deep Learning with Python, ch. 2)
    keras-512-256  784-512-256-10, relu, Adam, batch 128, 10 epochs          (seed 004; it also tries 50)
    default        keras-512-256 trained on randomly distorted digits (shift, rotation, zoom, stroke
                   thickness) for 20 epochs: digitlab's shipped model, made to hold up on photos

Inputs are flattened pixels scaled to [0, 1]; labels are integers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidValueError
from ..nn import Sequential, layers


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    hidden: tuple[int, ...]
    optimizer: str
    epochs: int
    batch_size: int = 128
    activation: str = "relu"
    augment: bool = False

    def build(self, seed: int | None = 0, input_size: int = 784, classes: int = 10) -> Sequential:
        """A compiled model, written as the seed writes it: Dense then Activation layers."""
        model = Sequential(name=self.name.replace("-", "_"), seed=seed)
        if self.augment:
            model.add(layers.Augment(input_shape=(input_size,)))
        for i, units in enumerate(self.hidden):
            model.add(layers.Dense(units, input_shape=(input_size,) if i == 0 and not self.augment else None))
            model.add(layers.Activation(self.activation))
        model.add(layers.Dense(classes))
        model.add(layers.Activation("softmax"))
        model.compile(optimizer=self.optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model


PRESETS = {p.name: p for p in (
    Preset("keras-512", "seed 002: 784-512-10, RMSprop, 5 epochs", (512,), "rmsprop", 5),
    Preset("keras-512-256", "seed 004: 784-512-256-10, Adam, 10 epochs", (512, 256), "adam", 10),
    Preset("default", "the shipped model: 784-512-256-10, Adam, 20 epochs of distorted digits", (512, 256), "adam",
           20, augment=True),
)}


def get(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise InvalidValueError(f"unknown preset {name!r} (expected one of: {', '.join(PRESETS)})") from None
